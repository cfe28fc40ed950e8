import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';

/**
 * Makes a development token for the gateway's HS256 mode, signed with AUTH_HS256_SECRET (and the
 * AUTH_ISSUER / AUTH_AUDIENCE the gateway checks, when set):
 *
 *   AUTH_HS256_SECRET=... npm run token -- --scopes partners:restricted,analyst [--subject ana] [--ttl 3600]
 *
 * Prints the token alone, so `TOKEN=$(npm run -s token -- --scopes analyst)` works.
 */
const { values } = parseArgs({
  options: {
    scopes: { type: 'string', default: '' },
    subject: { type: 'string', default: 'developer' },
    ttl: { type: 'string', default: '3600' },
    secret: { type: 'string' },
    issuer: { type: 'string' },
    audience: { type: 'string' },
  },
});

const secret = values.secret ?? process.env.AUTH_HS256_SECRET;
if (!secret || secret.length < 32) {
  process.stderr.write(
    'Set AUTH_HS256_SECRET (at least 32 characters), the secret the gateway verifies with, or pass --secret.\n',
  );
  process.exit(64);
}
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) {
  process.stderr.write('--ttl is the lifetime in seconds, a positive integer.\n');
  process.exit(64);
}
const scopes = values.scopes
  .split(/[,\s]+/)
  .map((scope) => scope.trim())
  .filter(Boolean);
const issuer = values.issuer ?? process.env.AUTH_ISSUER;
const audience = values.audience ?? process.env.AUTH_AUDIENCE;

let token = new SignJWT({ scope: scopes.join(' ') })
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setSubject(values.subject)
  .setIssuedAt()
  .setExpirationTime(`${ttl}s`);
if (issuer) token = token.setIssuer(issuer);
if (audience) token = token.setAudience(audience);
process.stdout.write(`${await token.sign(new TextEncoder().encode(secret))}\n`);
