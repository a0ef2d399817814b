/**
 * OffsetFetch (key 9), versions 1-9 (Kafka 4's floor is 1).
 *
 * A group's committed offsets: the partitions asked for (offset -1 and metadata "" where none is
 * committed), or every committed partition when topics is null (v2+). v8+ asks for several
 * groups at once. With require_stable (v7+) the fetch first waits for the group's commits in
 * flight (UNSTABLE_OFFSET_COMMIT if they do not settle in offsets.commit.timeout.ms); without it,
 * the last durable commit is read. Group-level errors go in the top-level error code (v2-v7),
 * the group's (v8+), or each partition's (v1).
 *
 * Not yet: transactional offsets pending a commit marker (issue #6), KIP-848 member epochs (v9).
 */
import type { OffsetFetchResult } from '../../group/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { OffsetFetchApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const offsetFetchHandler = defineHandler(OffsetFetchApi, { min: 1, max: 9 }, async (req, ctx) => {
  const version = ctx.apiVersion;
  const groups = ctx.broker.groups;
  const requireStable = version >= 7 && req.requireStable;
  if (version >= 8) {
    const results = await Promise.all(req.groups.map((g) => groups.fetchOffsets({ groupId: g.groupId, topics: g.topics, requireStable })));
    return { throttleTimeMs: 0, groups: results.map((r) => ({ groupId: r.groupId, errorCode: r.errorCode, topics: withLeaderEpochs(r, version) })) };
  }
  const r = await groups.fetchOffsets({ groupId: req.groupId, topics: req.topics, requireStable });
  let topics = withLeaderEpochs(r, version);
  if (version < 2 && r.errorCode !== ErrorCode.NONE) {
    topics = (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => ({ partitionIndex: i, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: r.errorCode })) }));
  }
  return { throttleTimeMs: 0, errorCode: r.errorCode, topics };
});

/** The partitions as answered; leader epochs exist from v5. */
function withLeaderEpochs(r: OffsetFetchResult, version: number): OffsetFetchResult['topics'] {
  if (version >= 5) return r.topics;
  return r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ ...p, committedLeaderEpoch: -1 })) }));
}
