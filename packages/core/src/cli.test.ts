import { describe, expect, it } from 'vitest';
import {
  EXIT_USAGE,
  UsageError,
  defineCommand,
  exitWithUsageError,
  formatHelp,
  parseCommandLine,
  readCommandLine,
  type CliIo,
} from './cli.js';

const command = defineCommand({
  name: 'npm run token',
  summary: 'makes a development token',
  usage: 'npm run token -- [<audience>] [--scopes <list>] [--ttl <seconds>] [--verbose]',
  arguments: [{ name: '<audience>', description: 'who the token is for', defaultLabel: '$AUTH_AUDIENCE' }],
  options: {
    scopes: { type: 'string', value: '<list>', description: 'scopes to grant', default: '' },
    ttl: { type: 'string', value: '<seconds>', description: 'lifetime in seconds', default: '3600' },
    secret: { type: 'string', description: 'the signing secret', defaultLabel: '$AUTH_HS256_SECRET' },
    subgraph: { type: 'string', multiple: true, description: 'a subgraph to include', default: [] },
    verbose: { type: 'boolean', short: 'v', description: 'say more', default: false },
  },
  env: [
    { name: 'AUTH_HS256_SECRET', description: 'the secret the gateway verifies with' },
    { name: 'LOG_LEVEL', description: 'how much to log', default: 'info' },
  ],
  details: 'Exit codes: 0 done, 64 bad usage.',
});

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Runs `readCommandLine` against a fake process: what it wrote and how it ended. */
function run(argv: string[]) {
  const io = { stdout: '', stderr: '' };
  const fake: CliIo = {
    stdout: (text) => void (io.stdout += text),
    stderr: (text) => void (io.stderr += text),
    exit: (code) => {
      throw new Exit(code);
    },
  };
  try {
    return { ...io, code: undefined, parsed: readCommandLine(command, argv, fake) };
  } catch (error) {
    if (!(error instanceof Exit)) throw error;
    return { ...io, code: error.code, parsed: undefined };
  }
}

describe('the command line helper', () => {
  it('parses options with their defaults and the positionals', () => {
    const { parsed, code } = run(['reports', '--scopes', 'analyst', '--subgraph', 'a', '--subgraph=b', '-v']);
    expect(code).toBeUndefined();
    expect(parsed).toEqual({
      values: { scopes: 'analyst', ttl: '3600', subgraph: ['a', 'b'], verbose: true },
      positionals: ['reports'],
    });
    // Typed from the declaration: a default makes the value always present.
    const ttl: string = parsed!.values.ttl;
    const secret: string | undefined = parsed!.values.secret;
    expect([ttl, secret]).toEqual(['3600', undefined]);
  });

  it.each([[['--help']], [['-h']], [['--bogus', '--help']], [['--ttl', '5', '-h', 'x', 'y']]])(
    'answers %j with the help on stdout and exit 0',
    (argv) => {
      const result = run(argv);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toBe(formatHelp(command));
    },
  );

  it('writes every argument, option and environment variable with its default into the help', () => {
    const help = formatHelp(command);
    expect(help).toMatch(/^npm run token: makes a development token\n\nUsage: npm run token -- \[<audience>\]/);
    for (const line of [
      /<audience> +who the token is for \(default: \$AUTH_AUDIENCE\)/,
      /--scopes <list> +scopes to grant \(default: none\)/,
      /--ttl <seconds> +lifetime in seconds \(default: 3600\)/,
      /--secret <value> +the signing secret \(default: \$AUTH_HS256_SECRET\)/,
      /--subgraph <value> +a subgraph to include \(repeatable; default: none\)/,
      /-v, --verbose +say more \(default: false\)/,
      /-h, --help +print this help and exit/,
      /AUTH_HS256_SECRET +the secret the gateway verifies with \(default: unset\)/,
      /LOG_LEVEL +how much to log \(default: info\)/,
    ]) {
      expect(help).toMatch(line);
    }
    expect(help).toContain('\nEnvironment variables:\n');
    expect(help.endsWith('\n\nExit codes: 0 done, 64 bad usage.\n')).toBe(true);
  });

  it('leaves out the sections a command does not have', () => {
    const bare = defineCommand({ name: 'node x.mjs', summary: 's', usage: 'node x.mjs', options: {} });
    expect(formatHelp(bare)).toBe(
      'node x.mjs: s\n\nUsage: node x.mjs\n\nOptions:\n  -h, --help  print this help and exit\n',
    );
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['-x'], "Unknown option '-x'"],
    [['--ttl'], "Option '--ttl <value>' argument missing"],
    [['--verbose=yes'], "Option '-v, --verbose' does not take an argument"],
    [['one', 'two'], "Unexpected argument 'two'"],
  ])('refuses %j in one line, the usage line and the way to the help, with exit 64', (argv, message) => {
    const result = run(argv);
    expect(result).toMatchObject({ code: EXIT_USAGE, stdout: '' });
    expect(result.stderr).toBe(
      `npm run token: ${message}\n` +
        `Usage: ${command.usage}\n` +
        'Run `npm run token -- --help` for every option and environment variable.\n',
    );
    expect(result.stderr).not.toContain('    at ');
  });

  it('names a missing required argument and a command that takes no arguments', () => {
    const strict = defineCommand({
      name: 'node new.mjs',
      summary: 's',
      usage: 'node new.mjs <name>',
      arguments: [{ name: '<name>', description: 'the new name', required: true }],
      options: {},
    });
    expect(() => parseCommandLine(strict, [])).toThrow(new UsageError('Missing <name>: the new name'));
    const none = defineCommand({ name: 'node x.mjs', summary: 's', usage: 'node x.mjs', options: {} });
    expect(() => parseCommandLine(none, ['extra'])).toThrow("Unexpected argument 'extra': this command takes none");
    // After `--`, `--help` is an argument like any other.
    expect(() => parseCommandLine(none, ['--', '--help'])).toThrow("Unexpected argument '--help'");
  });

  it("ends a command's own usage check the same way", () => {
    let stderr = '';
    const exit = (code: number): never => {
      throw new Exit(code);
    };
    expect(() =>
      exitWithUsageError(command, '--ttl is the lifetime in seconds, a positive integer.', {
        stdout: () => undefined,
        stderr: (text) => void (stderr += text),
        exit,
      }),
    ).toThrow(new Exit(EXIT_USAGE));
    expect(stderr.split('\n')[0]).toBe('npm run token: --ttl is the lifetime in seconds, a positive integer.');
  });

  it('refuses a command that declares --help itself', () => {
    expect(() =>
      defineCommand({
        name: 'x',
        summary: 's',
        usage: 'x',
        options: { help: { type: 'boolean', description: 'mine' } },
      }),
    ).toThrow(/--help is every command's own/);
  });
});
