/**
 * FindCoordinator (key 10), versions 0-6.
 *
 * A group's coordinator is the leader of its partition of __consumer_offsets
 * (abs(hash(groupId)) % offsets.topic.num.partitions), answered from the metadata image at the
 * leader's endpoint on the listener the request came in on. While __consumer_offsets does not
 * exist it is created through the controller (with `offsets.topic.replication.factor` replicas)
 * and the answer is COORDINATOR_NOT_AVAILABLE, which clients retry; so is a leader that cannot be
 * reached, or this broker when it leads the partition but its group coordinator has not loaded it.
 * A transactional id's coordinator (key type 1) is likewise the leader of its partition of
 * __transaction_state (abs(hash(id)) % transaction.state.log.num.partitions); that topic is
 * created through the controller on the first such lookup, which waits for it. An empty
 * transactional id is INVALID_REQUEST. v4+ batches keys (`coordinatorKeys`) and answers per key.
 * Other key types (2, share groups) answer INVALID_REQUEST.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { type FindCoordinatorResponseCoordinatorInput, FindCoordinatorApi } from '../../protocol/messages/index.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../common/topic-name.js';
import { partitionForGroup } from '../../group/partition-for.js';
import type { RequestContext } from '../handler.js';
import { defineHandler } from '../handler.js';
import { endpointOf } from '../metadata/cluster-view.js';

const GROUP_KEY_TYPE = 0;
const TRANSACTION_KEY_TYPE = 1;

export const findCoordinatorHandler = defineHandler(FindCoordinatorApi, { min: 0, max: 6 }, async (req, ctx) => {
  const version = ctx.apiVersion;
  const keyType = version >= 1 ? req.keyType : GROUP_KEY_TYPE;
  if (version >= 4) return { throttleTimeMs: 0, coordinators: await Promise.all(req.coordinatorKeys.map((key) => coordinatorFor(ctx, key, keyType))) };
  const c = await coordinatorFor(ctx, req.key, keyType);
  return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port };
});

async function coordinatorFor(ctx: RequestContext, key: string, keyType: number): Promise<FindCoordinatorResponseCoordinatorInput> {
  const b = ctx.broker;
  const failed = (errorCode: number, errorMessage: string): FindCoordinatorResponseCoordinatorInput => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  const notAvailable = () => failed(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
  if (keyType !== GROUP_KEY_TYPE && keyType !== TRANSACTION_KEY_TYPE) return failed(ErrorCode.INVALID_REQUEST, `Invalid coordinator type: ${keyType}`);
  if (keyType === TRANSACTION_KEY_TYPE) {
    if (key === '') return failed(ErrorCode.INVALID_REQUEST, 'Transactional id must not be empty.');
    if (!(await b.transactions.ensureTopic())) return notAvailable();
    const leader = b.transactions.coordinatorNode(key);
    const endpoint = endpointOf(b.metadata.broker(leader), ctx.listenerName);
    if (!endpoint) return notAvailable();
    if (leader === b.nodeId && !(await b.transactions.servesOnceLoaded(key))) return notAvailable();
    return { key, nodeId: leader, host: endpoint.host, port: endpoint.port, errorCode: ErrorCode.NONE, errorMessage: null };
  }
  const topic = b.metadata.topic(CONSUMER_OFFSETS_TOPIC);
  if (!topic) {
    b.ensureOffsetsTopic();
    return notAvailable();
  }
  const p = topic.partitions[partitionForGroup(key, topic.partitionCount)]!;
  const endpoint = endpointOf(b.metadata.broker(p.leader), ctx.listenerName);
  if (!endpoint) return notAvailable();
  if (p.leader === b.nodeId && !b.groups.isCoordinatorFor(key)) return notAvailable();
  return { key, nodeId: p.leader, host: endpoint.host, port: endpoint.port, errorCode: ErrorCode.NONE, errorMessage: null };
}
