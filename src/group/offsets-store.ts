/**
 * Where the coordinator keeps its records: partitions of the compacted internal topic
 * __consumer_offsets. The coordinator depends on this narrow interface only, so it runs and is
 * tested without a network or a log; `logOffsetsStore` adapts the storage engine's partition logs
 * and `MemoryOffsetsStore` serves unit tests.
 */
import { iterateBatches } from '../protocol/records/index.js';

/** How a transactional batch is appended: with the KIP-890 guard its partition gave before verification. */
export interface StoreAppendOptions {
  verification?: { guard: object | undefined };
}

export interface OffsetsStore {
  /** Appends one record batch (magic v2) to a partition; resolves once durable, in call order per partition. */
  append(partition: number, batch: Buffer, opts?: StoreAppendOptions): Promise<void>;
  /** The partition's batches from its start to its current end, in chunks of whole batches. */
  read(partition: number): AsyncIterable<Buffer>;
}

/** What `logOffsetsStore` needs of a partition log (the storage engine's PartitionLog provides it). */
export interface OffsetsPartitionLog {
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  append(batches: Buffer, opts?: StoreAppendOptions): Promise<unknown>;
  read(offset: bigint, maxBytes: number, opts?: { minOneBatch?: boolean }): Promise<{ chunks: Buffer[] }>;
}

export class OffsetsStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OffsetsStoreError';
  }
}

/** An OffsetsStore over the partition logs of __consumer_offsets; `getLog` returns undefined for a missing one. */
export function logOffsetsStore(getLog: (partition: number) => OffsetsPartitionLog | undefined, loadBufferSize: number): OffsetsStore {
  const logOf = (p: number): OffsetsPartitionLog => {
    const log = getLog(p);
    if (!log) throw new OffsetsStoreError(`__consumer_offsets-${p} has no log`);
    return log;
  };
  return {
    async append(partition, batch, opts) {
      await logOf(partition).append(batch, opts);
    },
    read(partition) {
      return readLog(logOf(partition), loadBufferSize);
    },
  };
}

async function* readLog(log: OffsetsPartitionLog, maxBytes: number): AsyncGenerator<Buffer> {
  const end = log.logEndOffset;
  let offset = log.logStartOffset;
  while (offset < end) {
    const { chunks } = await log.read(offset, maxBytes, { minOneBatch: true });
    let next = offset;
    for (const chunk of chunks) {
      next = nextOffsetAfter(chunk, next);
      yield chunk;
    }
    // Nothing new (an empty read, or batches behind the position): stop rather than spin.
    if (next <= offset) return;
    offset = next;
  }
}

/** The offset after the last whole batch in `chunk` (base offset + last offset delta + 1). */
function nextOffsetAfter(chunk: Buffer, fallback: bigint): bigint {
  let next = fallback;
  for (const span of iterateBatches(chunk)) {
    if (!span.complete) break;
    const last = span.header.baseOffset + BigInt(span.header.lastOffsetDelta);
    if (last + 1n > next) next = last + 1n;
  }
  return next;
}

/** An in-memory store for tests: keeps every batch, can be told to fail or to hold appends. */
export class MemoryOffsetsStore implements OffsetsStore {
  readonly partitions = new Map<number, Buffer[]>();
  /** When set, appends reject with this error. */
  failWith: Error | undefined;
  private held: (() => void)[] | undefined;

  async append(partition: number, batch: Buffer, _opts?: StoreAppendOptions): Promise<void> {
    if (this.failWith) throw this.failWith;
    const list = this.partitions.get(partition) ?? [];
    this.partitions.set(partition, list);
    list.push(Buffer.from(batch));
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
  }

  async *read(partition: number): AsyncGenerator<Buffer> {
    for (const b of [...(this.partitions.get(partition) ?? [])]) yield b;
  }

  /** Appends from now on stay pending until `release()`. */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const resolve of waiting) resolve();
  }

  get batchCount(): number {
    let n = 0;
    for (const list of this.partitions.values()) n += list.length;
    return n;
  }
}
