/**
 * FindCoordinator (key 10), versions 0-6.
 *
 * This node coordinates every group (key type 0). A transactional id (key type 1) is coordinated
 * by the leader of its partition of __transaction_state, which is created (and loaded) on the
 * first such lookup, as Kafka does; an empty transactional id is INVALID_REQUEST. v4+ batches keys
 * (`coordinatorKeys`) and answers per key. Other key types (2, share groups) answer
 * INVALID_REQUEST; while a coordinator is not running, COORDINATOR_NOT_AVAILABLE.
 *
 * Not yet: share groups; groups on more than one node (the coordinator would be the leader of
 * partitionFor(key) of __consumer_offsets).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { type FindCoordinatorResponseCoordinatorInput, FindCoordinatorApi } from '../../protocol/messages/index.js';
import type { BrokerContext } from '../broker-context.js';
import { defineHandler } from '../handler.js';

const GROUP_KEY_TYPE = 0;
const TRANSACTION_KEY_TYPE = 1;

export const findCoordinatorHandler = defineHandler(FindCoordinatorApi, { min: 0, max: 6 }, async (req, ctx) => {
  const version = ctx.apiVersion;
  const keyType = version >= 1 ? req.keyType : GROUP_KEY_TYPE;
  if (version >= 4) return { throttleTimeMs: 0, coordinators: await Promise.all(req.coordinatorKeys.map((key) => coordinatorFor(ctx.broker, key, keyType))) };
  const c = await coordinatorFor(ctx.broker, req.key, keyType);
  return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port };
});

async function coordinatorFor(b: BrokerContext, key: string, keyType: number): Promise<FindCoordinatorResponseCoordinatorInput> {
  const failed = (errorCode: number, errorMessage: string): FindCoordinatorResponseCoordinatorInput => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  if (keyType !== GROUP_KEY_TYPE && keyType !== TRANSACTION_KEY_TYPE) return failed(ErrorCode.INVALID_REQUEST, `Invalid coordinator type: ${keyType}`);
  if (keyType === TRANSACTION_KEY_TYPE) {
    if (key === '') return failed(ErrorCode.INVALID_REQUEST, 'Transactional id must not be empty.');
    try {
      await b.transactions.ensureStarted();
    } catch {
      return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
    }
    const node = b.transactions.coordinatorNode(key);
    if (node !== b.nodeId) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
  } else if (!b.groups.isActive) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
  return { key, nodeId: b.nodeId, host: b.advertised.host, port: b.advertised.port, errorCode: ErrorCode.NONE, errorMessage: null };
}
