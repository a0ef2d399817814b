/**
 * Fetch (key 1), versions 4-17 (Kafka 4's floor is 4: record batches v2 only).
 *
 * Returns whole record batches from each partition's fetch offset up to the high watermark, within
 * `partitionMaxBytes` and the response's `maxBytes`, except that the first batch of the first
 * partition with data is returned whole even when larger (KIP-74). When less than `minBytes` is
 * available the request waits up to `maxWaitMs` in the partition layer's fetch purgatory, woken
 * whenever the high watermark of one of its partitions moves. Record bytes go to the socket as the
 * log's own read buffers (zero-copy), taken from a pool and returned to it once the response is
 * written. Offsets outside the log answer OFFSET_OUT_OF_RANGE with the log's bounds; unknown
 * topics UNKNOWN_TOPIC_OR_PARTITION, or UNKNOWN_TOPIC_ID from v13 where topics are named by id.
 * Incremental fetch sessions (KIP-227, v7+) are kept in a bounded cache (see
 * fetch/fetch-sessions.ts). Both isolation levels are served: read_committed stops at the last
 * stable offset (the first transaction not yet decided), answers the aborted transactions among
 * the records returned, and long-polls on bytes becoming stable. A current leader epoch newer
 * than the partition's is UNKNOWN_LEADER_EPOCH, an older one FENCED_LEADER_EPOCH.
 *
 * A follower's fetch (`ReplicaId`, or from v15 `ReplicaState.ReplicaId`, at least 0) reads up to
 * the leader's log end instead, through a privileged session when it asks for one (a follower's
 * session is not evicted for a consumer's); its fetch offset is the follower's log
 * end offset, which the leader records (Kafka's updateFollowerFetchState) before reading: the high
 * watermark moves, waiting acks=all produces complete, and a caught-up follower outside the ISR is
 * proposed for it. A follower's fetch waits for records past its offset or a high watermark change.
 *
 * From v16, a partition answered NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH carries the leader
 * the broker knows, and the response that leader's endpoint (KIP-951).
 *
 * With an authorizer, partitions of topics the principal may not READ answer
 * TOPIC_AUTHORIZATION_FAILED, and so does every partition of a follower's fetch without
 * CLUSTER_ACTION on the cluster (as Kafka). Under a `consumer_byte_rate` quota, a consumer's
 * response is capped to what the quota allows in one window, and a fetch that takes the client
 * over its quota is answered empty with the throttle time (its bytes are not counted), the
 * connection muted meanwhile, as Kafka does; followers' fetches are not held to client quotas.
 *
 * Under the leader's replication quota (KIP-73, replication/replication-quotas.ts), a follower
 * outside the ISR gets the throttled replicas' partitions without records while the quota is
 * exceeded; they do not wake its long poll.
 *
 * Not yet: preferred read replicas, rack awareness.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { FetchApi, type FetchRequest, type FetchResponseFetchableTopicResponseInput, type FetchResponseInput, type FetchResponsePartitionDataInput } from '../../protocol/messages/index.js';
import { ZERO_UUID } from '../../protocol/primitives/codec-support.js';
import type { BrokerContext } from '../broker-context.js';
import { type FetchSession, type SessionPartition, hasNews, moveToBack, nextEpoch, sessionKey } from '../fetch/fetch-sessions.js';
import { type RequestContext, defineHandler } from '../handler.js';
import type { FetchOutcome, FetchTarget } from '../partitions/fetch-messages.js';
import type { ReplicationQuota } from '../replication/replication-quotas.js';
import { AclOperation, ResourceType, authorize, authorizeCluster, quotaUser } from '../security/authorize.js';
import { carriesLeader, currentLeader, leaderEndpoints } from '../metadata/current-leader.js';
import type { MetadataImage } from '../../controller/image/metadata-image.js';

const READ_COMMITTED = 1;

/** A partition the response must cover: named in the request or remembered by its session. */
interface Target {
  /** The topic's name, or undefined when the request named an unknown topic id. */
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

export const fetchHandler = defineHandler(FetchApi, { min: 4, max: 17 }, (req, ctx) => {
  const b = ctx.broker;
  const byId = ctx.apiVersion >= 13;
  const replicaId = ctx.apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId;
  const follower = replicaId >= 0;
  const resolution = ctx.apiVersion >= 7 ? b.fetchSessions.resolve(req.sessionId, req.sessionEpoch, b.clock.now(), follower) : { kind: 'sessionless' as const };
  if (resolution.kind === 'error') return { throttleTimeMs: 0, errorCode: resolution.errorCode, sessionId: req.sessionId, responses: [] };
  const session = resolution.kind === 'sessionless' ? undefined : resolution.session;
  const targets = collectTargets(b, req, byId, session, resolution.kind === 'incremental');
  // The records go to the socket as the read buffers themselves; they return to the pool once written.
  const buffers = b.fetchBuffers.lease();
  ctx.afterResponseWritten(() => buffers.release());
  const unknown = byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  const readable = follower ? (authorizeCluster(ctx, AclOperation.CLUSTER_ACTION) ? () => true : () => false) : readableTopics(ctx);
  const quotas = b.security.quotas.active && !follower ? b.security.quotas : undefined;
  const user = quotas ? quotaUser(ctx) : '';
  const clientId = ctx.clientId ?? '';
  const maxBytes = quotas ? Math.min(req.maxBytes, Math.max(1, Math.floor(quotas.maxValueInWindow('consumer_byte_rate', user, clientId)))) : req.maxBytes;
  const fetchTargets: FetchTarget[] = targets.map((t) => ({
    partition: t.topic === undefined ? unknown : !readable(t.topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : b.replicaManager.partitionOrError(t.topic, t.partition),
    fetchOffset: t.fetchOffset,
    maxBytes: t.maxBytes,
    currentLeaderEpoch: t.currentLeaderEpoch,
  }));
  const leaderQuota = follower ? b.replicationQuotas.leader : undefined;
  if (leaderQuota) {
    let exceeded: boolean | undefined;
    for (const t of fetchTargets) {
      if (typeof t.partition === 'number' || t.partition.leaderError(t.currentLeaderEpoch) !== undefined) continue;
      b.replicaManager.followerFetched(t.partition, replicaId, t.fetchOffset);
      // KIP-73: a follower outside the ISR gets nothing of a throttled replica while the leader's quota is exceeded.
      t.throttled = leaderQuota.isThrottled(t.partition.topic, t.partition.partition) && !t.partition.leaderAndIsr.isr.includes(replicaId) && (exceeded ??= leaderQuota.isExceeded());
    }
  }
  const fetched = b.replicaManager.fetchMessages(fetchTargets, { maxWaitMs: req.maxWaitMs, minBytes: req.minBytes, maxBytes, isolation: follower ? 'log-end' : req.isolationLevel === READ_COMMITTED ? 'txn-committed' : 'high-watermark' }, buffers);
  // A fetch read at once (a caught-up consumer answered now) is answered without a promise.
  const answer = (outcomes: FetchOutcome[]): FetchResponseInput => {
    if (leaderQuota) recordThrottled(leaderQuota, fetchTargets, outcomes);
    if (quotas) {
      const bytes = outcomes.reduce((n, o) => n + o.bytes, 0);
      const now = b.clock.now();
      const throttleTimeMs = quotas.record('consumer_byte_rate', user, clientId, bytes, now);
      if (throttleTimeMs > 0) {
        // Kafka answers a throttled fetch empty and does not count what it did not send.
        quotas.unrecord('consumer_byte_rate', user, clientId, bytes, now);
        if (resolution.kind === 'incremental') resolution.session.epoch = nextEpoch(resolution.session.epoch);
        return { throttleTimeMs, errorCode: ErrorCode.NONE, sessionId: session?.id ?? 0, responses: [] };
      }
    }
    let answered = targets.map((t, i) => ({ target: t, outcome: outcomes[i]! }));
    if (resolution.kind === 'incremental') answered = answered.filter(({ target: t, outcome: o }) => !t.entry || hasNews(t.entry, o.bytes, o.errorCode, o.highWatermark, o.logStartOffset));
    for (const { target, outcome } of answered) {
      if (!target.entry) continue;
      target.entry.lastHighWatermark = outcome.highWatermark;
      target.entry.lastLogStartOffset = outcome.logStartOffset;
      if (resolution.kind === 'incremental' && outcome.bytes > 0) moveToBack(resolution.session, target.entry);
    }
    // A new session expects epoch 1 next (it was opened at 1); an incremental fetch moves it on (Kafka's nextEpoch).
    if (resolution.kind === 'incremental') resolution.session.epoch = nextEpoch(resolution.session.epoch);
    const kip951 = ctx.apiVersion >= 16 ? b.metadata : undefined;
    const leaders: number[] = [];
    const responses = groupByTopic(answered, byId, req.isolationLevel, kip951, leaders);
    if (leaders.length > 0) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: session?.id ?? 0, responses, nodeEndpoints: leaderEndpoints(b.metadata, leaders, ctx.listenerName) };
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: session?.id ?? 0, responses };
  };
  return fetched instanceof Promise ? fetched.then(answer) : answer(fetched);
});

/** Counts the bytes served to a follower for the replicas the leader's replication quota throttles. */
function recordThrottled(quota: ReplicationQuota, targets: readonly FetchTarget[], outcomes: readonly FetchOutcome[]): void {
  for (let i = 0; i < targets.length; i++) {
    const p = targets[i]!.partition;
    const bytes = outcomes[i]!.bytes;
    if (bytes > 0 && typeof p !== 'number' && quota.isThrottled(p.topic, p.partition)) quota.record(bytes);
  }
}

/** Whether the principal may READ a topic (asked once per topic per request). */
function readableTopics(ctx: RequestContext): (topic: string) => boolean {
  if (!ctx.broker.authorizer) return () => true;
  const known = new Map<string, boolean>();
  return (topic) => {
    let ok = known.get(topic);
    if (ok === undefined) known.set(topic, (ok = authorize(ctx, AclOperation.READ, ResourceType.TOPIC, topic)));
    return ok;
  };
}

/** The partitions this request fetches: its own list, or its session's after applying it. */
function collectTargets(b: BrokerContext, req: FetchRequest, byId: boolean, session: FetchSession | undefined, incremental: boolean): Target[] {
  const rm = b.replicaManager;
  const nameOf = (topic: string, topicId: string) => (byId ? rm.topicName(topicId) : b.metadata.topic(topic) ? topic : undefined);
  const idOf = (topic: string, topicId: string) => (byId ? topicId : (b.metadata.topic(topic)?.id ?? ZERO_UUID));
  if (session && incremental) {
    for (const f of req.forgottenTopicsData) for (const p of f.partitions) session.partitions.delete(sessionKey(idOf(f.topic, f.topicId), f.topic, p));
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
    const key = sessionKey(t.topicId, t.requestedName, t.partition);
    const existing = session.partitions.get(key);
    if (existing) {
      existing.fetchOffset = t.fetchOffset;
      existing.maxBytes = t.maxBytes;
      existing.currentLeaderEpoch = t.currentLeaderEpoch;
    } else {
      session.partitions.set(key, { topic: t.requestedName, topicId: t.topicId, partition: t.partition, fetchOffset: t.fetchOffset, maxBytes: t.maxBytes, currentLeaderEpoch: t.currentLeaderEpoch, lastHighWatermark: -1n, lastLogStartOffset: -1n });
    }
  }
  return [...session.partitions.values()].map((e) => ({
    topic: nameOf(e.topic, e.topicId),
    topicId: e.topicId,
    requestedName: e.topic,
    partition: e.partition,
    fetchOffset: e.fetchOffset,
    maxBytes: e.maxBytes,
    currentLeaderEpoch: e.currentLeaderEpoch,
    entry: e,
  }));
}

function groupByTopic(answered: readonly { target: Target; outcome: FetchOutcome }[], byId: boolean, isolationLevel: number, kip951: MetadataImage | undefined, leaders: number[]): FetchResponseFetchableTopicResponseInput[] {
  const topics = new Map<string, { topic: string; topicId: string; partitions: FetchResponsePartitionDataInput[] }>();
  for (const { target: t, outcome: o } of answered) {
    const key = byId ? t.topicId : t.requestedName;
    let entry = topics.get(key);
    if (!entry) topics.set(key, (entry = { topic: byId ? '' : t.requestedName, topicId: byId ? t.topicId : '', partitions: [] }));
    entry.partitions.push({
      partitionIndex: t.partition,
      errorCode: o.errorCode,
      highWatermark: o.highWatermark,
      lastStableOffset: o.lastStableOffset,
      logStartOffset: o.logStartOffset,
      abortedTransactions: isolationLevel === READ_COMMITTED ? (o.abortedTransactions ?? []).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset })) : null,
      preferredReadReplica: -1,
      records: o.chunks,
      ...(kip951 && carriesLeader(o.errorCode) ? { currentLeader: moved(kip951, t, leaders) } : {}),
    });
  }
  return [...topics.values()].map((t) => (byId ? { topicId: t.topicId, partitions: t.partitions } : { topic: t.topic, partitions: t.partitions }));
}

function moved(image: MetadataImage, t: Target, leaders: number[]) {
  const l = currentLeader(image, t.topic, t.partition);
  leaders.push(l.leaderId);
  return l;
}
