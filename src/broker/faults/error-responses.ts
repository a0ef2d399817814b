/**
 * The answers an injected error gives, per API (Kafka's AbstractRequest.getErrorResponse), built
 * from the request without handling it.
 *
 * Partitioned APIs (Produce, Fetch, ListOffsets, OffsetCommit, OffsetForLeaderEpoch,
 * DeleteRecords) can take an error for some partitions only: the request is split, the other
 * partitions are handled as usual, and the two answers are merged. Their shapes are described by
 * field names, as the generated codecs name them.
 */
import { ApiKey } from '../../protocol/messages/index.js';

/** A request or response as an untyped object (the shapes below name its fields). */
type Obj = Record<string, unknown>;

interface PartitionedShape {
  /** [topics array, topic name field, partitions array, partition index field] in the request and the response. */
  req: readonly [string, string, string, string];
  res: readonly [string, string, string, string];
  /** Fields of an error partition besides its index and error code. */
  errorFields: Obj;
  /** The rest of a response whose every partition failed. */
  top: Obj;
}

const PARTITIONED: ReadonlyMap<number, PartitionedShape> = new Map<number, PartitionedShape>([
  [ApiKey.Produce, { req: ['topicData', 'name', 'partitionData', 'index'], res: ['responses', 'name', 'partitionResponses', 'index'], errorFields: { baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage: null }, top: { throttleTimeMs: 0 } }],
  [
    ApiKey.Fetch,
    {
      req: ['topics', 'topic', 'partitions', 'partition'],
      res: ['responses', 'topic', 'partitions', 'partitionIndex'],
      errorFields: { highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: null, preferredReadReplica: -1, records: null },
      top: { throttleTimeMs: 0, errorCode: 0, sessionId: 0 },
    },
  ],
  [ApiKey.ListOffsets, { req: ['topics', 'name', 'partitions', 'partitionIndex'], res: ['topics', 'name', 'partitions', 'partitionIndex'], errorFields: { offset: -1n, timestamp: -1n, leaderEpoch: -1 }, top: { throttleTimeMs: 0 } }],
  [ApiKey.OffsetCommit, { req: ['topics', 'name', 'partitions', 'partitionIndex'], res: ['topics', 'name', 'partitions', 'partitionIndex'], errorFields: {}, top: { throttleTimeMs: 0 } }],
  [ApiKey.OffsetForLeaderEpoch, { req: ['topics', 'topic', 'partitions', 'partition'], res: ['topics', 'topic', 'partitions', 'partition'], errorFields: { leaderEpoch: -1, endOffset: -1n }, top: { throttleTimeMs: 0 } }],
  [ApiKey.DeleteRecords, { req: ['topics', 'name', 'partitions', 'partitionIndex'], res: ['topics', 'name', 'partitions', 'partitionIndex'], errorFields: { lowWatermark: -1n }, top: { throttleTimeMs: 0 } }],
]);

export function isPartitioned(apiKey: number): boolean {
  return PARTITIONED.has(apiKey);
}

/** Fetch from v13 names topics by id. */
const topicField = (apiKey: number, version: number, name: string): string => (apiKey === ApiKey.Fetch && version >= 13 ? 'topicId' : name);

/** The request's topic-partitions, with the topic as the request names it (a name, or an id for Fetch v13+). */
export function requestPartitions(apiKey: number, version: number, req: Obj): { topic: string; partition: number }[] {
  const shape = PARTITIONED.get(apiKey);
  if (!shape) return [];
  const [topics, name, partitions, index] = shape.req;
  return (req[topics] as Obj[]).flatMap((t) => (t[partitions] as Obj[]).map((p) => ({ topic: t[topicField(apiKey, version, name)] as string, partition: p[index] as number })));
}

/** Splits a partitioned request into the part whose partitions `hit` selects and the rest. */
export function splitRequest(apiKey: number, version: number, req: Obj, hit: (topic: string, partition: number) => boolean): { hitPartitions: { topic: string; partition: number }[]; rest: Obj | undefined } {
  const [topics, name, partitions, index] = PARTITIONED.get(apiKey)!.req;
  const field = topicField(apiKey, version, name);
  const hitPartitions: { topic: string; partition: number }[] = [];
  const kept = (req[topics] as Obj[])
    .map((t) => {
      const stays = (t[partitions] as Obj[]).filter((p) => {
        const h = hit(t[field] as string, p[index] as number);
        if (h) hitPartitions.push({ topic: t[field] as string, partition: p[index] as number });
        return !h;
      });
      return { ...t, [partitions]: stays };
    })
    .filter((t) => (t[partitions] as Obj[]).length > 0);
  return { hitPartitions, rest: kept.length > 0 ? { ...req, [topics]: kept } : undefined };
}

/** Adds error entries for `failed` partitions to `response` (or to an empty one). */
export function mergeErrors(apiKey: number, version: number, response: Obj | undefined, failed: readonly { topic: string; partition: number }[], errorCode: number): Obj {
  const shape = PARTITIONED.get(apiKey)!;
  const [topics, name, partitions, index] = shape.res;
  const field = topicField(apiKey, version, name);
  const out: Obj = response ? { ...response } : { ...shape.top };
  const list = [...((out[topics] as Obj[] | undefined) ?? [])];
  for (const f of failed) {
    let t = list.find((x) => x[field] === f.topic);
    if (!t) list.push((t = { [field]: f.topic, [partitions]: [] }));
    else list[list.indexOf(t)] = t = { ...t, [partitions]: [...(t[partitions] as Obj[])] };
    (t[partitions] as Obj[]).push({ ...shape.errorFields, [index]: f.partition, errorCode });
  }
  out[topics] = list;
  return out;
}

/** Whole-request error answers for APIs that are not partitioned. */
const WHOLE: ReadonlyMap<number, (code: number, req: Obj, version: number) => Obj> = new Map<number, (code: number, req: Obj, version: number) => Obj>([
  // Before v12 a topic's name cannot be null in the answer: Kafka gives "" for a topic asked for by id.
  [ApiKey.Metadata, (code, req, v) => ({ brokers: [], clusterId: null, controllerId: -1, topics: ((req['topics'] as Obj[] | null) ?? []).map((t) => ({ errorCode: code, name: t['name'] ?? (v >= 12 ? null : ''), topicId: t['topicId'], isInternal: false, partitions: [] })) })],
  [ApiKey.OffsetFetch, (code, req, v) => (v >= 8 ? { groups: (req['groups'] as Obj[]).map((g) => ({ groupId: g['groupId'], topics: [], errorCode: code })) } : { topics: [], errorCode: code })],
  [
    ApiKey.FindCoordinator,
    (code, req, v) =>
      v >= 4 ? { coordinators: (req['coordinatorKeys'] as string[]).map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode: code, errorMessage: null })) } : { errorCode: code, nodeId: -1, host: '', port: -1 },
  ],
  [ApiKey.JoinGroup, (code, _req, v) => ({ errorCode: code, generationId: -1, protocolName: v >= 7 ? null : '', leader: '', memberId: '', members: [] })],
  [ApiKey.Heartbeat, (code) => ({ errorCode: code })],
  [ApiKey.LeaveGroup, (code) => ({ errorCode: code, members: [] })],
  [ApiKey.SyncGroup, (code) => ({ errorCode: code, assignment: Buffer.alloc(0) })],
  [ApiKey.DescribeGroups, (code, req) => ({ groups: (req['groups'] as string[]).map((groupId) => ({ errorCode: code, groupId, groupState: '', protocolType: '', protocolData: '', members: [] })) })],
  [ApiKey.ListGroups, (code) => ({ errorCode: code, groups: [] })],
  [ApiKey.CreateTopics, (code, req) => ({ topics: (req['topics'] as Obj[]).map((t) => ({ name: t['name'], errorCode: code, errorMessage: null })) })],
  [ApiKey.DeleteTopics, (code, req, v) => ({ responses: v >= 6 ? (req['topics'] as Obj[]).map((t) => ({ name: t['name'], topicId: t['topicId'], errorCode: code })) : (req['topicNames'] as string[]).map((name) => ({ name, errorCode: code })) })],
  [ApiKey.InitProducerId, (code) => ({ throttleTimeMs: 0, errorCode: code, producerId: -1n, producerEpoch: -1 })],
  [ApiKey.DeleteGroups, (code, req) => ({ throttleTimeMs: 0, results: (req['groupsNames'] as string[]).map((groupId) => ({ groupId, errorCode: code })) })],
  [ApiKey.OffsetDelete, (code) => ({ errorCode: code, throttleTimeMs: 0, topics: [] })],
  [ApiKey.DescribeCluster, (code) => ({ throttleTimeMs: 0, errorCode: code, clusterId: '', brokers: [] })],
  [ApiKey.CreatePartitions, (code, req) => ({ throttleTimeMs: 0, results: (req['topics'] as Obj[]).map((t) => ({ name: t['name'], errorCode: code, errorMessage: null })) })],
  [ApiKey.AlterConfigs, (code, req) => ({ throttleTimeMs: 0, responses: resources(req, code) })],
  [ApiKey.IncrementalAlterConfigs, (code, req) => ({ throttleTimeMs: 0, responses: resources(req, code) })],
  [
    ApiKey.ElectLeaders,
    (code, req, v) => ({
      throttleTimeMs: 0,
      // v0 has no top-level error code: the partitions carry it.
      errorCode: v >= 1 ? code : 0,
      replicaElectionResults: ((req['topicPartitions'] as Obj[] | null) ?? []).map((t) => ({ topic: t['topic'], partitionResult: (t['partitions'] as number[]).map((partitionId) => ({ partitionId, errorCode: code, errorMessage: null })) })),
    }),
  ],
  [ApiKey.AlterPartitionReassignments, (code) => ({ throttleTimeMs: 0, errorCode: code, errorMessage: null, responses: [] })],
  [ApiKey.ListPartitionReassignments, (code) => ({ throttleTimeMs: 0, errorCode: code, errorMessage: null, topics: [] })],
  [ApiKey.CreateAcls, (code, req) => ({ throttleTimeMs: 0, results: (req['creations'] as Obj[]).map(() => ({ errorCode: code, errorMessage: null })) })],
  [ApiKey.DeleteAcls, (code, req) => ({ throttleTimeMs: 0, filterResults: (req['filters'] as Obj[]).map(() => ({ errorCode: code, errorMessage: null, matchingAcls: [] })) })],
  [ApiKey.AlterClientQuotas, (code, req) => ({ throttleTimeMs: 0, entries: (req['entries'] as Obj[]).map((e) => ({ errorCode: code, errorMessage: null, entity: e['entity'] })) })],
  [ApiKey.AlterUserScramCredentials, (code, req) => ({ throttleTimeMs: 0, results: scramUsers(req).map((user) => ({ user, errorCode: code, errorMessage: null })) })],
  [ApiKey.DescribeQuorum, (code) => ({ errorCode: code, errorMessage: null, topics: [], nodes: [] })],
  [ApiKey.UnregisterBroker, (code) => ({ throttleTimeMs: 0, errorCode: code, errorMessage: null })],
]);

/** The users an AlterUserScramCredentials request names, each once, in the order first named. */
function scramUsers(req: Obj): string[] {
  return [...new Set([...(req['deletions'] as Obj[]), ...(req['upsertions'] as Obj[])].map((x) => x['name'] as string))];
}

function resources(req: Obj, errorCode: number): Obj[] {
  return (req['resources'] as Obj[]).map((r) => ({ resourceType: r['resourceType'], resourceName: r['resourceName'], errorCode, errorMessage: null }));
}

/** Whether an error answer can be made for every request of this API. */
export function hasErrorResponse(apiKey: number): boolean {
  return PARTITIONED.has(apiKey) || WHOLE.has(apiKey);
}

/** The error answer to a whole request. */
export function errorResponse(apiKey: number, version: number, req: Obj, errorCode: number): Obj {
  if (PARTITIONED.has(apiKey)) return mergeErrors(apiKey, version, undefined, requestPartitions(apiKey, version, req), errorCode);
  return WHOLE.get(apiKey)!(errorCode, req, version);
}
