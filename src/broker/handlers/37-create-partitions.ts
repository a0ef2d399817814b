/**
 * CreatePartitions (key 37), versions 0-3.
 *
 * Forwarded to the active controller (controller-apis/37-create-partitions.ts: grow only,
 * explicit assignments naming registered brokers, `validateOnly`); the answer comes back once
 * this broker's metadata has the new partitions.
 */
import { CreatePartitionsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const createPartitionsHandler = defineHandler(CreatePartitionsApi, { min: 0, max: 3 }, (req, ctx) => ctx.broker.forwarder.forward(ctx, CreatePartitionsApi, req, Math.max(1, req.timeoutMs)));
