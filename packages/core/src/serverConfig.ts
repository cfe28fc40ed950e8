import { defineCommand } from './cli.js';
import { defineSection, describeVariables, envDocs, envVar, type ConfigSections, type LogLevel } from './config.js';

export type RunMode = 'development' | 'production' | 'test';

/** What every process of the graph needs to serve HTTP (gateway, each office, the embedded stack). */
export interface ServerSettings {
  readonly mode: RunMode;
  readonly host: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  readonly maxBodyBytes: number;
  /** Whether error responses carry stack traces: only in development, and only when asked for. */
  readonly stackTraces: boolean;
}

/** The HTTP server basics as a config section; each process picks its own port and log level defaults. */
export function serverSection(defaults: { port: number; portDescription?: string; logLevel?: LogLevel }) {
  return defineSection({
    shape: {
      NODE_ENV: envVar.mode().register(envDocs, {
        description: '`development`, `test` or `production` (production: no stacks or internals in answers)',
      }),
      HOST: envVar.host().register(envDocs, { description: 'the interface to listen on' }),
      PORT: envVar.port(defaults.port).register(envDocs, {
        description: defaults.portDescription ?? 'the port to listen on; 0 picks a free one',
      }),
      LOG_LEVEL: envVar.logLevel(defaults.logLevel ?? 'info').register(envDocs, {
        description: 'fatal, error, warn, info, debug, trace or silent',
      }),
      MAX_BODY_BYTES: envVar.positiveInt(1_048_576).register(envDocs, {
        description: 'the largest request body accepted; a larger one gets 413 PAYLOAD_TOO_LARGE',
      }),
      ERROR_STACK_TRACES: envVar.flag(false).register(envDocs, {
        description: 'true puts stack traces in error responses (NODE_ENV=development only), for debugging a resolver',
      }),
    },
    // A stack in a response tells an attacker the code's shape, and fills a frontend's error display.
    rules: (rule) => [
      rule.onlyWhen(['ERROR_STACK_TRACES'], 'NODE_ENV', ['development'], 'stack traces never leave other modes'),
    ],
    build: (values): ServerSettings => ({
      mode: values.NODE_ENV,
      host: values.HOST,
      port: values.PORT,
      logLevel: values.LOG_LEVEL,
      maxBodyBytes: values.MAX_BODY_BYTES,
      stackTraces: values.NODE_ENV === 'development' && values.ERROR_STACK_TRACES,
    }),
  });
}

/**
 * The command line of a process entry point (gateway, an office, the stack): no option but
 * `--help`, which lists every variable of its config sections with its default.
 */
export function entryPointCommand(entry: { name: string; summary: string; usage?: string; sections: ConfigSections }) {
  return defineCommand({
    name: entry.name,
    summary: entry.summary,
    usage: entry.usage ?? entry.name,
    options: {},
    env: describeVariables(entry.sections),
    details:
      'Exit codes: 0 stopped on SIGINT/SIGTERM, 1 failed, 64 bad usage, 78 invalid configuration (every problem listed).',
  });
}
