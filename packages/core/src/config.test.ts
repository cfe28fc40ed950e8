import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, defineSection, describeVariables, envDocs, envVar, parseConfig, parseEnv } from './config.js';
import { serverSection } from './serverConfig.js';

const shape = { PORT: envVar.port(4000), HOST: envVar.host(), VERBOSE: envVar.flag(false), MODE: envVar.mode() };

describe('parseEnv', () => {
  it('runs on defaults with no environment at all', () => {
    expect(parseEnv('test', shape, {})).toEqual({ PORT: 4000, HOST: '127.0.0.1', VERBOSE: false, MODE: 'development' });
  });

  it('treats an empty variable as unset', () => {
    expect(parseEnv('test', shape, { PORT: '' }).PORT).toBe(4000);
  });

  it('converts what it is given', () => {
    expect(parseEnv('test', shape, { PORT: '0', VERBOSE: '1', MODE: 'production' })).toMatchObject({
      PORT: 0,
      VERBOSE: true,
      MODE: 'production',
    });
  });

  it('names every bad variable and its value in one error', () => {
    let error: unknown;
    try {
      parseEnv('gateway', shape, { PORT: '70000', VERBOSE: 'yes', MODE: 'staging' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { message, problems } = error as ConfigError;
    expect(message).toMatch(/^gateway: invalid configuration:/);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^PORT="70000": /);
    expect(problems[1]).toMatch(/^VERBOSE="yes": expected true, false, 1 or 0/);
    expect(problems[2]).toMatch(/^MODE="staging": /);
  });
});

describe('parseEnv and secrets', () => {
  const secretShape = {
    TOKEN: z.string().min(32, 'expected at least 32 characters').optional().register(envDocs, {
      description: 'a secret',
      secret: true,
    }),
    CALLBACK_URL: z.url().optional().register(envDocs, { description: 'not a secret, but may hold credentials' }),
    STORE_URL: z
      .string()
      .regex(/^postgres:/, 'expected a postgres:// URL')
      .optional()
      .register(envDocs, { description: 'a URL that may carry a password', secret: 'url' }),
  };

  it('never prints the value of a secret, only its name and what is wrong', () => {
    const error = caught(() => parseEnv('test', secretShape, { TOKEN: 'hunter2-too-short' }));
    expect(error.problems).toEqual(['TOKEN: expected at least 32 characters']);
    expect(error.message).not.toContain('hunter2');
  });

  it('shows a non-secret URL without its credentials', () => {
    const error = caught(() => parseEnv('test', secretShape, { CALLBACK_URL: 'ftp//user:pa55word@host' }));
    expect(error.message).toContain('CALLBACK_URL="ftp//***@host"');
    expect(error.message).not.toContain('pa55word');
  });

  it('shows a credential-bearing URL only while it carries no credentials', () => {
    expect(caught(() => parseEnv('test', secretShape, { STORE_URL: 'mysql://db' })).problems).toEqual([
      'STORE_URL="mysql://db": expected a postgres:// URL',
    ]);
    for (const withCredentials of ['mysql://admin:pa55word@db', 'mysql://db?password=pa55word', 'mysql:pa55word@db']) {
      const error = caught(() => parseEnv('test', secretShape, { STORE_URL: withCredentials }));
      expect(error.problems).toEqual(['STORE_URL: expected a postgres:// URL']);
      expect(error.message).not.toContain('pa55word');
    }
  });
});

function caught(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const KEY = 'a-secret-key-that-is-long-enough-0123456789';

const authSection = defineSection({
  shape: {
    KEY_FILE: z.string().optional().register(envDocs, { description: 'keys from a file' }),
    KEY_SECRET: z.string().min(32).optional().register(envDocs, { description: 'a shared key', secret: true }),
    ISSUER: z.string().optional().register(envDocs, { description: 'the issuer to check' }),
  },
  rules: (rule) => [
    rule.oneOf(['KEY_FILE', 'KEY_SECRET'], 'one key source only'),
    rule.onlyWith(['ISSUER'], ['KEY_FILE', 'KEY_SECRET'], 'nothing is verified without a key'),
  ],
  build: (values) => ({ keys: values.KEY_FILE ?? values.KEY_SECRET ?? 'none', issuer: values.ISSUER }),
});

const sourceSection = defineSection({
  shape: {
    SOURCE: z.enum(['file', 'live']).default('file').register(envDocs, { description: 'where from' }),
    FILE: z.string().default('a.txt').register(envDocs, { description: 'the file', shownDefault: 'a.txt (here)' }),
    RETRIES: envVar.positiveInt(3).register(envDocs, { description: 'retries' }),
    MAX_RETRIES: envVar.positiveInt(5).register(envDocs, { description: 'most retries' }),
  },
  rules: (rule) => [
    rule.onlyWhen(['FILE'], 'SOURCE', ['file'], 'live mode reads no file'),
    rule.check(['RETRIES', 'MAX_RETRIES'], (values) =>
      values.RETRIES > values.MAX_RETRIES ? { variable: 'RETRIES', message: 'is above MAX_RETRIES' } : undefined,
    ),
  ],
  build: (values) => ({ source: values.SOURCE, file: values.FILE, retries: values.RETRIES }),
});

const sections = { server: serverSection({ port: 4000 }), auth: authSection, source: sourceSection };

describe('parseConfig: a process config from its concerns sections', () => {
  it('runs on defaults with no environment, each section building its own options', () => {
    expect(parseConfig('test', sections, {})).toEqual({
      server: {
        mode: 'development',
        host: '127.0.0.1',
        port: 4000,
        logLevel: 'info',
        maxBodyBytes: 1_048_576,
        stackTraces: false,
      },
      auth: { keys: 'none', issuer: undefined },
      source: { source: 'file', file: 'a.txt', retries: 3 },
    });
  });

  it('refuses every invalid mix, with every problem of every section in one message', () => {
    const error = caught(() =>
      parseConfig('test', sections, {
        PORT: 'eighty',
        KEY_FILE: 'keys.json',
        KEY_SECRET: KEY,
        SOURCE: 'live',
        FILE: 'b.txt',
        RETRIES: '9',
      }),
    );
    expect(error.message).toMatch(/^test: invalid configuration:/);
    expect(error.problems).toEqual([
      expect.stringMatching(/^PORT="eighty": /),
      'KEY_SECRET: cannot be set together with KEY_FILE: one key source only',
      'FILE: has no effect with SOURCE=live: live mode reads no file',
      'RETRIES: is above MAX_RETRIES',
    ]);
    expect(error.message).not.toContain(KEY);
  });

  it('refuses a variable that another one makes meaningless', () => {
    expect(caught(() => parseConfig('test', sections, { ISSUER: 'me' })).problems).toEqual([
      'ISSUER: has no effect without KEY_FILE or KEY_SECRET: nothing is verified without a key',
    ]);
    expect(parseConfig('test', sections, { ISSUER: 'me', KEY_SECRET: KEY }).auth).toEqual({ keys: KEY, issuer: 'me' });
  });

  it('skips a rule whose variables did not parse, so each problem is said once', () => {
    expect(caught(() => parseConfig('test', sections, { RETRIES: '9', MAX_RETRIES: 'many' })).problems).toEqual([
      expect.stringMatching(/^MAX_RETRIES="many": /),
    ]);
  });

  it('never prints a secret value, even where another variable holds the same text', () => {
    const error = caught(() => parseConfig('test', sections, { KEY_SECRET: 'eighty', PORT: 'eighty' }));
    expect(error.problems).toEqual([
      expect.stringMatching(/^PORT="<redacted>": /),
      expect.stringMatching(/^KEY_SECRET: /),
    ]);
    expect(error.message).not.toContain('eighty');
  });

  it('applies process-wide rules across sections', () => {
    const error = caught(() =>
      parseConfig('test', sections, { NODE_ENV: 'production', SOURCE: 'live' }, (rule) => [
        rule.check(['NODE_ENV', 'SOURCE'], (values) =>
          values.NODE_ENV === 'production' && values.SOURCE === 'live'
            ? { variable: 'SOURCE', message: 'live is for development' }
            : undefined,
        ),
      ]),
    );
    expect(error.problems).toEqual(['SOURCE: live is for development']);
  });

  it('refuses two sections declaring one variable (a programming error, not a config one)', () => {
    expect(() => parseConfig('test', { a: sourceSection, b: sourceSection }, {})).toThrow(/SOURCE is already declared/);
  });
});

describe('describeVariables', () => {
  it('lists every variable with its description and its default, secrets marked', () => {
    const listed = describeVariables(sections);
    expect(listed.map((variable) => variable.name)).toEqual([
      'NODE_ENV',
      'HOST',
      'PORT',
      'LOG_LEVEL',
      'MAX_BODY_BYTES',
      'ERROR_STACK_TRACES',
      'KEY_FILE',
      'KEY_SECRET',
      'ISSUER',
      'SOURCE',
      'FILE',
      'RETRIES',
      'MAX_RETRIES',
    ]);
    expect(listed).toContainEqual({ name: 'PORT', description: expect.any(String), default: '4000' });
    expect(listed).toContainEqual({ name: 'KEY_FILE', description: 'keys from a file', default: 'unset' });
    expect(listed).toContainEqual({
      name: 'KEY_SECRET',
      description: 'a shared key (secret: never shown)',
      default: 'unset',
    });
    expect(listed).toContainEqual({ name: 'FILE', description: 'the file', default: 'a.txt (here)' });
  });

  it('refuses a variable without a description', () => {
    const undocumented = defineSection({ shape: { BARE: z.string().optional() }, build: () => ({}) });
    expect(() => describeVariables({ undocumented })).toThrow(/BARE has no description/);
  });
});

describe('envVar.namedValues', () => {
  const ports = envVar.namedValues('name=port', (text) => (/^\d+$/.test(text) ? Number(text) : undefined)).default({});

  it('reads name=value pairs, the value being what follows the first =', () => {
    expect(ports.parse(' a=1, b=2 ,')).toEqual({ a: 1, b: 2 });
    const urls = envVar.namedValues('name=url', (url) => (URL.canParse(url) ? url : undefined));
    expect(urls.parse('a=http://h/graphql?x=y')).toEqual({ a: 'http://h/graphql?x=y' });
    expect(ports.parse(undefined)).toEqual({});
  });

  it.each(['a', '=1', 'a=x', 'a b=1'])('refuses %j, saying what it expected', (text) => {
    const result = ports.safeParse(text);
    expect(result.error?.issues[0]?.message).toBe(`expected name=port pairs separated by commas; got "${text}"`);
  });

  it('refuses a secret pair by its name alone, never quoting its value', () => {
    const keys = envVar.namedValues('office=key', (key) => (key.length >= 8 ? key : undefined), undefined, {
      secret: true,
    });
    expect(keys.safeParse('a=long-enough,b=short').error?.issues[0]?.message).toBe(
      'expected office=key pairs separated by commas; got the pair for "b"',
    );
    expect(keys.safeParse('no-name-short').error?.issues[0]?.message).toBe(
      'expected office=key pairs separated by commas; got pair 1',
    );
  });
});
