/**
 * UnregisterBroker (key 64), version 0, on the controller listener (kafka-cluster.sh unregister;
 * brokers forward it here): the active controller removes the broker's registration
 * (UnregisterBrokerRecord). BROKER_ID_NOT_REGISTERED for an unknown id.
 */
import { UnregisterBrokerApi } from '../../protocol/messages/index.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const unregisterBrokerHandler = defineControllerHandler(UnregisterBrokerApi, { min: 0, max: 0 }, async (req, ctx) => {
  try {
    return { throttleTimeMs: 0, ...(await ctx.node.controller.unregisterBroker(req.brokerId)) };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: controllerErrorCode(err, ctx), errorMessage: null };
  }
});
