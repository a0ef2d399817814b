/**
 * DescribeCluster (key 60), versions 0-1.
 *
 * From the metadata image: the cluster id, the unfenced brokers with an endpoint on the listener
 * the request came in on, and the broker to send controller requests to (as Metadata reports it).
 * v1 may ask for the controllers (endpoint type 2): the voters of `controller.quorum.voters` with
 * the active controller's id (a standalone node: itself, at its client endpoint). Unknown
 * endpoint types are UNSUPPORTED_ENDPOINT_TYPE. Authorized operations (KIP-430), when asked:
 * the principal's on the cluster. A request tagged INCLUDE_FENCED_BROKERS (Samsa's stand-in for
 * v2's IncludeFencedBrokers, KIP-1073) also gets the fenced brokers, each broker tagged IS_FENCED.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeClusterApi } from '../../protocol/messages/index.js';
import { OPERATIONS_NOT_REQUESTED, ResourceType, authorizedOperations } from '../security/authorize.js';
import { defineHandler } from '../handler.js';
import { SAMSA_TAG, flagTag, hasFlag } from '../../protocol/samsa-tagged-fields.js';
import { aliveBrokerNodes, endpointOf, reportedControllerId } from '../metadata/cluster-view.js';

const ENDPOINT_BROKERS = 1;
const ENDPOINT_CONTROLLERS = 2;

export const describeClusterHandler = defineHandler(DescribeClusterApi, { min: 0, max: 1 }, (req, ctx) => {
  const b = ctx.broker;
  const endpointType = ctx.apiVersion >= 1 ? req.endpointType : ENDPOINT_BROKERS;
  const ops = req.includeClusterAuthorizedOperations ? authorizedOperations(ctx, ResourceType.CLUSTER, 'kafka-cluster') : OPERATIONS_NOT_REQUESTED;
  const base = { throttleTimeMs: 0, clusterId: b.clusterId, ...(ctx.apiVersion >= 1 ? { endpointType } : {}) };
  if (endpointType === ENDPOINT_CONTROLLERS) {
    const voters = b.controllerEndpoints();
    return { ...base, controllerId: b.activeControllerId, errorCode: ErrorCode.NONE, errorMessage: null, brokers: voters.map((v) => ({ brokerId: v.id, host: v.host, port: v.port, rack: null })), clusterAuthorizedOperations: ops };
  }
  const controllerId = reportedControllerId(b.metadata, b.activeControllerId);
  if (endpointType !== ENDPOINT_BROKERS) return { ...base, controllerId, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `Unsupported endpoint type ${endpointType}`, brokers: [] };
  let brokers = aliveBrokerNodes(b.metadata, ctx.listenerName).map((n) => ({ brokerId: n.nodeId, host: n.host, port: n.port, rack: n.rack }));
  if (hasFlag(req.unknownTaggedFields, SAMSA_TAG.INCLUDE_FENCED_BROKERS)) {
    brokers = b.metadata.brokers().flatMap((r) => {
      const e = endpointOf(r, ctx.listenerName);
      return e ? [{ brokerId: r.id, host: e.host, port: e.port, rack: r.rack, unknownTaggedFields: [flagTag(SAMSA_TAG.IS_FENCED, r.fenced)] }] : [];
    });
  }
  return { ...base, controllerId, errorCode: ErrorCode.NONE, errorMessage: null, brokers, clusterAuthorizedOperations: ops };
});
