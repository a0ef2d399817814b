/**
 * IncrementalAlterConfigs (key 44), versions 0-1.
 *
 * Forwarded to the active controller (controller-apis/44-incremental-alter-configs.ts: SET,
 * DELETE, APPEND, SUBTRACT on a topic's overrides, validated; broker configs cannot be altered
 * yet); the answer comes back once this broker's metadata has the new overrides.
 */
import { IncrementalAlterConfigsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const incrementalAlterConfigsHandler = defineHandler(IncrementalAlterConfigsApi, { min: 0, max: 1 }, (req, ctx) => ctx.broker.forwarder.forward(ctx, IncrementalAlterConfigsApi, req));
