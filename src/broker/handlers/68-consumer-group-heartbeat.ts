/**
 * ConsumerGroupHeartbeat (key 68), version 0 (KIP-848; Kafka's specs mark v1 unstable).
 *
 * A member of a consumer group joins (epoch 0), heartbeats with its epoch and the partitions it
 * holds, and leaves (epoch -1, or -2 for a static member); the answer carries its epoch, the
 * heartbeat interval and, when it changed or on a full request, its assignment. The coordinator
 * assigns with a server-side assignor (`uniform` by default, or `range`) and hands partitions over
 * only once their previous holder has revoked them (src/group/consumer-group-manager.ts).
 * Errors as Kafka's: INVALID_REQUEST for a malformed join, UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH,
 * UNSUPPORTED_ASSIGNOR, UNRELEASED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED, GROUP_ID_NOT_FOUND for a
 * classic group with members that group.consumer.migration.policy does not let it upgrade (a join
 * otherwise turns such a group into a consumer group, its members staying on as classic members).
 *
 * What a heartbeat changes is durable in __consumer_offsets before it is answered, so the group
 * outlives a restart or a coordinator move.
 *
 * Not yet: rack-aware assignment.
 *
 * With an authorizer, a principal that may not READ the group gets GROUP_AUTHORIZATION_FAILED, and
 * one subscribing to a topic it may not DESCRIBE TOPIC_AUTHORIZATION_FAILED, as Kafka answers.
 */
import { heartbeatError } from '../../group/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { ConsumerGroupHeartbeatApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';
import { clientHostOf } from './11-join-group.js';

export const consumerGroupHeartbeatHandler = defineHandler(ConsumerGroupHeartbeatApi, { min: 0, max: 0 }, async (req, ctx) => {
  const refuse = (errorCode: number) => ({ throttleTimeMs: 0, ...heartbeatError(errorCode, null, null) });
  if (!authorize(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)) return refuse(ErrorCode.GROUP_AUTHORIZATION_FAILED);
  if (req.subscribedTopicNames?.some((t) => !authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t))) return refuse(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  return {
    throttleTimeMs: 0,
    ...(await ctx.broker.groups.consumerGroupHeartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      instanceId: req.instanceId,
      rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      subscribedTopicNames: req.subscribedTopicNames,
      serverAssignor: req.serverAssignor,
      topicPartitions: req.topicPartitions,
      clientId: ctx.clientId ?? '',
      clientHost: clientHostOf(ctx.connection.remote),
    })),
  };
});
