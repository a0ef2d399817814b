/**
 * DescribeCluster (key 60), versions 0-1, on the controller listener (`--bootstrap-controller`):
 * with endpoint type 2 (v1), the controllers of `controller.quorum.voters` and the active one;
 * with endpoint type 1, the registered unfenced brokers. Authorized operations are not computed
 * (no authorizer yet): every cluster operation when asked.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeClusterApi } from '../../protocol/messages/index.js';
import { CLUSTER_OPERATIONS, OPERATIONS_NOT_REQUESTED } from '../authorized-operations.js';
import { defineControllerHandler } from './controller-context.js';

const ENDPOINT_BROKERS = 1;
const ENDPOINT_CONTROLLERS = 2;

export const controllerDescribeClusterHandler = defineControllerHandler(DescribeClusterApi, { min: 0, max: 1 }, (req, ctx) => {
  const node = ctx.node;
  const endpointType = ctx.apiVersion >= 1 ? req.endpointType : ENDPOINT_BROKERS;
  const base = { throttleTimeMs: 0, clusterId: node.clusterId, controllerId: node.controller.activeControllerId, ...(ctx.apiVersion >= 1 ? { endpointType } : {}) };
  const ops = req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : OPERATIONS_NOT_REQUESTED;
  if (endpointType === ENDPOINT_CONTROLLERS) {
    const brokers = node.voters.map((v) => ({ brokerId: v.id, host: v.host, port: v.port, rack: null }));
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, brokers, clusterAuthorizedOperations: ops };
  }
  if (endpointType !== ENDPOINT_BROKERS) return { ...base, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `Unsupported endpoint type ${endpointType}`, brokers: [] };
  const brokers = node.image.unfencedBrokers().flatMap((b) => {
    const e = b.endpoints[0];
    return e ? [{ brokerId: b.id, host: e.host, port: e.port, rack: b.rack }] : [];
  });
  return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, brokers, clusterAuthorizedOperations: ops };
});
