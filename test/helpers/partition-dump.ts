/**
 * What a node's replica of a partition holds, batch by batch, for a test to print when it fails:
 * offsets, leader epoch, producer id, epoch and base sequence, whether transactional, control
 * batches with their marker (COMMIT/ABORT and coordinator epoch), and the records' values. A record
 * read twice by a consumer is then told apart: stored twice (two batches, and their sequences say
 * whether the producer sent it twice or the broker took a retry twice) or read twice (stored once).
 */
import type { RunningBroker } from '../../src/broker/broker.js';
import { ControlRecordType, decodeRecordBatch, readControlBatchRecord } from '../../src/protocol/records/index.js';
import { replicaBatchesRaw } from './replica-batches.js';

/** One line per batch `n` holds of `topic`/`partition` (none when it holds no replica of it). */
export async function partitionBatchLines(n: RunningBroker, topic: string, partition: number): Promise<string[]> {
  const out: string[] = [];
  for await (const { h, chunk, pos } of replicaBatchesRaw(n, topic, partition)) {
    const b = await decodeRecordBatch(chunk, pos, { maxUncompressedBytes: 64 << 20 });
    const fields = [
      `offsets ${h.baseOffset}-${h.baseOffset + BigInt(h.lastOffsetDelta)}`,
      `leaderEpoch ${h.partitionLeaderEpoch}`,
      `producer ${h.producerId}/${h.producerEpoch}`,
      `seq ${h.baseSequence}`,
      `records ${h.recordCount}`,
    ];
    if (b.isTransactional) fields.push('transactional');
    if (b.isControlBatch) {
      const c = readControlBatchRecord(chunk, pos);
      fields.push(`control ${c?.type === ControlRecordType.Commit ? 'COMMIT' : c?.type === ControlRecordType.Abort ? 'ABORT' : `type ${c?.type}`} coordinatorEpoch ${c?.coordinatorEpoch}`);
    } else {
      fields.push(`values ${JSON.stringify(b.records.map((r) => r.value?.toString() ?? null))}`);
    }
    out.push(fields.join(' '));
  }
  return out;
}

/** Every node's replicas of the partitions, as text to attach to a failed assertion. */
export async function dumpPartitions(nodes: readonly RunningBroker[], topic: string, partitions: readonly number[]): Promise<string> {
  const sections: string[] = [];
  for (const n of nodes) {
    for (const partition of partitions) {
      const lines = await partitionBatchLines(n, topic, partition);
      if (lines.length > 0) sections.push(`node ${n.nodeId} ${topic}-${partition}:\n  ${lines.join('\n  ')}`);
    }
  }
  return sections.join('\n');
}
