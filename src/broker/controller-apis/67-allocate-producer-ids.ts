/**
 * AllocateProducerIds (key 67), version 0, on the controller listener: a broker asks for the
 * next block of 1,000 producer ids for InitProducerId; the active controller writes a
 * ProducerIdsRecord and answers once it is committed, so no id is ever given twice, whatever
 * fails over. STALE_BROKER_EPOCH for a broker not registered with that epoch.
 */
import { AllocateProducerIdsApi } from '../../protocol/messages/index.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const allocateProducerIdsHandler = defineControllerHandler(AllocateProducerIdsApi, { min: 0, max: 0 }, async (req, ctx) => {
  try {
    return { throttleTimeMs: 0, ...(await ctx.node.controller.allocateProducerIds(req.brokerId, req.brokerEpoch)) };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: controllerErrorCode(err, ctx), producerIdStart: -1n, producerIdLen: 0 };
  }
});
