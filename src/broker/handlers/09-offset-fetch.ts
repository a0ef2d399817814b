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
 * v9 carries the member of a KIP-848 consumer group: an unknown member answers UNKNOWN_MEMBER_ID,
 * another epoch STALE_MEMBER_EPOCH (a fetch without a member is always answered).
 *
 * With an authorizer: GROUP_AUTHORIZATION_FAILED without DESCRIBE on the group; partitions of
 * topics the principal may not DESCRIBE are TOPIC_AUTHORIZATION_FAILED, or left out of an
 * all-topics answer.
 */
import type { OffsetFetchParams, OffsetFetchResult } from '../../group/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { OffsetFetchApi } from '../../protocol/messages/index.js';
import { type RequestContext, defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';

export const offsetFetchHandler = defineHandler(OffsetFetchApi, { min: 1, max: 9 }, async (req, ctx) => {
  const version = ctx.apiVersion;
  const requireStable = version >= 7 && req.requireStable;
  if (version >= 8) {
    const results = await Promise.all(req.groups.map((g) => fetchAuthorized(ctx, { groupId: g.groupId, topics: g.topics, requireStable, memberId: g.memberId, memberEpoch: g.memberEpoch })));
    return { throttleTimeMs: 0, groups: results.map((r) => ({ groupId: r.groupId, errorCode: r.errorCode, topics: withLeaderEpochs(r, version) })) };
  }
  const r = await fetchAuthorized(ctx, { groupId: req.groupId, topics: req.topics, requireStable });
  let topics = withLeaderEpochs(r, version);
  if (version < 2 && r.errorCode !== ErrorCode.NONE) {
    topics = (req.topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => ({ partitionIndex: i, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: r.errorCode })) }));
  }
  return { throttleTimeMs: 0, errorCode: r.errorCode, topics };
});

/**
 * A group's offsets as the principal may see them: GROUP_AUTHORIZATION_FAILED without DESCRIBE on
 * the group; partitions of topics it may not DESCRIBE answered TOPIC_AUTHORIZATION_FAILED when
 * asked for, and left out of an all-topics answer.
 */
async function fetchAuthorized(ctx: RequestContext, params: OffsetFetchParams): Promise<OffsetFetchResult> {
  if (!authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, params.groupId)) return { groupId: params.groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
  if (!ctx.broker.authorizer) return ctx.broker.groups.fetchOffsets(params);
  const describable = (t: string) => authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t);
  if (params.topics === null) {
    const r = await ctx.broker.groups.fetchOffsets(params);
    return { ...r, topics: r.topics.filter((t) => describable(t.name)) };
  }
  const refused = new Set(params.topics.filter((t) => !describable(t.name)).map((t) => t.name));
  const r = await ctx.broker.groups.fetchOffsets({ ...params, topics: params.topics.filter((t) => !refused.has(t.name)) });
  const denied = params.topics
    .filter((t) => refused.has(t.name))
    .map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => ({ partitionIndex: i, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }));
  return { ...r, topics: [...r.topics, ...denied] };
}

/** The partitions as answered; leader epochs exist from v5. */
function withLeaderEpochs(r: OffsetFetchResult, version: number): OffsetFetchResult['topics'] {
  if (version >= 5) return r.topics;
  return r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ ...p, committedLeaderEpoch: -1 })) }));
}
