import { describe, expect, it } from 'vitest';
import { EventQueue } from './eventQueue.js';

describe('EventQueue', () => {
  it('hands events out in the order they came, even when later ones resolve first', async () => {
    const queue = new EventQueue<number>(
      10,
      () => undefined,
      () => undefined,
    );
    let resolveFirst: (value: number) => void = () => undefined;
    queue.push(new Promise<number>((resolve) => (resolveFirst = resolve)));
    queue.push(2);
    const first = queue.next();
    resolveFirst(1);
    expect(await first).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
  });

  it('a reader waiting gets the next event, and the end after the last', async () => {
    const queue = new EventQueue<string>(
      10,
      () => undefined,
      () => undefined,
    );
    const waiting = queue.next();
    queue.push('a');
    expect(await waiting).toEqual({ value: 'a', done: false });
    queue.end('last');
    expect(await queue.next()).toEqual({ value: 'last', done: false });
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('past the limit, drops what waits, ends with the overflow payload, and holds nothing more', async () => {
    let overflows = 0;
    let ended = 0;
    const queue = new EventQueue<string>(
      2,
      () => {
        overflows++;
        return 'too slow';
      },
      () => ended++,
    );
    queue.push('a');
    queue.push('b');
    queue.push('c');
    queue.push('d');
    expect({ overflows, ended, size: queue.size }).toEqual({ overflows: 1, ended: 1, size: 1 });
    expect(await queue.next()).toEqual({ value: 'too slow', done: false });
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('counts what the transport holds against the limit', () => {
    let overflows = 0;
    const queue = new EventQueue<string>(
      3,
      () => void overflows++,
      () => undefined,
    );
    queue.heldByTransport = () => 2;
    queue.push('a');
    queue.push('b');
    expect(overflows).toBe(1);
  });

  it('return (the client left) ends it once and drops what waits', async () => {
    let ended = 0;
    const queue = new EventQueue<string>(
      5,
      () => undefined,
      () => ended++,
    );
    queue.push('a');
    await queue.return();
    await queue.throw();
    queue.push('b');
    expect(ended).toBe(1);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    await queue.done;
  });
});
