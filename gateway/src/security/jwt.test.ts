import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { TokenRejected, createTokenVerifier, scopesOf } from './jwt.js';

const now = () => Math.floor(Date.now() / 1000);

async function jwksFile() {
  const rsa = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES256');
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec', alg: 'ES256', use: 'sig' },
  ];
  const path = join(await mkdtemp(join(tmpdir(), 'jwks-')), 'jwks.json');
  await writeFile(path, JSON.stringify({ keys }));
  return { path, rsa, ec };
}

const settings = { clockSkewSeconds: 30, scopesClaim: 'scope', issuer: 'https://issuer.invalid', audience: 'cip' };

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
