/**
 * FetchSnapshot (KIP-630): a follower told by the leader that its position lies before the log
 * start fetches the leader's latest snapshot in chunks, holding them until the last one arrives;
 * then the snapshot is checked, written durably, and replaces the follower's log and state. The
 * leader answers from its latest snapshot and refuses (SNAPSHOT_NOT_FOUND) a snapshot it no
 * longer has, which sends the follower back to Fetch for the current one.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { FetchSnapshotRequest, FetchSnapshotResponse } from '../../protocol/messages/index.js';
import { DecodeError } from '../../protocol/samsa-error.js';
import { METADATA_PARTITION, METADATA_TOPIC } from './offset-and-epoch.js';
import type { RaftCore } from './raft-core.js';
import type { OutboundResponse } from './raft-rpc.js';
import { decodeSnapshot } from './snapshots.js';

const EMPTY = Buffer.alloc(0);

function snapshotResponse(core: RaftCore, errorCode: number, fields: { id: { offset: number; epoch: number }; size: number; position: number; bytes: Buffer }): OutboundResponse {
  const leader = core.quorum.leaderAndEpoch();
  return {
    api: 'FetchSnapshot',
    body: {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      topics: [{
        name: METADATA_TOPIC,
        partitions: [{
          index: METADATA_PARTITION,
          errorCode,
          snapshotId: { endOffset: BigInt(fields.id.offset), epoch: fields.id.epoch },
          currentLeader: { leaderId: leader.leaderId, leaderEpoch: leader.epoch },
          size: BigInt(fields.size),
          position: BigInt(fields.position),
          unalignedRecords: fields.bytes,
        }],
      }],
    },
  };
}

export function handleFetchSnapshotRequest(core: RaftCore, req: FetchSnapshotRequest): OutboundResponse {
  const p = req.topics[0]?.partitions[0];
  if (!p || req.topics[0]!.name !== METADATA_TOPIC || p.partition !== METADATA_PARTITION) {
    return { api: 'FetchSnapshot', body: { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, topics: [] } };
  }
  if (req.clusterId !== null && core.clusterId !== null && req.clusterId !== core.clusterId) {
    return { api: 'FetchSnapshot', body: { throttleTimeMs: 0, errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, topics: [] } };
  }
  const requested = { offset: Number(p.snapshotId.endOffset), epoch: p.snapshotId.epoch };
  const none = { id: requested, size: 0, position: 0, bytes: EMPTY };
  const epoch = core.quorum.epoch;
  if (p.currentLeaderEpoch < epoch) return snapshotResponse(core, ErrorCode.FENCED_LEADER_EPOCH, none);
  if (p.currentLeaderEpoch > epoch) return snapshotResponse(core, ErrorCode.UNKNOWN_LEADER_EPOCH, none);
  if (core.quorum.state.name !== 'Leader') return snapshotResponse(core, ErrorCode.NOT_LEADER_OR_FOLLOWER, none);
  const latest = core.snapshots.latest;
  const bytes = core.snapshots.latestSnapshotBytes;
  if (!latest || !bytes || latest.offset !== requested.offset || latest.epoch !== requested.epoch) return snapshotResponse(core, ErrorCode.SNAPSHOT_NOT_FOUND, none);
  const position = Number(p.position);
  if (position < 0 || position > bytes.length) return snapshotResponse(core, ErrorCode.OFFSET_OUT_OF_RANGE, none);
  const chunk = bytes.subarray(position, position + Math.max(1, Math.min(req.maxBytes, core.config.fetchSnapshotMaxBytes)));
  return snapshotResponse(core, ErrorCode.NONE, { id: latest, size: bytes.length, position, bytes: chunk });
}

export function sendFetchSnapshot(core: RaftCore, destination: number): void {
  const s = core.quorum.state;
  if (s.name !== 'Follower' || !s.fetchingSnapshot) return;
  const f = s.fetchingSnapshot;
  core.send(destination, {
    api: 'FetchSnapshot',
    body: {
      clusterId: core.clusterId,
      replicaId: core.nodeId,
      maxBytes: core.config.fetchSnapshotMaxBytes,
      topics: [{
        name: METADATA_TOPIC,
        partitions: [{ partition: METADATA_PARTITION, currentLeaderEpoch: s.epoch, snapshotId: { endOffset: BigInt(f.id.offset), epoch: f.id.epoch }, position: BigInt(f.position) }],
      }],
    },
  });
}

export async function handleFetchSnapshotResponse(core: RaftCore, sender: number, res: FetchSnapshotResponse): Promise<void> {
  const p = res.topics[0]?.partitions[0];
  const now = core.clock.now();
  if (res.errorCode !== ErrorCode.NONE || !p) {
    core.requests.backoff(sender, now);
    return;
  }
  const result = await core.handleEpochInfo(p.currentLeader.leaderId, p.currentLeader.leaderEpoch);
  const s = core.quorum.state;
  if (result !== 'same' || s.name !== 'Follower' || s.leaderId !== sender || !s.fetchingSnapshot) return;
  const f = s.fetchingSnapshot;
  const sameId = Number(p.snapshotId.endOffset) === f.id.offset && p.snapshotId.epoch === f.id.epoch;
  if (p.errorCode !== ErrorCode.NONE || !sameId || Number(p.position) !== f.position || !p.unalignedRecords || p.unalignedRecords.length === 0) {
    // Start over from Fetch: the leader may have a newer snapshot by now.
    s.fetchingSnapshot = undefined;
    core.requests.backoff(sender, now);
    return;
  }
  s.fetchDeadline = now + core.config.fetchTimeoutMs;
  s.hasFetchedFromLeader = true;
  core.lastLeaderContact = { leaderId: sender, at: now };
  f.chunks.push(Buffer.from(p.unalignedRecords));
  f.position += p.unalignedRecords.length;
  const size = Number(p.size);
  if (f.position < size) return;
  s.fetchingSnapshot = undefined;
  const bytes = Buffer.concat(f.chunks);
  let contents;
  try {
    contents = decodeSnapshot(f.id, bytes);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    core.requests.backoff(sender, now);
    return;
  }
  await core.installSnapshot(contents, bytes);
}
