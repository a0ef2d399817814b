/**
 * A replica's record batches as tests compare them across nodes: each `base-last@leaderEpoch`
 * (with `/producerId` when asked), read from the node's own log of the partition.
 */
import type { RunningBroker } from '../../src/broker/broker.js';
import { type RecordBatchHeader, LOG_OVERHEAD, readBatchHeader } from '../../src/protocol/records/batch-header.js';

interface Internals {
  replicaManager: { getPartition(t: string, p: number): { log: { read(o: bigint, max: number): Promise<{ chunks: Buffer[] }> } } | undefined };
}

/** Each batch `n` holds of `topic`/`partition` (none when it holds no replica of it): its header, chunk and position. */
export async function* replicaBatchesRaw(n: RunningBroker, topic: string, partition: number): AsyncGenerator<{ h: RecordBatchHeader; chunk: Buffer; pos: number }> {
  const p = (n as unknown as Internals).replicaManager.getPartition(topic, partition);
  if (!p) return;
  for (const chunk of (await p.log.read(0n, 64 << 20)).chunks) {
    for (let pos = 0; pos < chunk.length; ) {
      const h = readBatchHeader(chunk, pos);
      yield { h, chunk, pos };
      pos += LOG_OVERHEAD + h.batchLength;
    }
  }
}

/** The batches `n` holds of `topic`/`partition` (none when it holds no replica of it). */
export async function replicaBatches(n: RunningBroker, topic: string, partition = 0, withProducerId = false): Promise<string[]> {
  const out: string[] = [];
  for await (const { h } of replicaBatchesRaw(n, topic, partition)) {
    out.push(`${h.baseOffset}-${h.baseOffset + BigInt(h.lastOffsetDelta)}@${h.partitionLeaderEpoch}${withProducerId ? `/${h.producerId}` : ''}`);
  }
  return out;
}
