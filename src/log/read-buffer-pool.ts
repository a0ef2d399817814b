/**
 * Buffers for fetch reads, reused from one response to the next. On Linux a freshly allocated
 * buffer of a MiB or more is fresh mmap'd memory, and its page faults cost about as much as
 * reading the same bytes from the page cache; reusing the memory roughly doubled one consumer's
 * fetch rate (docs/broker.md).
 *
 * A lease hands out buffers for one response and returns them all at once, when the caller knows
 * nothing refers to them any more (the fetch response is written to the socket). Buffers come in
 * power-of-two sizes from 64 KiB to 16 MiB; larger reads are allocated fresh. At most
 * `maxIdleBytes` wait in the pool; what is released beyond that is left to the garbage collector.
 */

/** Where a read's buffers come from: a fresh buffer of `size` bytes each call. */
export interface BufferSource {
  take(size: number): Buffer;
}

const MIN_CLASS_BYTES = 64 * 1024;
const MAX_CLASS_BYTES = 16 * 1024 * 1024;

export class ReadBufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private idleBytes = 0;

  constructor(private readonly maxIdleBytes: number) {}

  /** Bytes waiting in the pool for the next lease. */
  get idle(): number {
    return this.idleBytes;
  }

  lease(): ReadBufferLease {
    return new ReadBufferLease(this);
  }

  /** @internal A buffer of at least `size` bytes of a pooled size class, or undefined above the classes. */
  acquire(size: number): Buffer | undefined {
    if (size > MAX_CLASS_BYTES) return undefined;
    let cls = MIN_CLASS_BYTES;
    while (cls < size) cls *= 2;
    const reused = this.free.get(cls)?.pop();
    if (reused) {
      this.idleBytes -= reused.length;
      return reused;
    }
    return Buffer.allocUnsafeSlow(cls);
  }

  /** @internal */
  giveBack(buf: Buffer): void {
    if (this.idleBytes + buf.length > this.maxIdleBytes) return;
    let list = this.free.get(buf.length);
    if (!list) this.free.set(buf.length, (list = []));
    list.push(buf);
    this.idleBytes += buf.length;
  }
}

export class ReadBufferLease implements BufferSource {
  private held: Buffer[] = [];
  private released = false;

  constructor(private readonly pool: ReadBufferPool) {}

  take(size: number): Buffer {
    if (this.released) throw new Error('read buffer lease used after release');
    const buf = this.pool.acquire(size);
    if (!buf) return Buffer.allocUnsafe(size);
    this.held.push(buf);
    return buf.subarray(0, size);
  }

  /** Returns every buffer taken; nothing may use them afterwards. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const b of this.held) this.pool.giveBack(b);
    this.held = [];
  }
}
