/**
 * DeleteTopics (key 20), versions 1-6 (Kafka 4's floor is 1).
 *
 * Forwarded to the active controller (controller-apis/20-delete-topics.ts: by name, or from v6 by
 * name or id; UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID, TOPIC_DELETION_DISABLED,
 * INVALID_REQUEST); the answer comes back once this broker's metadata no longer has the topics
 * (their logs here are being deleted).
 */
import { DeleteTopicsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const deleteTopicsHandler = defineHandler(DeleteTopicsApi, { min: 1, max: 6 }, (req, ctx) => ctx.broker.forwarder.forward(ctx, DeleteTopicsApi, req, Math.max(1, req.timeoutMs)));
