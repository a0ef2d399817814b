/**
 * The clients of the partition simulation. Producers send to whichever broker they believe leads
 * and retry (on an error, a timeout or a refused connection) after asking a broker's metadata
 * again, as a Kafka client refreshes its metadata: acks=all producers are idempotent (a producer
 * id, sequence numbers, one batch in flight), so a retry of a batch already written is answered
 * with its offsets and not written twice; acks=1 producers are plain. A consumer reads below the
 * high watermark from the leader it believes in, and notes every record and high watermark it
 * saw. Everything they observe goes to the history the invariant checker reads. The topic has
 * several partitions: each producer sends each batch to a partition chosen at random (its
 * sequences are per partition, as a Kafka producer's are), and the consumer reads them in turn.
 *
 * With unclean elections possible (`uncleanElection`), an idempotent producer whose partition lost
 * its sequences (an unclean leader without its last batches answers OUT_OF_ORDER_SEQUENCE_NUMBER
 * or UNKNOWN_PRODUCER_ID for ever) takes a new producer id for that partition after a few such
 * answers in a row, as a KIP-360 client bumps its epoch; and the consumer, answered
 * OFFSET_OUT_OF_RANGE, starts again from the log start (auto.offset.reset=earliest) instead of
 * reporting a violation.
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
  readonly partition: number;
  readonly values: readonly string[];
  readonly baseOffset: bigint;
  /** When its first attempt was sent, and when its acknowledgement came (world time). */
  readonly sentAt: number;
  readonly ackedAt: number;
  readonly broker: number;
}

export interface PsimHistory {
  /** Every value any producer sent, and the partition it was sent to (a record not among these is one never sent). */
  readonly sent: Map<string, number>;
  readonly ackedAll: AckedBatch[];
  /** acks=1 acknowledgements (may be lost: nothing is promised of them beyond being sent). */
  ackedOne: number;
  /** What the consumer read, per partition: offset to value. */
  readonly consumed: Map<number, Map<bigint, string>>;
  /** Positions the consumer found out of range and started again from the log start (unclean mode only). */
  readonly resets: { partition: number; position: number; at: number }[];
  /** Violations the clients saw themselves. */
  readonly violations: string[];
}

export function newHistory(): PsimHistory {
  return { sent: new Map(), ackedAll: [], ackedOne: 0, consumed: new Map(), resets: [], violations: [] };
}

interface ClientEnv {
  readonly world: SimWorld;
  readonly brokers: readonly PsimBroker[];
  readonly random: SeededRandom;
  readonly conns: RpcConnections;
  readonly history: PsimHistory;
  /** The topic's partitions (0 to partitions - 1). */
  readonly partitions: number;
  /** Whether unclean leader elections may happen (the clients then recover as Kafka's do). */
  readonly uncleanElection: boolean;
  /** Whether the clients should still start new work. */
  running(): boolean;
}

/** The leader a live broker's metadata names (stale, possibly), or a random broker. */
function lookupLeader(env: ClientEnv, partition: number): number {
  const live = env.brokers.filter((b) => b.alive && b.loader);
  const b = live.length > 0 ? live[env.random.nextInt(live.length)]! : env.brokers[env.random.nextInt(env.brokers.length)]!;
  const leader = b.loader?.image.topic(PSIM_TOPIC)?.partitions[partition]?.leader ?? -1;
  return leader >= 0 ? leader : env.brokers[env.random.nextInt(env.brokers.length)]!.id;
}

function sleep(world: SimWorld, ms: number): Promise<void> {
  return world.sleep(ms);
}

/**
 * An idempotent acks=all producer (acks=1 and plain when `acks` is 1): batches of 1-3 records to a
 * partition chosen at random, one in flight, each retried until acknowledged or the run ends.
 */
export async function runProducer(env: ClientEnv, index: number, acks: -1 | 1): Promise<void> {
  const idempotent = acks === -1;
  // Per partition: the producer id (a new one after an unclean election lost its sequences) and the next sequence.
  const ids = Array.from({ length: env.partitions }, (_, p) => ({ producerId: BigInt(1000 + 100 * index + p), seq: 0 }));
  let nextId = 100_000 + 1000 * index;
  const leaders = Array.from({ length: env.partitions }, (_, p) => lookupLeader(env, p));
  for (let n = 0; env.running(); n++) {
    const partition = env.random.nextInt(env.partitions);
    const id = ids[partition]!;
    const count = 1 + env.random.nextInt(3);
    const values = Array.from({ length: count }, (_, k) => `p${index}-${n}-${k}`);
    for (const v of values) env.history.sent.set(v, partition);
    const sentAt = env.world.now;
    let records = encode(env, values, idempotent ? id : undefined);
    let lostSequences = 0;
    // Retried until acknowledged; after the run's end a few more tries, then given up.
    for (let attempt = 0; env.running() || attempt < 40; attempt++) {
      const leader = leaders[partition]!;
      let code: number;
      let baseOffset = -1n;
      try {
        const res = await env.conns.send(leader, ProduceApi, { transactionalId: null, acks, timeoutMs: 1500, topicData: [{ name: PSIM_TOPIC, partitionData: [{ index: partition, records }] }] }, { version: PRODUCE_VERSION, timeoutMs: 3000 });
        const r = res.responses[0]!.partitionResponses[0]!;
        code = r.errorCode;
        baseOffset = r.baseOffset;
      } catch {
        code = -2;
      }
      if (code === ErrorCode.NONE) {
        if (acks === -1) env.history.ackedAll.push({ producer: index, partition, values, baseOffset, sentAt, ackedAt: env.world.now, broker: leader });
        else env.history.ackedOne++;
        break;
      }
      // Any error is retried after a metadata refresh: OUT_OF_ORDER_SEQUENCE_NUMBER included, which a
      // deposed leader that has not heard of its successor answers (it lacks the batches acknowledged
      // since); were the real leader missing an acknowledged batch, the final check would say so.
      // Only where an unclean election may have lost the partition's sequences does the producer,
      // after a few such answers in a row, start again with a new producer id.
      lostSequences = code === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER || code === ErrorCode.UNKNOWN_PRODUCER_ID ? lostSequences + 1 : 0;
      if (idempotent && env.uncleanElection && lostSequences >= 5) {
        id.producerId = BigInt(nextId++);
        id.seq = 0;
        records = encode(env, values, id);
        lostSequences = 0;
      }
      await sleep(env.world, 20 + env.random.nextInt(80));
      leaders[partition] = lookupLeader(env, partition);
    }
    id.seq += count;
    await sleep(env.world, 10 + env.random.nextInt(60));
  }
}

function encode(env: ClientEnv, values: readonly string[], id: { producerId: bigint; seq: number } | undefined): Buffer {
  return encodeUncompressedRecordBatch({
    ...(id ? { producerId: id.producerId, producerEpoch: 0, baseSequence: id.seq } : {}),
    records: values.map((v) => ({ value: Buffer.from(v), timestamp: BigInt(Math.floor(env.world.now)) })),
  });
}

/** A consumer reading the partitions in turn, below the high watermark, each from the leader it believes in. */
export async function runConsumer(env: ClientEnv): Promise<void> {
  const positions = Array.from({ length: env.partitions }, () => 0n);
  const leaders = Array.from({ length: env.partitions }, (_, p) => lookupLeader(env, p));
  for (let turn = 0; env.running(); turn++) {
    const partition = turn % env.partitions;
    const leader = leaders[partition]!;
    const position = positions[partition]!;
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
          topics: [{ topicId: topicIdOf(env), partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: position, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 * 1024 }] }],
          forgottenTopicsData: [],
          rackId: '',
        },
        { version: FETCH_VERSION, timeoutMs: 2000 },
      );
      const p = res.responses[0]?.partitions[0];
      if (!p || p.errorCode !== ErrorCode.NONE) {
        if (p?.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          if (env.uncleanElection) {
            // Whether an unclean election explains it is the final check's to say.
            env.history.resets.push({ partition, position: Number(position), at: env.world.now });
            positions[partition] = p.logStartOffset < 0n ? 0n : p.logStartOffset;
          } else {
            env.history.violations.push(`consumer: offset ${position} of partition ${partition} (below a high watermark it saw) is out of range at broker ${leader}: [${p.logStartOffset}, ...)`);
          }
        }
        throw new Error('retry');
      }
      const consumed = env.history.consumed.get(partition) ?? env.history.consumed.set(partition, new Map()).get(partition)!;
      const buf = p.records ?? Buffer.alloc(0);
      for (const span of iterateBatches(buf)) {
        if (!span.complete) break;
        const batch = await decodeRecordBatch(buf, span.position, { maxUncompressedBytes: 1 << 24 });
        for (const r of batch.records) {
          if (r.offset < positions[partition]!) continue;
          if (r.offset >= p.highWatermark) env.history.violations.push(`consumer: broker ${leader} returned offset ${r.offset} of partition ${partition} at or above its high watermark ${p.highWatermark}`);
          consumed.set(r.offset, r.value?.toString() ?? '');
          positions[partition] = r.offset + 1n;
        }
      }
    } catch {
      await sleep(env.world, 50 + env.random.nextInt(50));
      leaders[partition] = lookupLeader(env, partition);
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
