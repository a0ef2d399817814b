/**
 * CreateTopics (key 19), versions 2-7 (Kafka 4's floor is 2).
 *
 * Forwarded to the active controller (cluster/forwarding.ts), which validates and creates the
 * topics (controller-apis/19-create-topics.ts: Kafka's checks and error codes, replica placement,
 * `validateOnly`); the answer comes back once this broker's metadata includes the new topics.
 */
import { CreateTopicsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const createTopicsHandler = defineHandler(CreateTopicsApi, { min: 2, max: 7 }, (req, ctx) => ctx.broker.forwarder.forward(ctx, CreateTopicsApi, req, Math.max(1, req.timeoutMs)));
