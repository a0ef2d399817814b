/**
 * The transaction coordinator's settings, under Kafka's broker-config names and with Kafka's
 * defaults, plus the Samsa limit Kafka lacks (principle 5). The broker reads them from its own
 * config (TXN_CONFIG_KEYS lists them for server.properties and DescribeConfigs) and hands the
 * coordinator a plain, typed object, as it does for the group coordinator.
 */
import type { ConfigKey } from '../common/config-def.js';

export interface TxnConfig {
  /** Partitions of __transaction_state; a transactional id lives in abs(hash(id)) % this. */
  readonly 'transaction.state.log.num.partitions': number;
  /** Replicas of __transaction_state when it is created (a single node without process.roles uses 1 unless this is set). */
  readonly 'transaction.state.log.replication.factor': number;
  /** min.insync.replicas of __transaction_state (at most its replication factor). */
  readonly 'transaction.state.log.min.isr': number;
  /** Segment size of __transaction_state (used by whoever creates the topic). */
  readonly 'transaction.state.log.segment.bytes': number;
  /** Bytes read at a time from __transaction_state while loading. */
  readonly 'transaction.state.log.load.buffer.size': number;
  /** The largest transaction.timeout.ms a producer may ask for (INVALID_TRANSACTION_TIMEOUT beyond). */
  readonly 'transaction.max.timeout.ms': number;
  /** How long a transactional id is kept without a transaction before it is forgotten. */
  readonly 'transactional.id.expiration.ms': number;
  /** How often transactions past their timeout are looked for (and aborted). */
  readonly 'transaction.abort.timed.out.transaction.cleanup.interval.ms': number;
  /** How often expired transactional ids are looked for (and removed). */
  readonly 'transaction.remove.expired.transaction.cleanup.interval.ms': number;
  /** KIP-890: partition leaders ask the coordinator before the first transactional write of a transaction. */
  readonly 'transaction.partition.verification.enable': boolean;
  /** Samsa: most transactional ids held (InitProducerId for one more gets COORDINATOR_NOT_AVAILABLE). */
  readonly 'samsa.transaction.max.transactional.ids': number;
}

export const DEFAULT_TXN_CONFIG: TxnConfig = {
  'transaction.state.log.num.partitions': 50,
  'transaction.state.log.replication.factor': 3,
  'transaction.state.log.min.isr': 2,
  'transaction.state.log.segment.bytes': 104857600,
  'transaction.state.log.load.buffer.size': 5242880,
  'transaction.max.timeout.ms': 900000,
  'transactional.id.expiration.ms': 604800000,
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': 10000,
  'transaction.remove.expired.transaction.cleanup.interval.ms': 3600000,
  'transaction.partition.verification.enable': true,
  'samsa.transaction.max.transactional.ids': 100000,
};

const DOCS: Record<keyof TxnConfig, [type: 'INT' | 'LONG' | 'BOOLEAN', min: number, doc: string]> = {
  'transaction.state.log.num.partitions': ['INT', 1, 'The number of partitions for the transaction topic (should not change after deployment).'],
  'transaction.state.log.replication.factor': ['INT', 1, 'The replication factor for the transaction topic. A single node without process.roles uses 1 unless this is set.'],
  'transaction.state.log.min.isr': ['INT', 1, 'The minimum number of replicas that must acknowledge a write to the transaction topic in order to be considered successful.'],
  'transaction.state.log.segment.bytes': ['INT', 1, 'The transaction topic segment bytes should be kept relatively small in order to facilitate faster log compaction and cache loads.'],
  'transaction.state.log.load.buffer.size': ['INT', 1, 'Batch size for reading from the transaction log segments when loading producer ids and transactions into the cache.'],
  'transaction.max.timeout.ms': ['INT', 1, 'The maximum allowed timeout for transactions. If a client’s requested transaction time exceed this, then the broker will return an error in InitProducerIdRequest.'],
  'transactional.id.expiration.ms': ['INT', 1, 'The time in ms that the transaction coordinator will wait without receiving any transaction status updates for the current transaction before expiring its transactional id.'],
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': ['INT', 1, 'The interval at which to rollback transactions that have timed out.'],
  'transaction.remove.expired.transaction.cleanup.interval.ms': ['INT', 1, 'The interval at which to remove transactions that have expired due to transactional.id.expiration.ms passing.'],
  'transaction.partition.verification.enable': ['BOOLEAN', 0, 'Enable verification that checks that the partition has been added to the transaction before writing transactional records to the partition.'],
  'samsa.transaction.max.transactional.ids': ['INT', 1, 'Samsa: the most transactional ids the coordinator holds; InitProducerId for one more fails with COORDINATOR_NOT_AVAILABLE.'],
};

/** The coordinator's configs as broker config keys, for the broker's registry (server.properties, DescribeConfigs). */
export const TXN_CONFIG_KEYS: readonly ConfigKey[] = (Object.keys(DOCS) as (keyof TxnConfig)[]).map((name) => {
  const [type, min, doc] = DOCS[name];
  return type === 'BOOLEAN' ? { name, type, default: DEFAULT_TXN_CONFIG[name], doc } : { name, type, default: DEFAULT_TXN_CONFIG[name], doc, min };
});

/** A full config from overrides, e.g. `txnConfig({ 'transaction.max.timeout.ms': 60000 })`. */
export function txnConfig(overrides: Partial<TxnConfig> = {}): TxnConfig {
  return { ...DEFAULT_TXN_CONFIG, ...overrides };
}

/** Reads every transaction config through a getter, e.g. `txnConfigFrom((n) => brokerConfig.get(n))`. */
export function txnConfigFrom(get: (name: keyof TxnConfig) => unknown): TxnConfig {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(DEFAULT_TXN_CONFIG) as (keyof TxnConfig)[]) out[name] = get(name);
  return out as unknown as TxnConfig;
}
