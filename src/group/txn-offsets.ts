/**
 * Offsets committed inside transactions (TxnOffsetCommit), as Kafka's GroupMetadata keeps them:
 * durable in __consumer_offsets but pending, per producer id, until the producer's transaction
 * marker reaches the group's partition — a COMMIT makes them the group's committed offsets, an
 * ABORT drops them. A pending offset replaces the committed one only if it was written after it
 * (Kafka compares their log offsets; here the order in which writes became durable, which is log
 * order within a partition), so a plain commit made after the transactional one wins.
 */
import type { CommittedOffset } from './offset-cache.js';

export interface PendingTxnOffset {
  group: string;
  topic: string;
  partition: number;
  committed: CommittedOffset;
}

export class PendingTxnOffsets {
  private readonly byProducer = new Map<bigint, Map<string, PendingTxnOffset>>();

  private static key(group: string, topic: string, partition: number): string {
    return `${group}\u0000${topic}\u0000${partition}`;
  }

  /** A transactional commit became durable (or was replayed at load). */
  add(producerId: bigint, o: PendingTxnOffset): void {
    let m = this.byProducer.get(producerId);
    if (!m) this.byProducer.set(producerId, (m = new Map()));
    m.set(PendingTxnOffsets.key(o.group, o.topic, o.partition), o);
  }

  /** Whether a transaction not yet decided holds an offset for the group's partition (OffsetFetch require_stable). */
  hasPending(group: string, topic: string, partition: number): boolean {
    const key = PendingTxnOffsets.key(group, topic, partition);
    for (const m of this.byProducer.values()) if (m.has(key)) return true;
    return false;
  }

  /** Whether any transaction not yet decided holds offsets of the group. */
  hasPendingForGroup(group: string): boolean {
    for (const m of this.byProducer.values()) for (const o of m.values()) if (o.group === group) return true;
    return false;
  }

  /**
   * The producer's transaction ended in the partitions for which `inPartition` is true: returns
   * its pending offsets there (to apply when committed) and forgets them.
   */
  take(producerId: bigint, inPartition: (group: string) => boolean): PendingTxnOffset[] {
    const m = this.byProducer.get(producerId);
    if (!m) return [];
    const out: PendingTxnOffset[] = [];
    for (const [key, o] of m) {
      if (!inPartition(o.group)) continue;
      out.push(o);
      m.delete(key);
    }
    if (m.size === 0) this.byProducer.delete(producerId);
    return out;
  }

  /** A group is deleted: its pending offsets go too. */
  removeGroup(group: string): void {
    this.removeWhere((o) => o.group === group);
  }

  /** Forgets the pending offsets `matches` accepts (their group's partition moved to another coordinator, their topic was deleted). */
  removeWhere(matches: (o: PendingTxnOffset) => boolean): void {
    for (const [pid, m] of this.byProducer) {
      for (const [key, o] of m) if (matches(o)) m.delete(key);
      if (m.size === 0) this.byProducer.delete(pid);
    }
  }

  /** Producers with offsets pending. */
  get producers(): number {
    return this.byProducer.size;
  }
}
