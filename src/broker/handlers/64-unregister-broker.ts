/**
 * UnregisterBroker (key 64), version 0, on the client listener (kafka-cluster.sh unregister):
 * forwarded to the active controller, which removes the broker's registration.
 */
import { UnregisterBrokerApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const unregisterBrokerHandler = defineHandler(UnregisterBrokerApi, { min: 0, max: 0 }, (req, ctx) => ctx.broker.forwarder.forward(ctx, UnregisterBrokerApi, req));
