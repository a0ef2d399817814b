/**
 * The final check of the partition simulation, one partition at a time: what the final leader's
 * log holds against what the clients were told (partition-workload.ts) and what the other in-sync
 * replicas hold. Unclean elections (`UncleanElection`) explain exactly one kind of loss: a record
 * acknowledged in an earlier leader epoch that the unclean leader did not have when it took over
 * (Kafka's documented price of `unclean.leader.election.enable`); everything else must hold as in
 * a clean run.
 */
import { decodeRecordBatch, iterateBatches } from '../protocol/records/index.js';
import type { PsimBroker } from './partition-sim-broker.js';
import { PSIM_TOPIC, type AckedBatch, type PsimHistory } from './partition-workload.js';

export interface LogRecord {
  readonly offset: bigint;
  readonly value: string;
  readonly leaderEpoch: number;
}

/** The records of a replica's log of `partition` below `upTo` (read as stored). */
export async function readLog(b: PsimBroker, partition: number, upTo: bigint): Promise<LogRecord[]> {
  const p = b.partition(PSIM_TOPIC, partition)!;
  const out: LogRecord[] = [];
  let offset = p.logStartOffset;
  while (offset < upTo) {
    const r = await p.log.read(offset, 1 << 20, { maxOffset: upTo, minOneBatch: true });
    if (r.chunks.length === 0) break;
    const before = offset;
    for (const buf of r.chunks) {
      for (const span of iterateBatches(buf)) {
        if (!span.complete) break;
        const batch = await decodeRecordBatch(buf, span.position, { maxUncompressedBytes: 1 << 24 });
        for (const rec of batch.records) {
          if (rec.offset >= upTo) continue;
          out.push({ offset: rec.offset, value: rec.value?.toString() ?? '', leaderEpoch: batch.header.partitionLeaderEpoch });
          offset = rec.offset + 1n;
        }
      }
    }
    if (offset === before) break;
  }
  return out;
}

/** An unclean election the controller committed: `leader`, not in the ISR before, leads `partition` from `epoch`. */
export interface UncleanElection {
  readonly partition: number;
  readonly epoch: number;
  readonly leader: number;
  readonly at: number;
  /** When the unclean leader first led (at `epoch` or later), its log end then and what its log held below it, offset to value (undefined if that read failed: a crash). */
  takeover?: { readonly at: number; readonly logEnd: bigint; log: Map<bigint, string> | undefined };
}

/**
 * Whether `election` explains the loss of `value` at `offset`, acknowledged in leader epoch
 * `ackEpoch` (-1 for what a consumer read): the unclean leader took over in a later epoch without
 * that record at that offset. (Usually that is every offset at or above its log end; a log that
 * diverged earlier — records of an older epoch the acknowledging leader had truncated — lacks
 * some below it too, which is why its log is read rather than only its end.)
 */
function explains(election: UncleanElection, value: string, offset: bigint, ackEpoch: number): boolean {
  const t = election.takeover;
  if (!t || election.epoch <= ackEpoch) return false;
  return t.log ? t.log.get(offset) !== value : offset >= t.logEnd;
}

export interface PartitionCheck {
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly highWatermark: bigint;
  readonly finalLog: readonly LogRecord[];
  readonly history: PsimHistory;
  readonly elections: readonly UncleanElection[];
  /** The leader epoch in which `a` was acknowledged (by the broker that answered it). */
  ackEpoch(a: AckedBatch): number;
}

/** Checks one partition's final log; returns the violation, if any, and how many acknowledged records unclean elections explain. */
export function checkPartition(c: PartitionCheck): { violation?: string; lostToUnclean: number } {
  const { partition, finalLog, history, highWatermark: hw } = c;
  let lostToUnclean = 0;
  const fail = (violation: string) => ({ violation: `partition ${partition}: ${violation}`, lostToUnclean });
  const where = new Map<string, bigint[]>();
  let epoch = -1;
  for (const r of finalLog) {
    if (history.sent.get(r.value) !== partition) return fail(`offset ${r.offset} holds "${r.value}", which no producer sent to it`);
    const l = where.get(r.value) ?? [];
    l.push(r.offset);
    where.set(r.value, l);
    if (r.leaderEpoch < epoch) return fail(`the leader epochs along the log go back at offset ${r.offset} (${epoch} then ${r.leaderEpoch})`);
    epoch = r.leaderEpoch;
  }
  const offsetOf = (v: string) => where.get(v)?.[0];
  const acked = history.ackedAll.filter((a) => a.partition === partition);
  for (const a of acked) {
    const ackEpoch = c.ackEpoch(a);
    for (const [k, v] of a.values.entries()) {
      const at = where.get(v);
      if (!at) {
        if (c.elections.some((e) => explains(e, v, a.baseOffset + BigInt(k), ackEpoch))) {
          lostToUnclean++;
          continue;
        }
        return fail(`acks=all record "${v}" acknowledged by broker ${a.broker} at t=${a.ackedAt} (offset ${a.baseOffset}, epoch ${ackEpoch}) is not in the final log (leader ${c.leader}, epoch ${c.leaderEpoch}, high watermark ${hw}${c.elections.length > 0 ? `; unclean elections at epochs ${c.elections.map((e) => `${e.epoch} (log end ${e.takeover?.logEnd ?? 'never led'})`).join(', ')}` : ''})`);
      }
      if (at.length > 1) return fail(`acks=all record "${v}" is in the final log ${at.length} times (offsets ${at.join(', ')})`);
    }
  }
  // Order: of what is there (records an unclean election took are left out).
  const byProducer = new Map<number, bigint>();
  for (const a of acked) {
    const offsets = a.values.map(offsetOf).filter((o): o is bigint => o !== undefined);
    if (offsets.length === 0) continue;
    const prev = byProducer.get(a.producer);
    if (prev !== undefined && offsets[0]! <= prev) return fail(`producer ${a.producer}'s acknowledged batches are out of order in the final log (offset ${offsets[0]} after ${prev})`);
    byProducer.set(a.producer, offsets[offsets.length - 1]!);
  }
  const present = acked.filter((a) => offsetOf(a.values[0]!) !== undefined).sort((x, y) => x.ackedAt - y.ackedAt);
  for (let i = 0; i < present.length; i++) {
    for (let j = i + 1; j < present.length; j++) {
      if (present[j]!.sentAt <= present[i]!.ackedAt) continue;
      if (offsetOf(present[j]!.values[0]!)! < offsetOf(present[i]!.values[0]!)!) return fail(`"${present[j]!.values[0]}" was sent after "${present[i]!.values[0]}" was acknowledged but precedes it in the final log`);
    }
  }
  const byOffset = new Map(finalLog.map((r) => [r.offset, r.value]));
  for (const [offset, value] of history.consumed.get(partition) ?? []) {
    if (offset < hw && byOffset.get(offset) === value) continue;
    // A read record the unclean leader lacked is taken back with it (in whatever epoch it was written).
    if (c.elections.some((e) => explains(e, value, offset, -1))) continue;
    if (offset >= hw) return fail(`the consumer read offset ${offset} ("${value}"), at or above the final high watermark ${hw}: a high watermark went back`);
    return fail(`the consumer read "${value}" at offset ${offset}; the final log has "${byOffset.get(offset)}" there`);
  }
  for (const r of history.resets) {
    if (r.partition !== partition) continue;
    if (!c.elections.some((e) => e.at <= r.at)) return fail(`consumer: offset ${r.position} (below a high watermark it saw) was out of range at t=${r.at} with no unclean election before`);
  }
  return { lostToUnclean };
}
