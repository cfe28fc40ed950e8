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

/**
 * Validates the environment once, at start-up, into a typed object. Empty strings count as unset,
 * so `PORT= npm start` means "the default", as a shell user expects.
 */
export function parseEnv<Shape extends z.ZodRawShape>(
  processName: string,
  shape: Shape,
  env: Env,
): z.infer<z.ZodObject<Shape>> {
  const present = Object.fromEntries(
    Object.keys(shape)
      .map((key) => [key, env[key]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = z.object(shape).safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.join('.');
    const value = present[variable];
    return `${variable}${value === undefined ? '' : `=${JSON.stringify(value)}`}: ${issue.message}`;
  });
  throw new ConfigError(processName, problems);
}

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
};
