/**
 * Buffers for request frames, reused from one request to the next. A produce request of a MiB
 * arrives over many socket reads and is assembled in a buffer of its own; allocating that buffer
 * fresh for every request costs page faults and, because the bytes live outside V8's heap, full
 * mark-compact collections that V8 starts to keep external memory in check (28 in two seconds of
 * kcat producing 100 B records: docs/broker.md, Performance).
 *
 * A frame taken from the pool is a view of a pooled buffer. Whoever knows that nothing refers to
 * the frame's bytes any more (the dispatcher, once a produce request's appends are written)
 * releases it; a frame never released (any other request's, one held back by a quota, one of a
 * connection that closed mid-frame) is left to the garbage collector: the pool remembers what it
 * handed out only weakly, so it never keeps such a frame alive. Buffers come in
 * size classes of four steps per power of two from 64 KiB to 16 MiB (at most 25% unused); at
 * most `maxIdleBytes` wait in the pool.
 */

const MIN_CLASS_BYTES = 64 * 1024;
const MAX_CLASS_BYTES = 16 * 1024 * 1024;

/** The smallest size class holding `size` bytes (size within the classes). */
export function frameSizeClass(size: number): number {
  let base = MIN_CLASS_BYTES;
  while (base * 2 <= size) base *= 2;
  if (size <= base) return base;
  const step = base / 4;
  return base + Math.ceil((size - base) / step) * step;
}

export class FramePool {
  private readonly free = new Map<number, Buffer[]>();
  /**
   * The memory of pooled buffers handed out, so that only those come back. Weak: most frames are
   * never released (only produce requests' are), and a strong reference here kept every one of
   * them, ~1 MiB per large request, for the broker's life.
   */
  private readonly leased = new WeakSet<ArrayBufferLike>();
  private idleBytes = 0;

  constructor(private readonly maxIdleBytes: number) {}

  /** Bytes waiting in the pool. */
  get idle(): number {
    return this.idleBytes;
  }

  /** A buffer of exactly `size` bytes: a view of a pooled buffer within the size classes, else fresh. */
  take(size: number): Buffer {
    if (size < MIN_CLASS_BYTES || size > MAX_CLASS_BYTES) return Buffer.allocUnsafe(size);
    const cls = frameSizeClass(size);
    let whole = this.free.get(cls)?.pop();
    if (whole) this.idleBytes -= whole.length;
    else whole = Buffer.allocUnsafeSlow(cls);
    this.leased.add(whole.buffer);
    return whole.subarray(0, size);
  }

  /**
   * `frame` (or any view of a buffer from `take`) will not be read again: its buffer may serve the
   * next frame. Anything else is ignored, and so is a second release.
   */
  release(frame: Buffer): void {
    if (!this.leased.delete(frame.buffer)) return;
    // A pooled buffer is the whole of its memory (allocUnsafeSlow): a view of all of it is the buffer.
    const whole = Buffer.from(frame.buffer);
    if (this.idleBytes + whole.length > this.maxIdleBytes) return;
    let list = this.free.get(whole.length);
    if (!list) this.free.set(whole.length, (list = []));
    list.push(whole);
    this.idleBytes += whole.length;
  }
}
