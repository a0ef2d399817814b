/**
 * AlterConfigs (key 33), versions 0-2.
 *
 * Forwarded to the active controller (controller-apis/33-alter-configs.ts: a topic's overrides
 * replaced by the given set, validated; broker configs cannot be altered at run time yet); the
 * answer comes back once this broker's metadata has the new overrides.
 */
import { AlterConfigsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const alterConfigsHandler = defineHandler(AlterConfigsApi, { min: 0, max: 2 }, (req, ctx) => ctx.broker.forwarder.forward(ctx, AlterConfigsApi, req));
