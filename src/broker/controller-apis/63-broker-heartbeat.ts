/**
 * BrokerHeartbeat (key 63), versions 0-1, on the controller listener: a registered broker's
 * heartbeat keeps its session alive and carries its metadata offset and wishes. The active
 * controller unfences a broker that has caught up to its registration and no longer wants to be
 * fenced, fences one that asks, and answers a broker that wants to shut down, once it is fenced,
 * that it may (controlled shutdown). STALE_BROKER_EPOCH for an old registration (the broker
 * registers again), NOT_CONTROLLER on a controller that is not active.
 */
import { BrokerHeartbeatApi } from '../../protocol/messages/index.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const brokerHeartbeatHandler = defineControllerHandler(BrokerHeartbeatApi, { min: 0, max: 1 }, async (req, ctx) => {
  try {
    const r = await ctx.node.controller.brokerHeartbeat({
      brokerId: req.brokerId,
      brokerEpoch: req.brokerEpoch,
      currentMetadataOffset: req.currentMetadataOffset,
      wantFence: req.wantFence,
      wantShutDown: req.wantShutDown,
    });
    return { throttleTimeMs: 0, ...r };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: controllerErrorCode(err, ctx), isCaughtUp: false, isFenced: true, shouldShutDown: false };
  }
});
