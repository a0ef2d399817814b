/**
 * Fetch (key 1), versions 4-17 (Kafka 4's floor is 4: record batches v2 only).
 *
 * Returns whole record batches from each partition's fetch offset up to the high watermark, within
 * `partitionMaxBytes` and the response's `maxBytes`, except that the first batch of the first
 * partition with data is returned whole even when larger (KIP-74). When less than `minBytes` is
 * available the request waits up to `maxWaitMs`, woken by appends to its partitions. Record bytes
 * go to the socket as the log's own read buffers (zero-copy), taken from a pool and returned to it
 * once the response is written. Offsets outside the log answer
 * OFFSET_OUT_OF_RANGE with the log's bounds; unknown topics UNKNOWN_TOPIC_OR_PARTITION, or
 * UNKNOWN_TOPIC_ID from v13 where topics are named by id. Incremental fetch sessions (KIP-227,
 * v7+) are kept in a bounded cache (see fetch/fetch-sessions.ts). Both isolation levels are
 * served; without transactions the last stable offset is the high watermark and there are no
 * aborted transactions. A current leader epoch newer than ours is UNKNOWN_LEADER_EPOCH.
 *
 * Not yet: follower fetches (replication), preferred read replicas, rack awareness.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { FetchApi, type FetchRequest, type FetchResponsePartitionDataInput, type FetchResponseFetchableTopicResponseInput } from '../../protocol/messages/index.js';
import type { BrokerContext } from '../broker-context.js';
import { type FetchSession, type SessionPartition, hasNews, partitionKey } from '../fetch/fetch-sessions.js';
import { defineHandler } from '../handler.js';
import type { PartitionLogView } from '../partition-logs.js';
import type { BufferSource } from '../../log/index.js';

/** max.incremental.fetch.session.cache.slots default, and Kafka's minimum idle age before eviction. */
export const FETCH_SESSION_LIMITS = { maxSessions: 1000, evictionAgeMs: 120_000 };

/** Bytes of fetch read buffers kept for reuse between responses (see log/read-buffer-pool.ts). */
export const FETCH_BUFFER_POOL_IDLE_BYTES = 32 * 1024 * 1024;

const READ_COMMITTED = 1;
const LEADER_EPOCH = 0;

interface Target {
  topic: string | undefined;
  topicId: string;
  /** The name the client used (versions before 13). */
  requestedName: string;
  partition: number;
  fetchOffset: bigint;
  maxBytes: number;
  currentLeaderEpoch: number;
  entry: SessionPartition | undefined;
}

interface Outcome {
  target: Target;
  errorCode: number;
  highWatermark: bigint;
  logStartOffset: bigint;
  chunks: Buffer[];
  bytes: number;
}

export const fetchHandler = defineHandler(FetchApi, { min: 4, max: 17 }, async (req, ctx) => {
  const b = ctx.broker;
  const version = ctx.apiVersion;
  const byId = version >= 13;
  const resolution = version >= 7 ? b.fetchSessions.resolve(req.sessionId, req.sessionEpoch, b.clock.now()) : { kind: 'sessionless' as const };
  if (resolution.kind === 'error') return { throttleTimeMs: 0, errorCode: resolution.errorCode, sessionId: req.sessionId, responses: [] };
  const session = resolution.kind === 'sessionless' ? undefined : resolution.session;
  const targets = collectTargets(b, req, byId, session, resolution.kind === 'incremental');
  // The records go to the socket as the read buffers themselves; they return to the pool once written.
  const buffers = b.fetchBuffers.lease();
  ctx.afterResponseWritten(() => buffers.release());

  let outcomes = await readAll(b, targets, req, byId, buffers);
  const total = outcomes.reduce((n, o) => n + o.bytes, 0);
  if (total < req.minBytes && req.maxWaitMs > 0 && !outcomes.some((o) => o.errorCode !== ErrorCode.NONE)) {
    const keys = targets.filter((t) => t.topic !== undefined).map((t) => partitionKey(t.topic!, t.partition));
    await b.fetchWaiters.wait(keys, req.minBytes - total, req.maxWaitMs);
    outcomes = await readAll(b, targets, req, byId, buffers);
  }
  if (resolution.kind === 'incremental') outcomes = outcomes.filter((o) => !o.target.entry || hasNews(o.target.entry, o.bytes, o.errorCode, o.highWatermark, o.logStartOffset));
  for (const o of outcomes) {
    if (!o.target.entry) continue;
    o.target.entry.lastHighWatermark = o.highWatermark;
    o.target.entry.lastLogStartOffset = o.logStartOffset;
  }
  if (session) session.epoch = session.epoch === 0x7fffffff ? 1 : session.epoch + 1;
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: session?.id ?? 0, responses: groupByTopic(outcomes, byId, req.isolationLevel) };
});

/** The partitions this request fetches: its own list, or its session's after applying it. */
function collectTargets(b: BrokerContext, req: FetchRequest, byId: boolean, session: FetchSession | undefined, incremental: boolean): Target[] {
  const nameOf = (topic: string, topicId: string) => (byId ? b.metadata.topicById(topicId)?.name : b.metadata.topic(topic) ? topic : undefined);
  const idOf = (topic: string, topicId: string) => (byId ? topicId : (b.metadata.topic(topic)?.id ?? topicId));
  if (session && incremental) {
    for (const f of req.forgottenTopicsData) for (const p of f.partitions) session.partitions.delete(partitionKey(byId ? f.topicId : f.topic, p));
  }
  const fromRequest: Target[] = req.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: nameOf(t.topic, t.topicId),
      topicId: idOf(t.topic, t.topicId),
      requestedName: t.topic,
      partition: p.partition,
      fetchOffset: p.fetchOffset,
      maxBytes: p.partitionMaxBytes,
      currentLeaderEpoch: p.currentLeaderEpoch,
      entry: undefined,
    })),
  );
  if (!session) return fromRequest;
  for (const t of fromRequest) {
    const key = partitionKey(byId ? t.topicId : t.requestedName, t.partition);
    const existing = session.partitions.get(key);
    if (existing) {
      existing.fetchOffset = t.fetchOffset;
      existing.maxBytes = t.maxBytes;
    } else {
      session.partitions.set(key, { topic: t.requestedName, topicId: t.topicId, partition: t.partition, fetchOffset: t.fetchOffset, maxBytes: t.maxBytes, lastHighWatermark: -1n, lastLogStartOffset: -1n });
    }
  }
  const leaderEpochs = new Map(fromRequest.map((t) => [partitionKey(t.topicId, t.partition), t.currentLeaderEpoch]));
  return [...session.partitions.values()].map((e) => ({
    topic: nameOf(e.topic, e.topicId),
    topicId: e.topicId,
    requestedName: e.topic,
    partition: e.partition,
    fetchOffset: e.fetchOffset,
    maxBytes: e.maxBytes,
    currentLeaderEpoch: leaderEpochs.get(partitionKey(e.topicId, e.partition)) ?? -1,
    entry: e,
  }));
}

type Located = { target: Target; log: PartitionLogView } | Outcome;

const failed = (t: Target, errorCode: number, hw = -1n, lso = -1n): Outcome => ({ target: t, errorCode, highWatermark: hw, logStartOffset: lso, chunks: [], bytes: 0 });

/** The log a target reads from, or the error it answers with. */
function locate(b: BrokerContext, t: Target, byId: boolean): Located {
  const topic = t.topic === undefined ? undefined : b.metadata.topic(t.topic);
  const log = topic && t.partition >= 0 && t.partition < topic.partitions ? b.logs.getLog(topic.name, t.partition) : undefined;
  if (!log) return failed(t, t.topic === undefined && byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (t.currentLeaderEpoch > LEADER_EPOCH) return failed(t, ErrorCode.UNKNOWN_LEADER_EPOCH, log.acknowledgedEnd, log.logStartOffset);
  return { target: t, log };
}

async function readOne(b: BrokerContext, t: Target, log: PartitionLogView, limit: number, minOneBatch: boolean, buffers: BufferSource): Promise<Outcome> {
  try {
    const r = await log.read(t.fetchOffset, limit, { minOneBatch, maxOffset: log.acknowledgedEnd, buffers });
    return { target: t, errorCode: ErrorCode.NONE, highWatermark: r.acknowledgedEnd, logStartOffset: r.logStartOffset, chunks: r.chunks, bytes: r.bytes };
  } catch (err) {
    const outOfRange = (err as { code?: string }).code === 'SAMSA_OFFSET_OUT_OF_RANGE';
    if (!outOfRange) b.log.error({ err, topic: t.topic, partition: t.partition }, 'fetch read failed');
    return failed(t, outOfRange ? ErrorCode.OFFSET_OUT_OF_RANGE : ErrorCode.KAFKA_STORAGE_ERROR, log.acknowledgedEnd, log.logStartOffset);
  }
}

/**
 * Reads every target within the partition and response byte limits. When the partitions' limits
 * fit in the response's, they are read concurrently, the first one keeping a too-large first
 * batch whole (KIP-74); otherwise, or when that found nothing, in request order with the response
 * budget shrinking as it fills and the first partition with data keeping its first batch whole.
 */
async function readAll(b: BrokerContext, targets: Target[], req: FetchRequest, byId: boolean, buffers: BufferSource): Promise<Outcome[]> {
  const located = targets.map((t) => locate(b, t, byId));
  const isOutcome = (l: Located): l is Outcome => 'errorCode' in l;
  const shares = located.reduce((n, l) => (isOutcome(l) ? n : n + l.target.maxBytes), 0);
  if (shares <= req.maxBytes) {
    const first = located.findIndex((l) => !isOutcome(l));
    const outcomes = await Promise.all(located.map((l, i) => (isOutcome(l) ? l : readOne(b, l.target, l.log, l.target.maxBytes, i === first, buffers))));
    if (outcomes.some((o) => o.bytes > 0)) return outcomes;
  }
  let budget = req.maxBytes;
  let anyData = false;
  const outcomes: Outcome[] = [];
  for (const l of located) {
    if (isOutcome(l)) {
      outcomes.push(l);
      continue;
    }
    const limit = Math.min(l.target.maxBytes, Math.max(0, budget));
    if (limit <= 0 && anyData) {
      outcomes.push(failed(l.target, ErrorCode.NONE, l.log.acknowledgedEnd, l.log.logStartOffset));
      continue;
    }
    const o = await readOne(b, l.target, l.log, limit, !anyData, buffers);
    budget -= o.bytes;
    anyData ||= o.bytes > 0;
    outcomes.push(o);
  }
  return outcomes;
}

function groupByTopic(outcomes: Outcome[], byId: boolean, isolationLevel: number): FetchResponseFetchableTopicResponseInput[] {
  const topics = new Map<string, { topic: string; topicId: string; partitions: FetchResponsePartitionDataInput[] }>();
  for (const o of outcomes) {
    const key = byId ? o.target.topicId : o.target.requestedName;
    let t = topics.get(key);
    if (!t) topics.set(key, (t = { topic: byId ? '' : o.target.requestedName, topicId: byId ? o.target.topicId : '', partitions: [] }));
    t.partitions.push({
      partitionIndex: o.target.partition,
      errorCode: o.errorCode,
      highWatermark: o.highWatermark,
      lastStableOffset: o.highWatermark,
      logStartOffset: o.logStartOffset,
      abortedTransactions: isolationLevel === READ_COMMITTED ? [] : null,
      preferredReadReplica: -1,
      records: o.chunks,
    });
  }
  return [...topics.values()].map((t) => (byId ? { topicId: t.topicId, partitions: t.partitions } : { topic: t.topic, partitions: t.partitions }));
}
