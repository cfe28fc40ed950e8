/**
 * The events on their way to one client, in order, bounded. Each is queued as soon as its office
 * sends it, as the promise of its payload (other offices' fields are still being fetched), so that
 * payloads resolve concurrently but leave in order. A client that reads slower than events come
 * lets the queue fill: at `limit` waiting events `onOverflow` runs once (the transport drops the
 * client), what waits is dropped and the stream ends, so a slow client never costs the gateway more
 * than `limit` events.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly waiting: Promise<T>[] = [];
  private reader: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;
  private overflowed = false;
  private settle: () => void = () => undefined;
  /** Settles once the queue has ended, whatever ended it. */
  readonly done = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(
    private readonly limit: number,
    /** The client is too slow: what is waiting is dropped, and the stream ends with what this returns, if anything. */
    private readonly onOverflow: () => T | undefined,
    /** Runs once when the queue ends for any reason (the client left, the stream ended): release what feeds it. */
    private readonly onEnd: () => void,
  ) {}

  /** Events the transport has read so far. */
  taken = 0;
  /**
   * Events the transport has read but still holds (a library's own queue before the socket): they
   * count against the limit too.
   */
  heldByTransport: () => number = () => 0;

  /** Events queued and not yet read by the client's transport. */
  get size(): number {
    return this.waiting.length;
  }

  /** Queues an event (a payload, or the promise of one); past the limit the client is too slow. */
  push(event: T | Promise<T>): void {
    if (this.ended) return;
    if (this.waiting.length + this.heldByTransport() >= this.limit) {
      if (!this.overflowed) {
        this.overflowed = true;
        this.waiting.length = 0;
        this.end(this.onOverflow());
      }
      return;
    }
    this.waiting.push(Promise.resolve(event));
    this.wake();
  }

  /** Ends the stream once what is queued (and `last`, if given) has been read. */
  end(last?: T): void {
    if (this.ended) return;
    if (last !== undefined) this.waiting.push(Promise.resolve(last));
    this.ended = true;
    this.onEnd();
    this.settle();
    this.wake();
  }

  async next(): Promise<IteratorResult<T>> {
    const head = this.waiting[0];
    if (head) {
      const value = await head;
      void this.waiting.shift();
      this.taken++;
      return { value, done: false };
    }
    if (this.ended) return { value: undefined, done: true };
    return new Promise<IteratorResult<T>>((resolve) => (this.reader = resolve)).then((result) =>
      result.done ? result : this.next(),
    );
  }

  /** The client is gone (it completed, or its connection closed): drop what waits. */
  async return(): Promise<IteratorResult<T>> {
    this.waiting.length = 0;
    if (!this.ended) {
      this.ended = true;
      this.onEnd();
      this.settle();
    }
    this.wake();
    return { value: undefined, done: true };
  }

  /** As `return` (graphql-sse ends only what has `throw` too: an async generator's shape). */
  async throw(): Promise<IteratorResult<T>> {
    return this.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private wake(): void {
    const reader = this.reader;
    if (!reader) return;
    this.reader = undefined;
    // `done: false` only asks `next` to look again: the value is read from the queue.
    reader(
      this.waiting.length > 0 || !this.ended
        ? { value: undefined as never, done: false }
        : { value: undefined, done: true },
    );
  }
}
