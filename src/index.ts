/** Samsa's public API. */
export { type BrokerOptions, type RunningBroker, startBroker } from './broker/broker.js';
export type { FaultAction, FaultMatch, Faults, InjectedFault, SeenRequest } from './broker/faults/faults.js';
export { ErrorCode } from './protocol/error-codes.js';
export { ApiKey } from './protocol/messages/index.js';
export * from './client/index.js';
