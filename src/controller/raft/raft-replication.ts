/**
 * Log replication by Fetch on the metadata partition (KIP-595): followers pull. A follower sends
 * its log end offset and the epoch of its last entry; the leader checks that position against its
 * own log and answers with records, or with the epoch and end offset where the follower's log
 * diverges (it truncates there and fetches again), or with the id of a snapshot to fetch when the
 * position lies before the leader's log start. The fetch offset is the follower's flushed log end,
 * so the leader may count it towards the high watermark.
 *
 * A Fetch that finds nothing new waits at the leader (the fetch purgatory) until records are
 * appended, the high watermark moves, the leader changes or `MaxWaitMs` passes. A high watermark
 * the fetching replica has not been sent yet is news too: a follower whose records another
 * follower's fetch committed learns so at once, not a wait later.
 */
import type { ReplicaState } from './leader-state.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { FetchRequest, FetchRequestFetchPartition, FetchResponse } from '../../protocol/messages/index.js';
import { DecodeError } from '../../protocol/samsa-error.js';
import { RaftStateError } from './errors.js';
import { METADATA_PARTITION, METADATA_TOPIC_ID, NO_LEADER } from './offset-and-epoch.js';
import type { RaftCore } from './raft-core.js';
import type { OutboundResponse } from './raft-rpc.js';

interface ParkedFetch {
  readonly partition: FetchRequestFetchPartition;
  readonly maxBytes: number;
  readonly deadline: number;
  readonly replica: ReplicaState | undefined;
  readonly resolve: (res: OutboundResponse) => void;
}

/** The answer to a fetch, noting the high watermark sent to the replica. */
function answer(core: RaftCore, p: FetchRequestFetchPartition, maxBytes: number, replica: ReplicaState | undefined): OutboundResponse {
  if (replica) replica.sentHighWatermark = Math.max(replica.sentHighWatermark, core.highWatermark);
  return fetchResponse(core, p, maxBytes, ErrorCode.NONE);
}

/** Fetches waiting at the leader for something to answer with. */
export class FetchPurgatory {
  private parked: ParkedFetch[] = [];

  park(p: ParkedFetch): void {
    this.parked.push(p);
  }

  /** Answers every waiting fetch (or those past their deadline) with the current state. */
  complete(core: RaftCore, onlyExpiredAt?: number): void {
    const done = onlyExpiredAt === undefined ? this.parked : this.parked.filter((p) => p.deadline <= onlyExpiredAt);
    if (done.length === 0) return;
    this.parked = onlyExpiredAt === undefined ? [] : this.parked.filter((p) => p.deadline > onlyExpiredAt);
    for (const p of done) p.resolve(answer(core, p.partition, p.maxBytes, p.replica));
  }

  nextDeadline(): number {
    let t = Infinity;
    for (const p of this.parked) t = Math.min(t, p.deadline);
    return t;
  }

  get size(): number {
    return this.parked.length;
  }
}

function partitionError(core: RaftCore, currentLeaderEpoch: number): number {
  const epoch = core.quorum.epoch;
  if (currentLeaderEpoch < epoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (currentLeaderEpoch > epoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
  if (core.quorum.state.name !== 'Leader') return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  return ErrorCode.NONE;
}

/** The response to a fetch at `p`, from the leader's log as it is now (or an error off the leader). */
function fetchResponse(core: RaftCore, p: FetchRequestFetchPartition, maxBytes: number, topError: number): OutboundResponse {
  const leader = core.quorum.leaderAndEpoch();
  const error = topError !== ErrorCode.NONE ? topError : partitionError(core, p.currentLeaderEpoch);
  const base = {
    partitionIndex: METADATA_PARTITION,
    highWatermark: BigInt(core.highWatermark),
    logStartOffset: BigInt(core.log.startOffset),
    currentLeader: { leaderId: leader.leaderId, leaderEpoch: leader.epoch },
  };
  let partition;
  if (error !== ErrorCode.NONE) {
    partition = { ...base, errorCode: error, records: null };
  } else {
    const check = core.log.validateOffsetAndEpoch(Number(p.fetchOffset), p.lastFetchedEpoch);
    if (check.kind === 'diverging') {
      partition = { ...base, errorCode: ErrorCode.NONE, divergingEpoch: { epoch: check.divergingEpoch.epoch, endOffset: BigInt(check.divergingEpoch.offset) }, records: null };
    } else if (check.kind === 'snapshot') {
      const id = core.snapshots.latest;
      if (!id) throw new RaftStateError(`the log starts at ${core.log.startOffset} but there is no snapshot to send`);
      partition = { ...base, errorCode: ErrorCode.NONE, snapshotId: { endOffset: BigInt(id.offset), epoch: id.epoch }, records: null };
    } else {
      const batches = core.log.read(Number(p.fetchOffset), Math.min(maxBytes, core.config.fetchMaxBytes));
      partition = { ...base, errorCode: ErrorCode.NONE, records: batches.map((b) => b.bytes) };
    }
  }
  return { api: 'Fetch', body: { errorCode: ErrorCode.NONE, responses: [{ topicId: METADATA_TOPIC_ID, partitions: [partition] }] } };
}

/** A Fetch arriving at this node: answered now, or parked at the leader until there is news. */
export function handleFetchRequest(core: RaftCore, purgatory: FetchPurgatory, req: FetchRequest): OutboundResponse | Promise<OutboundResponse> {
  const p = req.topics[0]?.partitions[0];
  if (!p || req.topics[0]!.topicId !== METADATA_TOPIC_ID || p.partition !== METADATA_PARTITION) {
    return { api: 'Fetch', body: { errorCode: ErrorCode.INVALID_REQUEST, responses: [] } };
  }
  const clusterMismatch = req.clusterId !== null && core.clusterId !== null && req.clusterId !== core.clusterId;
  const topError = clusterMismatch ? ErrorCode.INCONSISTENT_CLUSTER_ID : ErrorCode.NONE;
  const state = core.quorum.state;
  if (topError !== ErrorCode.NONE || state.name !== 'Leader' || partitionError(core, p.currentLeaderEpoch) !== ErrorCode.NONE) {
    return fetchResponse(core, p, req.maxBytes, topError);
  }
  const replicaId = req.replicaState.replicaId >= 0 ? req.replicaState.replicaId : req.replicaId;
  const fetchOffset = Number(p.fetchOffset);
  const check = core.log.validateOffsetAndEpoch(fetchOffset, p.lastFetchedEpoch);
  let moved = false;
  if (check.kind === 'valid' && replicaId >= 0 && replicaId !== core.nodeId) {
    moved = state.updateReplicaState(replicaId, fetchOffset, core.log.endOffset, core.clock.now());
    core.onLeaderProgress(state, moved);
  }
  const replica = replicaId >= 0 ? state.replicaState(replicaId) : undefined;
  const unsentHighWatermark = replica !== undefined && core.highWatermark > replica.sentHighWatermark;
  const hasNews = check.kind !== 'valid' || fetchOffset < core.log.endOffset || moved || unsentHighWatermark;
  if (hasNews || req.maxWaitMs <= 0) return answer(core, p, req.maxBytes, replica);
  return new Promise((resolve) => purgatory.park({ partition: p, maxBytes: req.maxBytes, deadline: core.clock.now() + Math.min(req.maxWaitMs, core.config.fetchMaxWaitMs), replica, resolve }));
}

/** A follower's (or an observer's) Fetch to `destination`. */
export function sendFetch(core: RaftCore, destination: number): void {
  const end = core.log.flushedEndOffset;
  core.send(destination, {
    api: 'Fetch',
    body: {
      clusterId: core.clusterId,
      replicaState: { replicaId: core.nodeId, replicaEpoch: -1n },
      maxWaitMs: core.config.fetchMaxWaitMs,
      minBytes: 0,
      maxBytes: core.config.fetchMaxBytes,
      topics: [{
        topicId: METADATA_TOPIC_ID,
        partitions: [{
          partition: METADATA_PARTITION,
          currentLeaderEpoch: core.quorum.epoch,
          fetchOffset: BigInt(end),
          lastFetchedEpoch: end === core.log.endOffset ? core.log.lastFetchedEpoch : (core.log.epochOf(end - 1) ?? 0),
          logStartOffset: BigInt(core.log.startOffset),
          partitionMaxBytes: core.config.fetchMaxBytes,
        }],
      }],
      forgottenTopicsData: [],
    },
  });
}

/** A Fetch answer at a follower: append, truncate on divergence, or start fetching a snapshot. */
export async function handleFetchResponse(core: RaftCore, sender: number, res: FetchResponse): Promise<void> {
  const p = res.responses[0]?.partitions[0];
  const now = core.clock.now();
  if (res.errorCode !== ErrorCode.NONE || !p) {
    core.requests.backoff(sender, now);
    return;
  }
  const result = await core.handleEpochInfo(p.currentLeader.leaderId, p.currentLeader.leaderEpoch);
  const state = core.quorum.state;
  if (result !== 'same' || state.name !== 'Follower' || state.leaderId !== sender) {
    if (p.currentLeader.leaderId === NO_LEADER) core.requests.backoff(sender, now);
    return;
  }
  if (p.errorCode !== ErrorCode.NONE) {
    core.requests.backoff(sender, now);
    return;
  }
  state.fetchDeadline = now + core.config.fetchTimeoutMs;
  state.hasFetchedFromLeader = true;
  core.lastLeaderContact = { leaderId: sender, at: now };
  if (p.divergingEpoch.epoch >= 0 || p.divergingEpoch.endOffset >= 0n) {
    const diverging = { offset: Number(p.divergingEpoch.endOffset), epoch: p.divergingEpoch.epoch };
    await core.log.truncateToEndOffset(diverging, core.highWatermark);
    return;
  }
  if (p.snapshotId.endOffset >= 0n) {
    state.fetchingSnapshot = { id: { offset: Number(p.snapshotId.endOffset), epoch: p.snapshotId.epoch }, chunks: [], position: 0 };
    return;
  }
  if (p.records && p.records.length > 0) {
    let appended: number;
    try {
      appended = core.log.appendAsFollower(p.records, state.epoch);
    } catch (err) {
      // Bytes damaged on the way (a bad CRC) are fetched again; a batch that does not continue the log is a bug and stops the node.
      if (!(err instanceof DecodeError)) throw err;
      core.requests.backoff(sender, now);
      return;
    }
    if (appended > 0) await core.log.flush();
  }
  core.updateHighWatermark(Math.min(Number(p.highWatermark), core.log.flushedEndOffset));
}
