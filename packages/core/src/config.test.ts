import { describe, expect, it } from 'vitest';
import { ConfigError, envVar, parseEnv } from './config.js';

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
