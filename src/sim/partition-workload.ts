/**
 * The clients of the partition simulation. Producers send to whichever broker they believe leads
 * and retry (on an error, a timeout or a refused connection) after asking a broker's metadata
 * again, as a Kafka client refreshes its metadata: acks=all producers are idempotent (a producer
 * id, sequence numbers, one batch in flight), so a retry of a batch already written is answered
 * with its offsets and not written twice; acks=1 producers are plain. A consumer reads below the
 * high watermark from the leader it believes in, and notes every record and high watermark it
 * saw. Everything they observe goes to the history the invariant checker reads.
 *
 * Modelled: metadata lookup reads a live broker's committed image directly (what its Metadata
 * answer would carry), rather than a Metadata request.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { FetchApi, ProduceApi } from '../protocol/messages/index.js';
import { decodeRecordBatch, encodeUncompressedRecordBatch, iterateBatches } from '../protocol/records/index.js';
import type { PsimBroker } from './partition-sim-broker.js';
import type { SeededRandom } from './seeded-random.js';
import type { RpcConnections } from './sim-rpc-network.js';
import type { SimWorld } from './sim-world.js';

export const PSIM_TOPIC = 'sim-topic';
const PRODUCE_VERSION = 9;
const FETCH_VERSION = 15;

/** One acknowledged batch of an acks=all producer. */
export interface AckedBatch {
  readonly producer: number;
  readonly values: readonly string[];
  readonly baseOffset: bigint;
  /** When its first attempt was sent, and when its acknowledgement came (world time). */
  readonly sentAt: number;
  readonly ackedAt: number;
  readonly broker: number;
}

export interface PsimHistory {
  /** Every value any producer sent (a record not among these is one never sent). */
  readonly sent: Set<string>;
  readonly ackedAll: AckedBatch[];
  /** acks=1 acknowledgements (may be lost: nothing is promised of them beyond being sent). */
  ackedOne: number;
  /** What the consumer read: offset to value. */
  readonly consumed: Map<bigint, string>;
  /** Violations the clients saw themselves. */
  readonly violations: string[];
}

export function newHistory(): PsimHistory {
  return { sent: new Set(), ackedAll: [], ackedOne: 0, consumed: new Map(), violations: [] };
}

interface ClientEnv {
  readonly world: SimWorld;
  readonly brokers: readonly PsimBroker[];
  readonly random: SeededRandom;
  readonly conns: RpcConnections;
  readonly history: PsimHistory;
  /** Whether the clients should still start new work. */
  running(): boolean;
}

/** The leader a live broker's metadata names (stale, possibly), or a random broker. */
function lookupLeader(env: ClientEnv): number {
  const live = env.brokers.filter((b) => b.alive && b.loader);
  const b = live.length > 0 ? live[env.random.nextInt(live.length)]! : env.brokers[env.random.nextInt(env.brokers.length)]!;
  const leader = b.loader?.image.topic(PSIM_TOPIC)?.partitions[0]?.leader ?? -1;
  return leader >= 0 ? leader : env.brokers[env.random.nextInt(env.brokers.length)]!.id;
}

function sleep(world: SimWorld, ms: number): Promise<void> {
  return world.sleep(ms);
}

/**
 * An idempotent acks=all producer (acks=1 and plain when `acks` is 1): batches of 1-3 records, one
 * in flight, each retried until acknowledged or the run ends.
 */
export async function runProducer(env: ClientEnv, index: number, acks: -1 | 1): Promise<void> {
  const idempotent = acks === -1;
  const producerId = BigInt(1000 + index);
  let seq = 0;
  let leader = lookupLeader(env);
  for (let n = 0; env.running(); n++) {
    const count = 1 + env.random.nextInt(3);
    const values = Array.from({ length: count }, (_, k) => `p${index}-${n}-${k}`);
    for (const v of values) env.history.sent.add(v);
    const sentAt = env.world.now;
    const records = encodeUncompressedRecordBatch({
      ...(idempotent ? { producerId, producerEpoch: 0, baseSequence: seq } : {}),
      records: values.map((v) => ({ value: Buffer.from(v), timestamp: BigInt(Math.floor(env.world.now)) })),
    });
    // Retried until acknowledged; after the run's end a few more tries, then given up.
    for (let attempt = 0; env.running() || attempt < 40; attempt++) {
      let code: number;
      let baseOffset = -1n;
      try {
        const res = await env.conns.send(leader, ProduceApi, { transactionalId: null, acks, timeoutMs: 1500, topicData: [{ name: PSIM_TOPIC, partitionData: [{ index: 0, records }] }] }, { version: PRODUCE_VERSION, timeoutMs: 3000 });
        const r = res.responses[0]!.partitionResponses[0]!;
        code = r.errorCode;
        baseOffset = r.baseOffset;
      } catch {
        code = -2;
      }
      if (code === ErrorCode.NONE) {
        if (acks === -1) env.history.ackedAll.push({ producer: index, values, baseOffset, sentAt, ackedAt: env.world.now, broker: leader });
        else env.history.ackedOne++;
        break;
      }
      // Any error is retried after a metadata refresh: OUT_OF_ORDER_SEQUENCE_NUMBER included, which a
      // deposed leader that has not heard of its successor answers (it lacks the batches acknowledged
      // since); were the real leader missing an acknowledged batch, the final check would say so.
      await sleep(env.world, 20 + env.random.nextInt(80));
      leader = lookupLeader(env);
    }
    seq += count;
    await sleep(env.world, 10 + env.random.nextInt(60));
  }
}

/** A consumer reading below the high watermark from the leader it believes in. */
export async function runConsumer(env: ClientEnv): Promise<void> {
  let position = 0n;
  let leader = lookupLeader(env);
  while (env.running()) {
    try {
      const res = await env.conns.send(
        leader,
        FetchApi,
        {
          replicaState: { replicaId: -1, replicaEpoch: -1n },
          maxWaitMs: 200,
          minBytes: 1,
          maxBytes: 1024 * 1024,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{ topicId: topicIdOf(env), partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: position, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 * 1024 }] }],
          forgottenTopicsData: [],
          rackId: '',
        },
        { version: FETCH_VERSION, timeoutMs: 2000 },
      );
      const p = res.responses[0]?.partitions[0];
      if (!p || p.errorCode !== ErrorCode.NONE) {
        if (p?.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) env.history.violations.push(`consumer: offset ${position} (below a high watermark it saw) is out of range at broker ${leader}: [${p.logStartOffset}, ...)`);
        throw new Error('retry');
      }
      const buf = p.records ?? Buffer.alloc(0);
      for (const span of iterateBatches(buf)) {
        if (!span.complete) break;
        const batch = await decodeRecordBatch(buf, span.position, { maxUncompressedBytes: 1 << 24 });
        for (const r of batch.records) {
          if (r.offset < position) continue;
          if (r.offset >= p.highWatermark) env.history.violations.push(`consumer: broker ${leader} returned offset ${r.offset} at or above its high watermark ${p.highWatermark}`);
          env.history.consumed.set(r.offset, r.value?.toString() ?? '');
          position = r.offset + 1n;
        }
      }
    } catch {
      await sleep(env.world, 50 + env.random.nextInt(50));
      leader = lookupLeader(env);
    }
  }
}

function topicIdOf(env: ClientEnv): string {
  for (const b of env.brokers) {
    const t = b.loader?.image.topic(PSIM_TOPIC);
    if (t) return t.id;
  }
  return '';
}
