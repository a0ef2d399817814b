/**
 * FindCoordinator (key 10), versions 0-6.
 *
 * This node coordinates every group (key type 0) and every transactional id (key type 1): the
 * answer is always this broker's address advertised for the client's listener. v4+ batches keys (`coordinatorKeys`) and
 * answers per key. Other key types (2, share groups) answer INVALID_REQUEST; while the group
 * coordinator is not running, COORDINATOR_NOT_AVAILABLE.
 *
 * Not yet: a transaction coordinator behind key type 1 (issue #6), share groups, more than one
 * node (the coordinator would be the leader of partitionFor(key) of __consumer_offsets).
 *
 * With an authorizer, a group the principal may not DESCRIBE answers GROUP_AUTHORIZATION_FAILED,
 * a transactional id TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { type FindCoordinatorResponseCoordinatorInput, FindCoordinatorApi } from '../../protocol/messages/index.js';
import type { BrokerContext } from '../broker-context.js';
import { type RequestContext, advertisedFor, defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';

const GROUP_KEY_TYPE = 0;
const TRANSACTION_KEY_TYPE = 1;

export const findCoordinatorHandler = defineHandler(FindCoordinatorApi, { min: 0, max: 6 }, (req, ctx) => {
  const version = ctx.apiVersion;
  const keyType = version >= 1 ? req.keyType : GROUP_KEY_TYPE;
  if (version >= 4) return { throttleTimeMs: 0, coordinators: req.coordinatorKeys.map((key) => coordinatorFor(ctx, key, keyType)) };
  const c = coordinatorFor(ctx, req.key, keyType);
  return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port };
});

function coordinatorFor(ctx: RequestContext, key: string, keyType: number): FindCoordinatorResponseCoordinatorInput {
  const b: BrokerContext = ctx.broker;
  const failed = (errorCode: number, errorMessage: string | null): FindCoordinatorResponseCoordinatorInput => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  if (keyType !== GROUP_KEY_TYPE && keyType !== TRANSACTION_KEY_TYPE) return failed(ErrorCode.INVALID_REQUEST, `Invalid coordinator type: ${keyType}`);
  if (keyType === GROUP_KEY_TYPE && !authorize(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, key)) return failed(ErrorCode.GROUP_AUTHORIZATION_FAILED, null);
  if (keyType === TRANSACTION_KEY_TYPE && !authorize(ctx, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key)) return failed(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, null);
  if (!b.groups.isActive) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
  const advertised = advertisedFor(ctx);
  return { key, nodeId: b.nodeId, host: advertised.host, port: advertised.port, errorCode: ErrorCode.NONE, errorMessage: null };
}
