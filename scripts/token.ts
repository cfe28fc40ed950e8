import { SignJWT } from 'jose';
import { defineCommand, exitWithUsageError, readCommandLine } from '@cip/core/cli';

/**
 * Makes a development token for the gateway's HS256 mode, signed with AUTH_HS256_SECRET (and the
 * AUTH_ISSUER / AUTH_AUDIENCE the gateway checks, when set):
 *
 *   AUTH_HS256_SECRET=... npm run token -- --scopes partners:restricted,analyst [--subject ana] [--ttl 3600]
 *
 * Prints the token alone, so `TOKEN=$(npm run -s token -- --scopes analyst)` works.
 */
const command = defineCommand({
  name: 'npm run token',
  summary: "makes a development token for the gateway's HS256 mode and prints it alone.",
  usage:
    'npm run token -- [--scopes <list>] [--subject <name>] [--ttl <seconds>] [--secret <s>] [--issuer <iss>] [--audience <aud>]',
  options: {
    scopes: {
      type: 'string',
      value: '<list>',
      description: 'scopes to grant, comma- or space-separated, e.g. partners:restricted,analyst',
      default: '',
    },
    subject: { type: 'string', value: '<name>', description: "the token's subject (sub)", default: 'developer' },
    ttl: {
      type: 'string',
      value: '<seconds>',
      description: 'lifetime in seconds, a positive integer',
      default: '3600',
    },
    secret: {
      type: 'string',
      value: '<s>',
      description: 'the HS256 secret, at least 32 characters',
      defaultLabel: '$AUTH_HS256_SECRET',
    },
    issuer: { type: 'string', value: '<iss>', description: 'the issuer (iss)', defaultLabel: '$AUTH_ISSUER' },
    audience: { type: 'string', value: '<aud>', description: 'the audience (aud)', defaultLabel: '$AUTH_AUDIENCE' },
  },
  env: [
    { name: 'AUTH_HS256_SECRET', description: 'the secret the gateway verifies with, unless --secret is given' },
    {
      name: 'AUTH_ISSUER',
      description: 'the issuer the gateway checks, unless --issuer is given',
      default: 'no iss claim',
    },
    {
      name: 'AUTH_AUDIENCE',
      description: 'the audience the gateway checks, unless --audience is given',
      default: 'no aud claim',
    },
  ],
  details:
    'Example: TOKEN=$(AUTH_HS256_SECRET=... npm run -s token -- --scopes analyst)\nExit codes: 0 printed, 64 bad usage or no secret.',
});
const { values } = readCommandLine(command);

const secret = values.secret ?? process.env.AUTH_HS256_SECRET;
if (!secret || secret.length < 32) {
  exitWithUsageError(
    command,
    'Set AUTH_HS256_SECRET (at least 32 characters), the secret the gateway verifies with, or pass --secret.',
  );
}
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0)
  exitWithUsageError(command, '--ttl is the lifetime in seconds, a positive integer.');
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
