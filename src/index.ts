/** Samsa's public API. */
export { type BrokerOptions, type RunningBroker, startBroker } from './broker/broker.js';
export * from './client/index.js';
