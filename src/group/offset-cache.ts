/**
 * Committed offsets by group, topic and partition: always what replaying __consumer_offsets up to
 * the last durable write gives (commits are applied once durable, in log order), so a restart
 * loads exactly what clients were told was committed.
 */
import type { CoordinatorRecord, OffsetCommitValue } from './coordinator-records.js';

export interface CommittedOffset {
  offset: bigint;
  /** -1 when unknown. */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Set when the commit asked for its own retention (OffsetCommit v2-v4). */
  expireTimestamp: number | null;
  /** When it became durable, in the coordinator's log order (a later write wins over an earlier one). */
  appendSeq?: number;
}

type OffsetRecord = Extract<CoordinatorRecord, { type: 'offset' }>;

export function toCommittedOffset(v: OffsetCommitValue): CommittedOffset {
  return {
    offset: v.offset,
    leaderEpoch: v.leaderEpoch,
    metadata: v.metadata,
    commitTimestamp: Number(v.commitTimestamp),
    expireTimestamp: v.expireTimestamp < 0n ? null : Number(v.expireTimestamp),
  };
}

export function offsetRecord(group: string, topic: string, partition: number, c: CommittedOffset | null): OffsetRecord {
  const value: OffsetCommitValue | null =
    c === null
      ? null
      : { offset: c.offset, leaderEpoch: c.leaderEpoch, metadata: c.metadata, commitTimestamp: BigInt(c.commitTimestamp), expireTimestamp: c.expireTimestamp === null ? -1n : BigInt(c.expireTimestamp) };
  return { type: 'offset', group, topic, partition, value };
}

export class OffsetCache {
  private readonly byGroup = new Map<string, Map<string, Map<number, CommittedOffset>>>();

  /** Applies an offset commit or its tombstone; `appendSeq` orders it against transactional commits. */
  replay(r: OffsetRecord, appendSeq = 0): void {
    if (r.value === null) {
      const topics = this.byGroup.get(r.group);
      const partitions = topics?.get(r.topic);
      partitions?.delete(r.partition);
      if (partitions?.size === 0) topics!.delete(r.topic);
      if (topics?.size === 0) this.byGroup.delete(r.group);
      return;
    }
    let topics = this.byGroup.get(r.group);
    if (!topics) this.byGroup.set(r.group, (topics = new Map()));
    let partitions = topics.get(r.topic);
    if (!partitions) topics.set(r.topic, (partitions = new Map()));
    partitions.set(r.partition, { ...toCommittedOffset(r.value), appendSeq });
  }

  /** A transactional commit's offset, if nothing was committed after it was written (Kafka's olderThan). */
  applyTransactional(group: string, topic: string, partition: number, c: CommittedOffset): void {
    const current = this.get(group, topic, partition);
    if (current && (current.appendSeq ?? 0) > (c.appendSeq ?? 0)) return;
    let topics = this.byGroup.get(group);
    if (!topics) this.byGroup.set(group, (topics = new Map()));
    let partitions = topics.get(topic);
    if (!partitions) topics.set(topic, (partitions = new Map()));
    partitions.set(partition, c);
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition);
  }

  hasOffsets(group: string): boolean {
    return this.byGroup.has(group);
  }

  /** Every offset of a group, topic by topic. */
  topics(group: string): ReadonlyMap<string, ReadonlyMap<number, CommittedOffset>> {
    return this.byGroup.get(group) ?? new Map();
  }

  groups(): IterableIterator<string> {
    return this.byGroup.keys();
  }

  /** Forgets a group's offsets (its partition of __consumer_offsets is served elsewhere now). */
  forget(group: string): void {
    this.byGroup.delete(group);
  }

  /** Tombstones for every offset of a group (of the given topics only, when given). */
  tombstones(group: string, only?: ReadonlySet<string>): OffsetRecord[] {
    const out: OffsetRecord[] = [];
    for (const [topic, partitions] of this.topics(group)) if (!only || only.has(topic)) for (const p of partitions.keys()) out.push(offsetRecord(group, topic, p, null));
    return out;
  }
}
