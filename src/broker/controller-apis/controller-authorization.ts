/**
 * Authorization on the controller listener, as Kafka 4's ControllerApis does it: with an
 * authorizer configured (`authorizer.class.name`, its ACLs those of the controller's committed
 * metadata image), each API asks for an operation on the cluster before anything is done, and a
 * request whose principal lacks it is answered CLUSTER_AUTHORIZATION_FAILED in every entry:
 *
 * - CLUSTER_ACTION: the quorum's RPCs (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch,
 *   FetchSnapshot), BrokerRegistration, BrokerHeartbeat, AlterPartition, AllocateProducerIds and
 *   Envelope (the forwarding broker's principal);
 * - ALTER: CreateAcls, DeleteAcls, AlterUserScramCredentials, ElectLeaders,
 *   AlterPartitionReassignments, UnregisterBroker, DescribeCluster (on the controller, unlike on a
 *   broker, DescribeCluster asks for ALTER); ALTER_CONFIGS: AlterClientQuotas; DESCRIBE:
 *   DescribeQuorum, ListPartitionReassignments.
 *
 * CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs and IncrementalAlterConfigs are
 * authorized resource by resource in their handlers (`authorizeController`). ApiVersions needs
 * nothing. A forwarded request is checked as the principal and client address its Envelope
 * carries (58-envelope.ts). The controller's own broker, reaching it in-process, is this node and
 * is not checked (its forwarded requests are, as their client).
 */
import { ConfigResourceType } from '../../controller/image/image-types.js';
import type { AnyApiDescriptor } from '../../protocol/api-descriptor.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { ApiKey } from '../../protocol/messages/index.js';
import { AclOperation, CLUSTER_RESOURCE_NAME, ResourceType } from '../../security/acl.js';
import type { AnyHandler } from '../handler.js';
import { errorResponse } from '../faults/error-responses.js';
import type { ControllerRequestContext } from './controller-context.js';

/** Whether the request's principal may do `operation` to the resource (always without an authorizer, or for this node's own broker). */
export function authorizeController(ctx: ControllerRequestContext, operation: number, resourceType: number, name: string): boolean {
  const a = ctx.node.authorizer;
  return a === undefined || ctx.identity === undefined || a.authorize(ctx.identity, operation, resourceType, name);
}

export function authorizeControllerCluster(ctx: ControllerRequestContext, operation: number): boolean {
  return authorizeController(ctx, operation, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME);
}

/** The operation on the cluster each API asks for before anything else, by API key. */
export const CLUSTER_OPERATION: ReadonlyMap<number, number> = new Map([
  [ApiKey.Vote, AclOperation.CLUSTER_ACTION],
  [ApiKey.BeginQuorumEpoch, AclOperation.CLUSTER_ACTION],
  [ApiKey.EndQuorumEpoch, AclOperation.CLUSTER_ACTION],
  [ApiKey.Fetch, AclOperation.CLUSTER_ACTION],
  [ApiKey.FetchSnapshot, AclOperation.CLUSTER_ACTION],
  [ApiKey.BrokerRegistration, AclOperation.CLUSTER_ACTION],
  [ApiKey.BrokerHeartbeat, AclOperation.CLUSTER_ACTION],
  [ApiKey.AlterPartition, AclOperation.CLUSTER_ACTION],
  [ApiKey.AllocateProducerIds, AclOperation.CLUSTER_ACTION],
  [ApiKey.Envelope, AclOperation.CLUSTER_ACTION],
  [ApiKey.CreateAcls, AclOperation.ALTER],
  [ApiKey.DeleteAcls, AclOperation.ALTER],
  [ApiKey.AlterUserScramCredentials, AclOperation.ALTER],
  [ApiKey.ElectLeaders, AclOperation.ALTER],
  [ApiKey.AlterPartitionReassignments, AclOperation.ALTER],
  [ApiKey.UnregisterBroker, AclOperation.ALTER],
  [ApiKey.DescribeCluster, AclOperation.ALTER],
  [ApiKey.AlterClientQuotas, AclOperation.ALTER_CONFIGS],
  [ApiKey.DescribeQuorum, AclOperation.DESCRIBE],
  [ApiKey.ListPartitionReassignments, AclOperation.DESCRIBE],
]);

type Obj = Record<string, unknown>;

/** The answers of APIs only the controller serves with `errorCode` (the admin APIs' are the fault injector's: faults/error-responses.ts). */
const CONTROLLER_ONLY: ReadonlyMap<number, (errorCode: number) => Obj> = new Map<number, (errorCode: number) => Obj>([
  [ApiKey.Vote, (errorCode) => ({ errorCode, topics: [] })],
  [ApiKey.BeginQuorumEpoch, (errorCode) => ({ errorCode, topics: [] })],
  [ApiKey.EndQuorumEpoch, (errorCode) => ({ errorCode, topics: [] })],
  [ApiKey.Fetch, (errorCode) => ({ throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] })],
  [ApiKey.FetchSnapshot, (errorCode) => ({ throttleTimeMs: 0, errorCode, topics: [] })],
  [ApiKey.BrokerRegistration, (errorCode) => ({ throttleTimeMs: 0, errorCode, brokerEpoch: -1n })],
  [ApiKey.BrokerHeartbeat, (errorCode) => ({ throttleTimeMs: 0, errorCode, isCaughtUp: false, isFenced: true, shouldShutDown: false })],
  [ApiKey.AlterPartition, (errorCode) => ({ throttleTimeMs: 0, errorCode, topics: [] })],
  [ApiKey.AllocateProducerIds, (errorCode) => ({ throttleTimeMs: 0, errorCode, producerIdStart: -1n, producerIdLen: 0 })],
  [ApiKey.Envelope, (errorCode) => ({ errorCode, responseData: null })],
]);

/** The answer to a request refused as a whole with `errorCode` (Kafka's getErrorResponse). */
export function refusal(api: AnyApiDescriptor, version: number, req: Obj, errorCode: number): Obj {
  return CONTROLLER_ONLY.get(api.apiKey)?.(errorCode) ?? errorResponse(api.apiKey, version, req, errorCode);
}

/** The handler with its API's check on the cluster in front (the handler itself when the API has none). */
export function withClusterCheck(handler: AnyHandler<ControllerRequestContext>): AnyHandler<ControllerRequestContext> {
  const operation = CLUSTER_OPERATION.get(handler.api.apiKey);
  if (operation === undefined) return handler;
  return {
    ...handler,
    handle(req, ctx) {
      if (authorizeControllerCluster(ctx, operation)) return handler.handle(req, ctx);
      ctx.log.info({ api: handler.api.name, principal: ctx.identity?.principal, host: ctx.identity?.clientHost }, 'controller request refused: no authorization on the cluster');
      return refusal(handler.api as unknown as AnyApiDescriptor, ctx.apiVersion, req as Obj, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    },
  };
}

/**
 * The results of a request authorized entry by entry: `refused` answers an entry the principal may
 * not touch, `run` is given the others (and not called when there are none), and the results come
 * back in the request's order.
 */
export async function authorizedEach<Item, Result>(items: readonly Item[], refused: (item: Item) => Result | undefined, run: (allowed: Item[]) => Promise<readonly Result[]>): Promise<Result[]> {
  const decided = items.map(refused);
  const allowed = items.filter((_, i) => decided[i] === undefined);
  const answered = allowed.length > 0 ? await run(allowed) : [];
  let next = 0;
  return decided.map((d) => d ?? answered[next++]!);
}

/** The error of a config resource the principal may not alter (ALTER_CONFIGS on the topic, or on the cluster for the other types), or undefined. */
export function alterConfigsRefusal(ctx: ControllerRequestContext, resource: { resourceType: number; resourceName: string }): number | undefined {
  if (resource.resourceType === ConfigResourceType.TOPIC) {
    return authorizeController(ctx, AclOperation.ALTER_CONFIGS, ResourceType.TOPIC, resource.resourceName) ? undefined : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  }
  return authorizeControllerCluster(ctx, AclOperation.ALTER_CONFIGS) ? undefined : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
}
