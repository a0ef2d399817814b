/**
 * Kafka's default partitioner, as the Java client has it: a keyed record goes to
 * `toPositive(murmur2(keyBytes)) % numPartitions`, so one key lands on the same partition whichever
 * Kafka client produced it; a record without a key goes to a "sticky" partition, chosen at random
 * and kept until the batch being filled for it is sent (KIP-480), so unkeyed records fill batches.
 */
import type { Random } from './world.js';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's Utils.murmur2: MurmurHash2, 32 bits, seed 0x9747b28c, little-endian 4-byte blocks. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const o = i * 4;
    let k = data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16) | (data[o + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = blocks * 4;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's clients pick for a key: murmur2 made positive (as Utils.toPositive), modulo the count. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return (murmur2(key) & 0x7fffffff) % numPartitions;
}

/** Sticky partitions for unkeyed records, one per topic, moved on when their batch is sent. */
export class StickyPartitions {
  private readonly current = new Map<string, number>();

  /** `random` picks the partitions (the client's injected Random). */
  constructor(private readonly random: Random) {}

  partition(topic: string, numPartitions: number): number {
    let p = this.current.get(topic);
    if (p === undefined || p >= numPartitions) {
      p = Math.floor(this.random() * numPartitions);
      this.current.set(topic, p);
    }
    return p;
  }

  /** A batch for `partition` was sent: the next unkeyed records go elsewhere. */
  batchSent(topic: string, partition: number, numPartitions: number): void {
    if (this.current.get(topic) !== partition || numPartitions < 2) return;
    const next = Math.floor(this.random() * (numPartitions - 1));
    this.current.set(topic, next >= partition ? next + 1 : next);
  }
}
