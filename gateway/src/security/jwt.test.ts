import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { TokenRejected, createTokenVerifier, scopesOf } from './jwt.js';

const now = () => Math.floor(Date.now() / 1000);

/** Every folder a JWKS file was written to, removed when the file's tests are done. */
const folders: string[] = [];
afterAll(() => Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true }))));

async function jwksFile() {
  const rsa = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES256');
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec', alg: 'ES256', use: 'sig' },
  ];
  const folder = await mkdtemp(join(tmpdir(), 'jwks-'));
  folders.push(folder);
  const path = join(folder, 'jwks.json');
  await writeFile(path, JSON.stringify({ keys }));
  return { path, rsa, ec };
}

const settings = {
  clockSkewSeconds: 30,
  requireExp: true,
  maxLifetimeSeconds: 86_400,
  scopesClaim: 'scope',
  issuer: 'https://issuer.invalid',
  audience: 'cip',
};

describe('token verification', () => {
  it('accepts RS256 and ES256 tokens signed by a key of the JWKS file, with their scopes', async () => {
    const { path, rsa, ec } = await jwksFile();
    const verify = (await createTokenVerifier({ ...settings, jwksFile: path }))!;
    for (const [alg, kid, key] of [
      ['RS256', 'rsa', rsa.privateKey],
      ['ES256', 'ec', ec.privateKey],
    ] as const) {
      const token = await new SignJWT({ scope: 'analyst partners:restricted' })
        .setProtectedHeader({ alg, kid })
        .setSubject('ana')
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setExpirationTime(now() + 60)
        .sign(key);
      const caller = await verify(token);
      expect(caller).toEqual({
        authenticated: true,
        subject: 'ana',
        scopes: new Set(['analyst', 'partners:restricted']),
        unrestricted: false,
        // When a live subscription of this caller is closed (subscriptions/).
        expiresAt: (now() + 60) * 1000,
      });
    }
  });

  it('refuses an HS256 token when keys are asymmetric (no algorithm confusion), and alg none', async () => {
    const { path } = await jwksFile();
    const verify = (await createTokenVerifier({ ...settings, jwksFile: path }))!;
    const hs = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setExpirationTime(now() + 60)
      .sign(new TextEncoder().encode('x'.repeat(32)));
    await expect(verify(hs)).rejects.toBeInstanceOf(TokenRejected);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(`{"exp":${now() + 60}}`).toString('base64url')}.`;
    await expect(verify(none)).rejects.toBeInstanceOf(TokenRejected);
  });

  it('checks expiry and not-before within the clock skew', async () => {
    const secret = 's'.repeat(32);
    const verify = (await createTokenVerifier({ ...settings, hs256Secret: secret }))!;
    const token = (exp: number, nbf: number) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setExpirationTime(exp)
        .setNotBefore(nbf)
        .sign(new TextEncoder().encode(secret));
    await expect(verify(await token(now() - 20, now() - 100))).resolves.toMatchObject({ authenticated: true });
    await expect(verify(await token(now() - 40, now() - 100))).rejects.toThrow(/exp/);
    await expect(verify(await token(now() + 100, now() + 20))).resolves.toMatchObject({ authenticated: true });
    await expect(verify(await token(now() + 100, now() + 40))).rejects.toThrow(/nbf/);
  });

  it('no key configured: no verifier', async () => {
    expect(await createTokenVerifier(settings)).toBeUndefined();
  });

  it('reads scopes from a space-separated string or an array', () => {
    expect(scopesOf({ scope: 'a  b' }, 'scope')).toEqual(new Set(['a', 'b']));
    expect(scopesOf({ scp: ['a', 1, 'b'] }, 'scp')).toEqual(new Set(['a', 'b']));
    expect(scopesOf({}, 'scope')).toEqual(new Set());
  });
});

describe('keys from a JWKS URL', () => {
  it('fetches the key set and verifies RS256 tokens with it', async () => {
    const { createServer } = await import('node:http');
    const rsa = await generateKeyPair('RS256');
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256' }] });
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const verify = (await createTokenVerifier({ ...settings, jwksUrl: `http://127.0.0.1:${port}/jwks.json` }))!;
      const token = await new SignJWT({ scp: ['analyst'] })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setExpirationTime(now() + 60)
        .sign(rsa.privateKey);
      await expect(verify(token)).resolves.toMatchObject({ authenticated: true });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/** A key source to test the time rules with: its verifier settings and a signer of claims. */
interface Signer {
  keys: { hs256Secret: string } | { jwksFile: string };
  sign: (claims: { exp?: number; iat?: number; nbf?: number }) => Promise<string>;
}

function signer(keys: Signer['keys'], alg: string, key: CryptoKey | Uint8Array, kid?: string): Signer {
  return {
    keys,
    sign: ({ exp, iat, nbf }) => {
      let token = new SignJWT({})
        .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
        .setIssuer(settings.issuer)
        .setAudience(settings.audience);
      if (exp !== undefined) token = token.setExpirationTime(exp);
      if (iat !== undefined) token = token.setIssuedAt(iat);
      if (nbf !== undefined) token = token.setNotBefore(nbf);
      return token.sign(key);
    },
  };
}

const sources: [string, () => Promise<Signer>][] = [
  [
    'HS256',
    async () => {
      const secret = 'h'.repeat(32);
      return signer({ hs256Secret: secret }, 'HS256', new TextEncoder().encode(secret));
    },
  ],
  [
    'RS256 from a JWKS file',
    async () => {
      const { path, rsa } = await jwksFile();
      return signer({ jwksFile: path }, 'RS256', rsa.privateKey, 'rsa');
    },
  ],
];

// Regression (issue 13, item 4): a token without `exp` never expired, and an `iat` ten years ahead passed.
describe.each(sources)('token lifetime (%s)', (_name, makeSigner) => {
  const TEN_YEARS = 10 * 365 * 86_400;

  it('refuses a token without exp by default, accepts it with requireExp off', async () => {
    const { keys, sign } = await makeSigner();
    const token = await sign({ iat: now() });
    const strict = (await createTokenVerifier({ ...settings, ...keys }))!;
    await expect(strict(token)).rejects.toThrow(/missing required "exp" claim/);
    const lenient = (await createTokenVerifier({ ...settings, ...keys, requireExp: false }))!;
    await expect(lenient(token)).resolves.toMatchObject({ authenticated: true });
  });

  it('refuses an iat or nbf ahead of now by more than the clock skew, accepts one within it', async () => {
    const { keys, sign } = await makeSigner();
    const verify = (await createTokenVerifier({ ...settings, ...keys }))!;
    const exp = now() + 60;
    await expect(verify(await sign({ exp, iat: now() + TEN_YEARS }))).rejects.toThrow(/iat/);
    await expect(verify(await sign({ exp, iat: now() + 40 }))).rejects.toThrow(/iat/);
    await expect(verify(await sign({ exp, iat: now() + 20 }))).resolves.toMatchObject({ authenticated: true });
    await expect(verify(await sign({ exp, nbf: now() + TEN_YEARS }))).rejects.toThrow(/nbf/);
  });

  it('refuses a lifetime over the maximum: exp - iat, or exp - now (beyond the skew) without iat', async () => {
    const { keys, sign } = await makeSigner();
    const verify = (await createTokenVerifier({ ...settings, ...keys, maxLifetimeSeconds: 3_600 }))!;
    const iat = now() - 100;
    await expect(verify(await sign({ iat, exp: iat + 3_600 }))).resolves.toMatchObject({ authenticated: true });
    await expect(verify(await sign({ iat, exp: iat + 3_601 }))).rejects.toThrow(/more than 3600 s/);
    await expect(verify(await sign({ iat, exp: iat + TEN_YEARS }))).rejects.toThrow(/more than 3600 s/);
    await expect(verify(await sign({ exp: now() + 3_600 + 20 }))).resolves.toMatchObject({ authenticated: true });
    await expect(verify(await sign({ exp: now() + 3_600 + 40 }))).rejects.toThrow(/more than 3600 s/);
  });
});
