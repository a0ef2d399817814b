/**
 * Fetch (key 1), version 17, on the controller listener: followers and observers (brokers)
 * fetching the metadata log, `__cluster_metadata` partition 0 by its topic id, answered by the
 * Raft client (controller/raft/raft-replication.ts), which holds a fetch with nothing new up to its
 * MaxWaitMs. A fetch naming any other partition is INVALID_REQUEST: the controller listener holds
 * no other log.
 */
import { METADATA_PARTITION, METADATA_TOPIC_ID } from '../../controller/raft/offset-and-epoch.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { type FetchResponseInput, FetchApi } from '../../protocol/messages/index.js';
import { defineControllerHandler } from './controller-context.js';
import { answerRaftRpc, raftVersions } from './raft-rpcs.js';

export const controllerFetchHandler = defineControllerHandler(FetchApi, raftVersions('Fetch'), (req, ctx) => {
  const only = req.topics.length === 1 && req.topics[0]!.topicId === METADATA_TOPIC_ID && req.topics[0]!.partitions.length === 1 && req.topics[0]!.partitions[0]!.partition === METADATA_PARTITION;
  if (!only) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, sessionId: 0, responses: [] };
  return answerRaftRpc<FetchResponseInput>('Fetch', req, ctx);
});
