/**
 * BrokerRegistration (key 62), versions 0-4, on the controller listener: a broker registers its
 * incarnation, listeners, rack, features and log directories; the active controller writes a
 * RegisterBrokerRecord (the broker starts fenced) and answers with the broker epoch (the record's
 * offset) once it is committed. INCONSISTENT_CLUSTER_ID for another cluster's broker,
 * DUPLICATE_BROKER_REGISTRATION while another incarnation of the id holds a live session,
 * NOT_CONTROLLER on a controller that is not active.
 */
import { BrokerRegistrationApi } from '../../protocol/messages/index.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const brokerRegistrationHandler = defineControllerHandler(BrokerRegistrationApi, { min: 0, max: 4 }, async (req, ctx) => {
  try {
    const r = await ctx.node.controller.registerBroker({
      brokerId: req.brokerId,
      clusterId: req.clusterId,
      incarnationId: req.incarnationId,
      listeners: req.listeners.map(({ name, host, port, securityProtocol }) => ({ name, host, port, securityProtocol })),
      features: req.features.map(({ name, minSupportedVersion, maxSupportedVersion }) => ({ name, minSupportedVersion, maxSupportedVersion })),
      rack: req.rack,
      logDirs: req.logDirs,
    });
    return { throttleTimeMs: 0, errorCode: r.errorCode, brokerEpoch: r.brokerEpoch };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: controllerErrorCode(err, ctx), brokerEpoch: -1n };
  }
});
