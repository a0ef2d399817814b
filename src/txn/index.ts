/** The transaction coordinator over __transaction_state, and what it is built from. */
export { type DescribedTransaction, type InitProducerIdParams, type InitProducerIdResult, type ListedTransaction, type TransactionCoordinatorOptions, type TxnRequestParams, TransactionCoordinator } from './transaction-coordinator.js';
export { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, TransactionMetadata, TxnState, type TxnPartition, partitionKey, txnStateName, txnStateOf } from './transaction-metadata.js';
export { DEFAULT_TXN_CONFIG, TXN_CONFIG_KEYS, type TxnConfig, txnConfig, txnConfigFrom } from './txn-config.js';
export { type TxnMarker, type TxnMarkerSender, type TxnResult, TxnMarkerManager } from './txn-markers.js';
export { TRANSACTION_STATE_TOPIC, decodeTxnRecord, encodeTxnKey, encodeTxnValue } from './txn-records.js';
export { type EpochAndMetadata, type TxnStateStore, TxnStateManager } from './txn-state-manager.js';
