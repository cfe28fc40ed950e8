import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { redisFailureReporter } from './redisFailures.js';

describe('redisFailureReporter', () => {
  it('counts every failure but warns once per interval', async () => {
    const lines: { level: number; operation?: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const errors = new Counter({
      name: 'e',
      help: 'e',
      labelNames: ['operation'] as const,
      registers: [new Registry()],
    });
    const report = redisFailureReporter(errors, logger, 60_000);
    report('get', new Error('down'));
    report('get', new Error('down'));
    report('set', new Error('down'));
    expect((await errors.get()).values.map(({ labels, value }) => [labels.operation, value])).toEqual([
      ['get', 2],
      ['set', 1],
    ]);
    expect(lines.map((line) => line.level)).toEqual([40, 20, 20]);
  });
});
