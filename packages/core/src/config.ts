import { z } from 'zod';

/** Thrown when the environment cannot be turned into a valid config; names every bad variable. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly processName: string,
    readonly problems: readonly string[],
  ) {
    super(`${processName}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** What a variable's schema says about itself, for `--help` and for error messages. */
export interface EnvVarDoc {
  /** One line: what the variable does. Its default is read from the schema. */
  description: string;
  /**
   * `true`: a secret; no message ever shows its value, only `NAME: what is wrong`. `'url'`: a URL
   * that may carry credentials; shown only when it parses as a URL carrying none (no user info, no
   * query string), so that `DATABASE_URL="mysql://db"` still says what was given.
   */
  secret?: boolean | 'url';
  /** The default as `--help` states it, when the schema's own reads badly (a computed path, a rule). */
  shownDefault?: string;
}

/**
 * The documentation of environment variables, kept on their schemas:
 * `z.string().optional().register(envDocs, { description: '…', secret: true })`, last in the chain
 * (a schema derived after it, e.g. by `.optional()`, is a new schema without the entry).
 */
export const envDocs = z.registry<EnvVarDoc>();

type Shape = Readonly<Record<string, z.ZodType>>;
type Values<S extends Shape> = { [K in keyof S]: z.output<S[K]> };

/** One thing wrong with the configuration, named by the variable to change. */
export interface ConfigProblem {
  readonly variable: string;
  /** What is wrong, never the value of the variable or of any other. */
  readonly message: string;
}

/** A rule over several variables; it runs only when each variable it `reads` parsed. */
export interface ConfigRule {
  readonly reads: readonly string[];
  readonly check: (values: Readonly<Record<string, unknown>>, isSet: (name: string) => boolean) => ConfigProblem[];
}

type Name<T> = keyof T & string;

/** The rules a section (or a process) can state about its variables, typed by their names and values. */
export interface RuleBuilder<T> {
  /** At most one of `names` may be set: otherwise one would win over the others without a word. */
  oneOf(names: readonly Name<T>[], why: string): ConfigRule;
  /** `names` mean something only while `variable` (its default counts) is one of `values`: set otherwise, each is refused. */
  onlyWhen<V extends Name<T>>(names: readonly Name<T>[], variable: V, values: readonly T[V][], why: string): ConfigRule;
  /** `names` mean something only when one of `anyOf` is set: set otherwise, each is refused. */
  onlyWith(names: readonly Name<T>[], anyOf: readonly Name<T>[], why: string): ConfigRule;
  /** Any other rule, over the parsed values of `reads`. */
  check<R extends Name<T>>(
    reads: readonly R[],
    check: (values: Pick<T, R>, isSet: (name: Name<T>) => boolean) => ConfigProblem | undefined,
  ): ConfigRule;
}

function listed(names: readonly string[]): string {
  return names.length < 2 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

function ruleBuilder<T>(): RuleBuilder<T> {
  return {
    oneOf: (names, why) => ({
      reads: [],
      check: (_values, isSet) => {
        const set = names.filter((name) => isSet(name));
        return set.slice(1).map((variable, index) => ({
          variable,
          message: `cannot be set together with ${listed(set.slice(0, index + 1))}: ${why}`,
        }));
      },
    }),
    onlyWhen: (names, variable, allowed, why) => ({
      reads: [variable],
      check: (values, isSet) => {
        const actual = values[variable];
        if ((allowed as readonly unknown[]).includes(actual)) return [];
        return names
          .filter((name) => isSet(name))
          .map((name) => ({ variable: name, message: `has no effect with ${variable}=${String(actual)}: ${why}` }));
      },
    }),
    onlyWith: (names, anyOf, why) => ({
      reads: [],
      check: (_values, isSet) => {
        if (anyOf.some((name) => isSet(name))) return [];
        return names
          .filter((name) => isSet(name))
          .map((name) => ({ variable: name, message: `has no effect without ${listed(anyOf)}: ${why}` }));
      },
    }),
    check: (reads, check) => ({
      reads,
      check: (values, isSet) => {
        const problem = check(values as unknown as Parameters<typeof check>[0], isSet);
        return problem ? [problem] : [];
      },
    }),
  };
}

/**
 * One concern's configuration: its variables (each schema documented in {@link envDocs}, with its
 * default), the mixes of them it refuses, and the typed options it builds from their values.
 */
export interface ConfigSection<S extends Shape = Shape, Out = unknown> {
  readonly shape: S;
  readonly rules?: (rule: RuleBuilder<Values<S>>) => readonly ConfigRule[];
  readonly build: (values: Values<S>) => Out;
}

/** Declares a section; the rules and the builder are typed from the shape. */
export function defineSection<S extends Shape, Out>(section: ConfigSection<S, Out>): ConfigSection<S, Out> {
  return section;
}

// `any` here only to accept every section; each section's own types are kept by the mapped types below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySection = ConfigSection<any, unknown>;
/** A process's sections by key, whatever their shapes. */
export type ConfigSections = Readonly<Record<string, AnySection>>;
type Sections = ConfigSections;
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type SectionValues<S> = S extends ConfigSection<infer Sh, unknown> ? Values<Sh> : never;

/** Every variable of every section, by name and parsed value: what process-wide rules read. */
export type ProcessValues<P extends Sections> = UnionToIntersection<{ [K in keyof P]: SectionValues<P[K]> }[keyof P]>;

/** The process config: each section's options under the section's key. */
export type SectionedConfig<P extends Sections> = { [K in keyof P]: ReturnType<P[K]['build']> };

/** `scheme://user:password@host` → `scheme://***@host`: a value shown in a message keeps no credentials. */
export function redactCredentials(text: string): string {
  return text.replace(/(\/\/)[^/@\s]+@/g, '$1***@');
}

/** Whether a message may not show `value` of the variable whose schema this is. */
function isHidden(schema: z.ZodType, value: string | undefined): boolean {
  const secret = envDocs.get(schema)?.secret;
  if (secret === 'url') return value !== undefined && !isUrlWithoutCredentials(value);
  return secret === true;
}

/** A value that parses as a URL with no user, password or query string (where tokens travel), and no `@` at all. */
function isUrlWithoutCredentials(value: string): boolean {
  if (!URL.canParse(value) || value.includes('@')) return false;
  const url = new URL(value);
  return url.username === '' && url.password === '' && url.search === '';
}

function presentValues(names: readonly string[], env: Env): Record<string, string> {
  return Object.fromEntries(
    names.map((name) => [name, env[name]] as const).filter(([, value]) => value !== undefined && value !== ''),
  ) as Record<string, string>;
}

/** A problem as `NAME="value": what is wrong`; only `NAME: what is wrong` for a hidden value. */
function describeIssue(variable: string, value: string | undefined, message: string, hidden: boolean): string {
  const shown = hidden || value === undefined ? '' : `=${JSON.stringify(redactCredentials(value))}`;
  return `${variable}${shown}: ${message}`;
}

/** Defence in depth: a secret's value never survives in a message, whichever rule or schema wrote it. */
function scrubSecrets(problems: readonly string[], secrets: readonly string[]): string[] {
  return problems.map((problem) =>
    secrets.reduce((text, secret) => (secret.length > 0 ? text.split(secret).join('<redacted>') : text), problem),
  );
}

interface ParsedVariables {
  values: Record<string, unknown>;
  failed: Set<string>;
  problems: string[];
}

function parseVariables(shape: Shape, env: Env): ParsedVariables & { present: Record<string, string> } {
  const present = presentValues(Object.keys(shape), env);
  const parsed: ParsedVariables = { values: {}, failed: new Set(), problems: [] };
  for (const [variable, schema] of Object.entries(shape)) {
    const result = schema.safeParse(present[variable]);
    if (result.success) {
      parsed.values[variable] = result.data;
      continue;
    }
    parsed.failed.add(variable);
    for (const issue of result.error.issues)
      parsed.problems.push(
        describeIssue(variable, present[variable], issue.message, isHidden(schema, present[variable])),
      );
  }
  return { ...parsed, present };
}

function secretValues(shape: Shape, present: Readonly<Record<string, string>>): string[] {
  return Object.entries(shape).flatMap(([name, schema]) =>
    present[name] !== undefined && isHidden(schema, present[name]) ? [present[name]] : [],
  );
}

/**
 * Validates the environment once, at start-up, into a typed object. Empty strings count as unset,
 * so `PORT= npm start` means "the default", as a shell user expects. Every bad variable is named
 * in one {@link ConfigError}; a secret's value never appears in it.
 */
export function parseEnv<S extends Shape>(processName: string, shape: S, env: Env): Values<S> {
  const { values, problems, present } = parseVariables(shape, env);
  if (problems.length > 0) throw new ConfigError(processName, scrubSecrets(problems, secretValues(shape, present)));
  return values as Values<S>;
}

function mergedShape(sections: Sections): Shape {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, section] of Object.entries(sections)) {
    for (const [name, schema] of Object.entries(section.shape as Shape)) {
      if (name in shape) throw new Error(`config section ${key}: ${name} is already declared by another section`);
      shape[name] = schema;
    }
  }
  return shape;
}

/**
 * Builds a process's config from its concerns' sections, once, at start-up: every variable is
 * parsed by its section's schema, every rule (each section's, then the process's own `rules`
 * across sections) is checked, and every problem is reported together in one {@link ConfigError}
 * naming the variables (a secret only by name). Each section then builds its own typed options.
 */
export function parseConfig<P extends Sections>(
  processName: string,
  sections: P,
  env: Env,
  rules?: (rule: RuleBuilder<ProcessValues<P>>) => readonly ConfigRule[],
): SectionedConfig<P> {
  const shape = mergedShape(sections);
  const { values, failed, problems, present } = parseVariables(shape, env);
  const isSet = (name: string) => present[name] !== undefined;
  const allRules = [
    ...Object.values(sections).flatMap((section) => section.rules?.(ruleBuilder()) ?? []),
    ...(rules?.(ruleBuilder()) ?? []),
  ];
  for (const rule of allRules) {
    const unknown = rule.reads.find((name) => !(name in shape));
    if (unknown) throw new Error(`${processName}: a config rule reads ${unknown}, which no section declares`);
    if (rule.reads.some((name) => failed.has(name))) continue;
    for (const problem of rule.check(values, isSet)) problems.push(`${problem.variable}: ${problem.message}`);
  }
  if (problems.length > 0) throw new ConfigError(processName, scrubSecrets(problems, secretValues(shape, present)));
  return Object.fromEntries(
    Object.entries(sections).map(([key, section]) => {
      const own = Object.fromEntries(Object.keys(section.shape as Shape).map((name) => [name, values[name]]));
      return [key, section.build(own)];
    }),
  ) as SectionedConfig<P>;
}

function defaultText(schema: z.ZodType): string {
  const doc = envDocs.get(schema);
  if (doc?.shownDefault !== undefined) return doc.shownDefault;
  if (schema instanceof z.ZodDefault) {
    const value: unknown = schema.def.defaultValue;
    if (Array.isArray(value)) return value.length > 0 ? value.join(',') : 'none';
    if (typeof value === 'object' && value !== null)
      return Object.keys(value).length > 0 ? JSON.stringify(value) : 'none';
    if (typeof value === 'string') return value === '' ? 'none' : value;
    return String(value);
  }
  return 'unset';
}

/** One environment variable as `--help` lists it. */
export interface EnvVarHelp {
  readonly name: string;
  readonly description: string;
  readonly default: string;
}

/**
 * Every variable of the sections, with its description and default, in the order declared: what
 * an entry point's `--help` lists, from the same schemas that parse the environment.
 */
export function describeVariables(sections: Sections): EnvVarHelp[] {
  return Object.values(sections).flatMap((section) =>
    Object.entries(section.shape as Shape).map(([name, schema]) => {
      const doc = envDocs.get(schema);
      if (!doc) throw new Error(`${name} has no description: register it in envDocs`);
      return {
        name,
        description: `${doc.description}${doc.secret === true ? ' (secret: never shown)' : doc.secret === 'url' ? ' (never shown with credentials)' : ''}`,
        default: defaultText(schema),
      };
    }),
  );
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Variable parsers shared by every process, so a port or a flag means the same thing everywhere. */
export const envVar = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback),
  host: () => z.string().min(1).default('127.0.0.1'),
  mode: () => z.enum(['development', 'production', 'test']).default('development'),
  flag: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'], { message: 'expected true, false, 1 or 0' })
      .transform((value) => value === 'true' || value === '1')
      .default(fallback),
  url: () => z.url(),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  logLevel: (fallback: LogLevel) => z.enum(LOG_LEVELS).default(fallback),
  /**
   * `name=value,name=value` (subgraph URLs, per-subgraph timeouts, peer keys): values by name, each
   * read by `value` (undefined refuses it). The value is what follows the first `=`, so a URL may
   * hold one. A refusal quotes the pair, or with `secret` only its name: values that are keys never
   * reach an error message.
   */
  namedValues: <T>(
    expected: string,
    value: (text: string) => T | undefined,
    names = /^[^\s=]+$/,
    { secret = false }: { secret?: boolean } = {},
  ) =>
    z.string().transform((text, context) => {
      const values: Record<string, T> = {};
      const pairs = text
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
      for (const [index, pair] of pairs.entries()) {
        const at = pair.indexOf('=');
        const name = pair.slice(0, Math.max(at, 0));
        const parsed = at > 0 && names.test(name) ? value(pair.slice(at + 1)) : undefined;
        if (parsed === undefined) {
          const shown = !secret ? `"${pair}"` : name ? `the pair for "${name}"` : `pair ${index + 1}`;
          context.addIssue({ code: 'custom', message: `expected ${expected} pairs separated by commas; got ${shown}` });
          return z.NEVER;
        }
        values[name] = parsed;
      }
      return values;
    }),
  /** `REDIS_URL`, where replicas share state: the gateway's (APQ, response cache), an office's (accepted request ids). */
  redisUrl: ({ description, shownDefault }: { description: string; shownDefault: string }) =>
    z
      .url({ protocol: /^rediss?$/, error: 'expected redis://host:port or rediss://host:port' })
      .optional()
      .register(envDocs, { description, secret: 'url', shownDefault }),
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`, read alike by the gateway and every office. */
  otlpEndpoint: () =>
    z.url().optional().register(envDocs, {
      description: 'OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces',
      secret: 'url',
      shownDefault: 'unset: no trace leaves the process',
    }),
};
