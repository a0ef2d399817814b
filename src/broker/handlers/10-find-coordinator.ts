/**
 * FindCoordinator (key 10), versions 0-6.
 *
 * This node coordinates every group (key type 0) and every transactional id (key type 1): the
 * answer is always this broker's advertised address. v4+ batches keys (`coordinatorKeys`) and
 * answers per key. Other key types (2, share groups) answer INVALID_REQUEST; while the group
 * coordinator is not running, COORDINATOR_NOT_AVAILABLE.
 *
 * Not yet: a transaction coordinator behind key type 1 (issue #6), share groups, more than one
 * node (the coordinator would be the leader of partitionFor(key) of __consumer_offsets).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { type FindCoordinatorResponseCoordinatorInput, FindCoordinatorApi } from '../../protocol/messages/index.js';
import type { BrokerContext } from '../broker-context.js';
import { defineHandler } from '../handler.js';

const GROUP_KEY_TYPE = 0;
const TRANSACTION_KEY_TYPE = 1;

export const findCoordinatorHandler = defineHandler(FindCoordinatorApi, { min: 0, max: 6 }, (req, ctx) => {
  const version = ctx.apiVersion;
  const keyType = version >= 1 ? req.keyType : GROUP_KEY_TYPE;
  if (version >= 4) return { throttleTimeMs: 0, coordinators: req.coordinatorKeys.map((key) => coordinatorFor(ctx.broker, key, keyType)) };
  const c = coordinatorFor(ctx.broker, req.key, keyType);
  return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port };
});

function coordinatorFor(b: BrokerContext, key: string, keyType: number): FindCoordinatorResponseCoordinatorInput {
  const failed = (errorCode: number, errorMessage: string): FindCoordinatorResponseCoordinatorInput => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  if (keyType !== GROUP_KEY_TYPE && keyType !== TRANSACTION_KEY_TYPE) return failed(ErrorCode.INVALID_REQUEST, `Invalid coordinator type: ${keyType}`);
  if (!b.groups.isActive) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
  return { key, nodeId: b.nodeId, host: b.advertised.host, port: b.advertised.port, errorCode: ErrorCode.NONE, errorMessage: null };
}
