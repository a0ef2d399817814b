/**
 * Splits a byte stream into Kafka frames: a 4-byte big-endian size, then that many bytes.
 *
 * The size is checked against a limit (Kafka's `socket.request.max.bytes`) before anything is
 * allocated for the frame. A frame that arrives whole inside one chunk is returned as a view of
 * that chunk; a frame spread over chunks is copied once into a buffer of its exact size, or read
 * straight into it (`directTarget` / `filledDirectly`) when the reader's owner can do that.
 */
import { SamsaError } from '../protocol/samsa-error.js';

export class FrameError extends SamsaError {
  constructor(message: string) {
    super('SAMSA_FRAME', message);
  }
}

export class FrameReader {
  /** Bytes of a size prefix received so far (a prefix can be split across chunks). */
  private readonly sizeBytes = Buffer.alloc(4);
  private sizeFilled = 0;
  /** The frame being assembled across chunks, and how much of it is filled. */
  private frame: Buffer | undefined;
  private frameFilled = 0;

  /**
   * With `reusedChunks`, the caller refills the same chunk buffer after each push (a socket's
   * `onread` buffer), so every frame is copied out of it, even one wholly inside a chunk.
   * `allocate` gives the buffer of a frame assembled across chunks (a FramePool's `take`).
   */
  constructor(
    private readonly maxFrameBytes: number,
    private readonly options: { reusedChunks?: boolean; allocate?: (size: number) => Buffer } = {},
  ) {}

  /** Bytes held for an incomplete frame (for per-connection memory accounting). */
  get pendingBytes(): number {
    return this.sizeFilled + this.frameFilled;
  }

  /** Feeds a chunk; returns the frames it completes. Throws FrameError on an invalid size. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.frame === undefined) {
        if (this.sizeFilled === 0 && chunk.length - pos >= 4) {
          const size = this.checkSize(chunk.readInt32BE(pos));
          pos += 4;
          if (chunk.length - pos >= size) {
            const view = chunk.subarray(pos, pos + size);
            frames.push(this.options.reusedChunks ? this.copyOut(view) : view);
            pos += size;
            continue;
          }
          this.startFrame(size);
        } else {
          const n = Math.min(4 - this.sizeFilled, chunk.length - pos);
          chunk.copy(this.sizeBytes, this.sizeFilled, pos, pos + n);
          this.sizeFilled += n;
          pos += n;
          if (this.sizeFilled < 4) break;
          this.sizeFilled = 0;
          this.startFrame(this.checkSize(this.sizeBytes.readInt32BE(0)));
        }
      }
      const frame = this.frame!;
      const n = Math.min(frame.length - this.frameFilled, chunk.length - pos);
      chunk.copy(frame, this.frameFilled, pos, pos + n);
      pos += n;
      const complete = this.filled(n);
      if (complete) frames.push(complete);
    }
    return frames;
  }

  /**
   * Where the next socket read may land directly: the unfilled rest of the frame being assembled,
   * when at least `minBytes` of it are missing (a read into it cannot take bytes past the frame).
   */
  directTarget(minBytes: number): Buffer | undefined {
    const frame = this.frame;
    return frame && frame.length - this.frameFilled >= minBytes ? frame.subarray(this.frameFilled) : undefined;
  }

  /** `n` bytes were read into the last `directTarget`; returns the frame if that completed it. */
  filledDirectly(n: number): Buffer[] {
    const complete = this.filled(n);
    return complete ? [complete] : [];
  }

  /** `n` more bytes of the frame being assembled are in; returns it once complete. */
  private filled(n: number): Buffer | undefined {
    const frame = this.frame!;
    this.frameFilled += n;
    if (this.frameFilled < frame.length) return undefined;
    this.frame = undefined;
    this.frameFilled = 0;
    return frame;
  }

  private checkSize(size: number): number {
    if (size < 0) throw new FrameError(`negative frame size ${size}`);
    if (size > this.maxFrameBytes) throw new FrameError(`frame of ${size} bytes exceeds the limit of ${this.maxFrameBytes}`);
    return size;
  }

  private copyOut(view: Buffer): Buffer {
    if (!this.options.allocate) return Buffer.from(view);
    const copy = this.options.allocate(view.length);
    view.copy(copy);
    return copy;
  }

  private startFrame(size: number): void {
    this.frame = this.options.allocate ? this.options.allocate(size) : Buffer.allocUnsafe(size);
    this.frameFilled = 0;
  }
}
