/**
 * Kafka's SkimpyOffsetMap: key -> latest offset in a fixed buffer, so the cleaner's memory is
 * bounded by configuration, not by the number of keys. Each slot holds the key's MD5 (16 bytes,
 * so collisions are not a practical concern) and offset + 1 (8 bytes; 0 marks an empty slot);
 * open addressing with linear probing; "full" at the load factor, when the cleaner stops adding
 * and cleans only up to the last offset it mapped.
 */
// Only hashing (deterministic) is used from crypto.
// eslint-disable-next-line no-restricted-imports
import * as crypto from 'node:crypto';

const HASH_BYTES = 16;
const SLOT_BYTES = HASH_BYTES + 8;

/** crypto.hash (Node 20.12+) avoids a Hash object per key; createHash is the fallback. */
const md5: (data: Buffer) => Buffer =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (data) => (crypto as unknown as { hash(alg: string, data: Buffer, enc: 'buffer'): Buffer }).hash('md5', data, 'buffer')
    : (data) => crypto.createHash('md5').update(data).digest();

export class OffsetMap {
  private readonly slots: Buffer;
  private readonly slotCount: number;
  private readonly maxEntries: number;
  private entries = 0;
  /** The largest offset put since the last clear (-1 when none). */
  latestOffset = -1n;

  constructor(memoryBytes: number, loadFactor = 0.9) {
    this.slotCount = Math.max(2, Math.floor(memoryBytes / SLOT_BYTES));
    this.slots = Buffer.alloc(this.slotCount * SLOT_BYTES);
    this.maxEntries = Math.max(1, Math.floor(this.slotCount * loadFactor));
  }

  get size(): number {
    return this.entries;
  }

  get capacity(): number {
    return this.maxEntries;
  }

  get isFull(): boolean {
    return this.entries >= this.maxEntries;
  }

  get memoryBytes(): number {
    return this.slots.length;
  }

  clear(): void {
    this.slots.fill(0);
    this.entries = 0;
    this.latestOffset = -1n;
  }

  /** Records `offset` as the latest for `key` (later offsets replace earlier ones). */
  put(key: Buffer, offset: bigint): void {
    const hash = md5(key);
    const slot = this.findSlot(hash);
    const at = slot * SLOT_BYTES;
    if (this.slots.readBigInt64BE(at + HASH_BYTES) === 0n) {
      if (this.isFull) throw new RangeError('offset map is full');
      hash.copy(this.slots, at);
      this.entries++;
    }
    this.slots.writeBigInt64BE(offset + 1n, at + HASH_BYTES);
    if (offset > this.latestOffset) this.latestOffset = offset;
  }

  /** The latest offset recorded for `key`, or -1. */
  get(key: Buffer): bigint {
    const hash = md5(key);
    const at = this.findSlot(hash) * SLOT_BYTES;
    const stored = this.slots.readBigInt64BE(at + HASH_BYTES);
    return stored === 0n ? -1n : stored - 1n;
  }

  /** The slot holding `hash`, or the empty slot where it would go. */
  private findSlot(hash: Buffer): number {
    let slot = hash.readUInt32BE(0) % this.slotCount;
    for (;;) {
      const at = slot * SLOT_BYTES;
      if (this.slots.readBigInt64BE(at + HASH_BYTES) === 0n) return slot;
      if (this.slots.compare(hash, 0, HASH_BYTES, at, at + HASH_BYTES) === 0) return slot;
      slot = slot + 1 === this.slotCount ? 0 : slot + 1;
    }
  }
}
