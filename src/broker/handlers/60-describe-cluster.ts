/**
 * DescribeCluster (key 60), versions 0-1.
 *
 * The cluster id, this node as the only broker and as controller, and (when asked) every
 * cluster operation as authorized. v1 may ask for controller endpoints (endpointType 2): this
 * node is the controller, so the same endpoint is given. Unknown endpoint types are
 * UNSUPPORTED_ENDPOINT_TYPE.
 *
 * Brokers are listed at the address advertised for the client's listener; authorized operations
 * (KIP-430) are the principal's on the cluster.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeClusterApi } from '../../protocol/messages/index.js';
import { advertisedFor, defineHandler } from '../handler.js';
import { OPERATIONS_NOT_REQUESTED, ResourceType, authorizedOperations } from '../security/authorize.js';

const ENDPOINT_BROKERS = 1;
const ENDPOINT_CONTROLLERS = 2;

export const describeClusterHandler = defineHandler(DescribeClusterApi, { min: 0, max: 1 }, (req, ctx) => {
  const b = ctx.broker;
  const base = { throttleTimeMs: 0, clusterId: b.clusterId, controllerId: b.nodeId, ...(ctx.apiVersion >= 1 ? { endpointType: req.endpointType } : {}) };
  if (req.endpointType !== ENDPOINT_BROKERS && req.endpointType !== ENDPOINT_CONTROLLERS) {
    return { ...base, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `Unsupported endpoint type ${req.endpointType}`, brokers: [] };
  }
  const advertised = advertisedFor(ctx);
  return {
    ...base,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    brokers: [{ brokerId: b.nodeId, host: advertised.host, port: advertised.port, rack: null }],
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? authorizedOperations(ctx, ResourceType.CLUSTER, 'kafka-cluster') : OPERATIONS_NOT_REQUESTED,
  };
});
