/**
 * ElectLeaders (key 43), versions 0-2 (kafka-leader-election.sh, AdminClient.electLeaders).
 *
 * Forwarded to the active controller (controller-apis/43-elect-leaders.ts: preferred elections;
 * unclean ones are not done), answered once this broker's metadata reflects the new leaders.
 */
import { ElectLeadersApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const electLeadersHandler = defineHandler(ElectLeadersApi, { min: 0, max: 2 }, (req, ctx) => ctx.broker.forwarder.forward(ctx, ElectLeadersApi, req, Math.max(1, req.timeoutMs)));
