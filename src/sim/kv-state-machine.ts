/**
 * The simulator's state machine: a key-value map built from committed records `key=value`. It
 * keeps an order-independent digest of its contents (a sum of per-entry hashes in two 32-bit
 * lanes, updated as keys change), so the checker can compare any node's state with the state
 * rebuilt from the committed log in constant time.
 */
import type { CommittedBatch, RaftListener } from '../controller/raft/raft-core.js';
import type { LeaderAndEpoch } from '../controller/raft/offset-and-epoch.js';
import type { SnapshotContents } from '../controller/raft/snapshots.js';

function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** An order-independent digest of a map's entries. */
export class MapDigest {
  private a = 0;
  private b = 0;

  private static pair(key: string, value: string): [number, number] {
    const t = `${key}\u0000${value}`;
    return [fnv1a(t, 0x811c9dc5), fnv1a(t, 0x2166136b)];
  }

  add(key: string, value: string): void {
    const [x, y] = MapDigest.pair(key, value);
    this.a = (this.a + x) >>> 0;
    this.b = (this.b + y) >>> 0;
  }

  remove(key: string, value: string): void {
    const [x, y] = MapDigest.pair(key, value);
    this.a = (this.a - x) >>> 0;
    this.b = (this.b - y) >>> 0;
  }

  get value(): string {
    return `${this.a.toString(16)}:${this.b.toString(16)}`;
  }
}

/** Applies one `key=value` record to a map and its digest. */
export function applyKvRecord(map: Map<string, string>, digest: MapDigest, record: Buffer): void {
  const text = record.toString('utf8');
  const eq = text.indexOf('=');
  if (eq < 0) return;
  const key = text.slice(0, eq);
  const value = text.slice(eq + 1);
  const old = map.get(key);
  if (old !== undefined) digest.remove(key, old);
  map.set(key, value);
  digest.add(key, value);
}

export interface KvObserver {
  /** The state moved to `appliedOffset` (after a batch or a snapshot load). */
  onState(nodeId: number, appliedOffset: number, digest: string, fromSnapshot: boolean): void;
}

export class KvStateMachine implements RaftListener {
  readonly map = new Map<string, string>();
  private digest = new MapDigest();
  appliedOffset = 0;
  readonly leaderChanges: LeaderAndEpoch[] = [];

  constructor(
    readonly nodeId: number,
    private readonly observer?: KvObserver,
  ) {}

  get digestValue(): string {
    return this.digest.value;
  }

  handleCommit(batch: CommittedBatch): void {
    for (const r of batch.records) applyKvRecord(this.map, this.digest, r);
    this.appliedOffset = batch.lastOffset + 1;
    this.observer?.onState(this.nodeId, this.appliedOffset, this.digest.value, false);
  }

  handleLoadSnapshot(snapshot: SnapshotContents): void {
    this.map.clear();
    this.digest = new MapDigest();
    for (const r of snapshot.records) applyKvRecord(this.map, this.digest, r);
    this.appliedOffset = snapshot.id.offset;
    this.observer?.onState(this.nodeId, this.appliedOffset, this.digest.value, true);
  }

  handleLeaderChange(leader: LeaderAndEpoch): void {
    this.leaderChanges.push(leader);
  }

  snapshotRecords(): Buffer[] {
    return [...this.map].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([k, v]) => Buffer.from(`${k}=${v}`));
  }
}
