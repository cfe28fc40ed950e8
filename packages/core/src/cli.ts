import { parseArgs } from 'node:util';

/**
 * The command line of every script and process entry point, on top of `node:util` parseArgs. A
 * command declares what it takes (options, arguments, environment variables, each with its
 * default) once; the same declaration parses the command line and writes its `--help`.
 *
 * - `--help` or `-h` prints the help and exits 0, even beside other arguments.
 * - An unknown option, a missing or unexpected value, or an argument too many prints one line
 *   saying so, the usage line and how to get the help, to stderr, and exits 64 (EX_USAGE). A
 *   usage error is the user's to fix, so it never shows a stack trace.
 */

/** EX_USAGE (sysexits.h): the command was used incorrectly. */
export const EXIT_USAGE = 64;

export interface CliOption {
  readonly type: 'string' | 'boolean';
  /** One line: what the option does. */
  readonly description: string;
  /** The value's placeholder in the help, for string options; `<value>` when not given. */
  readonly value?: string;
  readonly short?: string;
  /** Repeatable: the value is the list of every occurrence. */
  readonly multiple?: boolean;
  readonly default?: string | boolean | readonly string[];
  /** The default as the help states it, when it is not a literal (`$AUTH_HS256_SECRET`, `a free port`). */
  readonly defaultLabel?: string;
}

export interface CliArgument {
  /** As the usage line writes it, e.g. `<name>`. */
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
  readonly defaultLabel?: string;
}

export interface CliEnvVar {
  readonly name: string;
  readonly description: string;
  /** The value used when the variable is unset or empty, as the help states it; `unset` when not given. */
  readonly default?: string;
}

export type CliOptions = Readonly<Record<string, CliOption>>;

export interface CliCommand<Options extends CliOptions = CliOptions> {
  /** How a person runs it, e.g. `npm run token` or `node gateway/dist/main.js`. */
  readonly name: string;
  /** One line: what it does. */
  readonly summary: string;
  /** The usage line after `Usage: `, e.g. `npm run token -- [--scopes <list>] [--ttl <seconds>]`. */
  readonly usage: string;
  /** Every option but `--help`, which every command has. */
  readonly options: Options;
  /** Positional arguments, in order; a command without them takes none. */
  readonly arguments?: readonly CliArgument[];
  /** Every environment variable the command reads. */
  readonly env?: readonly CliEnvVar[];
  /** Paragraphs printed after the lists: exit codes, examples. */
  readonly details?: string;
}

type OptionValue<O> = O extends { readonly type: 'boolean' } ? boolean : string;
type Occurrences<O> = O extends { readonly multiple: true } ? OptionValue<O>[] : OptionValue<O>;

/** The parsed options: an option with a default always has a value. */
export type CliValues<Options extends CliOptions> = {
  -readonly [K in keyof Options]: Options[K] extends { readonly default: unknown }
    ? Occurrences<Options[K]>
    : Occurrences<Options[K]> | undefined;
};

export interface CommandLine<Options extends CliOptions> {
  readonly values: CliValues<Options>;
  readonly positionals: string[];
}

/** A command line that does not fit the command's declaration. */
export class UsageError extends Error {
  readonly exitCode = EXIT_USAGE;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Where a command writes and how it ends: the process by default, a fake in tests. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  exit(code: number): never;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
};

/** Declares a command; keeps the options' literal types, so the parsed values are typed from them. */
export function defineCommand<const Options extends CliOptions>(command: CliCommand<Options>): CliCommand<Options> {
  if ('help' in command.options) throw new Error(`${command.name}: --help is every command's own; do not declare it`);
  return command;
}

/** The command with `--help` appended, as a person types it (`npm run x -- --help`). */
function helpCommand(command: CliCommand): string {
  return `${command.name}${command.name.startsWith('npm run ') ? ' -- ' : ' '}--help`;
}

function describeDefault(value: CliOption['default'], label: string | undefined, type = 'string'): string {
  if (label !== undefined) return label;
  if (value === undefined) return type === 'boolean' ? 'false' : 'none';
  if (typeof value !== 'string' && typeof value !== 'boolean') return value.length > 0 ? value.join(', ') : 'none';
  return value === '' ? 'none' : String(value);
}

const WIDEST_NAME_COLUMN = 30;

type Row = readonly [name: string, text: string];

/** Two columns; a name wider than the column puts its description on the next line. */
function columns(sections: readonly (readonly [title: string, rows: readonly Row[]])[]): string[] {
  const names = sections.flatMap(([, rows]) => rows.map(([name]) => name.length));
  const width = Math.min(WIDEST_NAME_COLUMN, Math.max(0, ...names));
  return sections
    .filter(([, rows]) => rows.length > 0)
    .flatMap(([title, rows]) => [
      '',
      `${title}:`,
      ...rows.flatMap(([name, text]) =>
        name.length > width ? [`  ${name}`, `  ${' '.repeat(width)}  ${text}`] : [`  ${name.padEnd(width)}  ${text}`],
      ),
    ]);
}

function optionRow(name: string, option: CliOption): Row {
  const flag = `${option.short ? `-${option.short}, ` : ''}--${name}`;
  const value = option.type === 'string' ? ` ${option.value ?? '<value>'}` : '';
  const repeat = option.multiple ? 'repeatable; ' : '';
  const shown = describeDefault(option.default, option.defaultLabel, option.type);
  return [`${flag}${value}`, `${option.description} (${repeat}default: ${shown})`];
}

/** The `--help` text: summary, usage, then every argument, option and environment variable with its default. */
export function formatHelp(command: CliCommand): string {
  const args = (command.arguments ?? []).map((arg): Row => {
    const shown = arg.required ? 'required' : `default: ${arg.defaultLabel ?? 'none'}`;
    return [arg.name, `${arg.description} (${shown})`];
  });
  const options = Object.entries(command.options).map(([name, option]) => optionRow(name, option));
  options.push(['-h, --help', 'print this help and exit']);
  const env = (command.env ?? []).map((variable): Row => [
    variable.name,
    `${variable.description} (default: ${variable.default ?? 'unset'})`,
  ]);
  const lines = [
    `${command.name}: ${command.summary}`,
    '',
    `Usage: ${command.usage}`,
    ...columns([
      ['Arguments', args],
      ['Options', options],
      ['Environment variables', env],
    ]),
  ];
  if (command.details) lines.push('', command.details.trimEnd());
  return `${lines.join('\n')}\n`;
}

/** The text of a usage error: what is wrong in one line, the usage line, and how to get the help. */
export function formatUsageError(command: CliCommand, message: string): string {
  return `${command.name}: ${message}\nUsage: ${command.usage}\nRun \`${helpCommand(command)}\` for every option and environment variable.\n`;
}

function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/**
 * Parses `argv` against the command's declaration, without side effects: `'help'` when help was
 * asked for, the values and positionals otherwise; throws a {@link UsageError} when it does not fit.
 */
export function parseCommandLine<Options extends CliOptions>(
  command: CliCommand<Options>,
  argv: readonly string[],
): CommandLine<Options> | 'help' {
  const options = Object.fromEntries(
    Object.entries(command.options).map(([name, option]) => [
      name,
      {
        type: option.type,
        ...(option.short === undefined ? {} : { short: option.short }),
        ...(option.multiple === undefined ? {} : { multiple: option.multiple }),
        ...(option.default === undefined
          ? {}
          : { default: typeof option.default === 'object' ? [...option.default] : option.default }),
      },
    ]),
  ) as NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    if (asksForHelp(argv)) return 'help';
    // parseArgs' advice on positionals that start with '-' is noise for a mistyped option.
    const message = (error instanceof Error ? error.message : String(error)).replace(
      /\. To specify a positional.*$/s,
      '',
    );
    throw new UsageError(message);
  }
  const { help, ...values } = parsed.values;
  if (help) return 'help';
  const declared = command.arguments ?? [];
  const extra = parsed.positionals[declared.length];
  if (extra !== undefined) {
    throw new UsageError(
      declared.length === 0
        ? `Unexpected argument '${extra}': this command takes none`
        : `Unexpected argument '${extra}'`,
    );
  }
  const missing = declared.find((arg, index) => arg.required && parsed.positionals[index] === undefined);
  if (missing) throw new UsageError(`Missing ${missing.name}: ${missing.description}`);
  return { values: values as CliValues<Options>, positionals: parsed.positionals };
}

/** Ends the command with a usage error: the message, the usage line and the way to the help on stderr; exit 64. */
export function exitWithUsageError(command: CliCommand, message: string, io: CliIo = processIo): never {
  io.stderr(formatUsageError(command, message));
  return io.exit(EXIT_USAGE);
}

/**
 * The command line of a running command (`process.argv` by default): prints the help and exits 0
 * when asked, exits 64 with {@link exitWithUsageError} when it does not fit, returns the values otherwise.
 */
export function readCommandLine<Options extends CliOptions>(
  command: CliCommand<Options>,
  argv: readonly string[] = process.argv.slice(2),
  io: CliIo = processIo,
): CommandLine<Options> {
  let parsed;
  try {
    parsed = parseCommandLine(command, argv);
  } catch (error) {
    if (error instanceof UsageError) return exitWithUsageError(command, error.message, io);
    throw error;
  }
  if (parsed === 'help') {
    io.stdout(formatHelp(command));
    return io.exit(0);
  }
  return parsed;
}
