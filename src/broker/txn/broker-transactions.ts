/**
 * The broker's side of transactions: the transaction coordinator (src/txn) over the partitions of
 * __transaction_state this node leads, and the two paths between it and the partition leaders.
 *
 * - __transaction_state is created on first use (FindCoordinator or InitProducerId with a
 *   transactional id), as Kafka creates it, with transaction.state.log.num.partitions partitions;
 *   when it exists at start, every partition this node leads is loaded (`onElection`).
 * - Markers (TxnMarkerSender): partitions are grouped by leader; this node's are written through
 *   the partition layer (write-txn-markers.ts), other nodes' go as WriteTxnMarkers over the
 *   inter-broker connection (`interBroker`, given by cluster mode; without it they are retried).
 * - KIP-890 verification (TxnVerifier): the coordinator of the transactional id is asked — this
 *   node's directly, another node's with AddPartitionsToTxn v4+ verifyOnly over `interBroker`.
 *   Coordinator errors become NOT_ENOUGH_REPLICAS (retriable) for the producer, as in Kafka.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import { type GroupCoordinator, logOffsetsStore } from '../../group/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { TransactionCoordinator, type TxnConfig, type TxnMarker, type TxnMarkerSender, partitionKey } from '../../txn/index.js';
import type { ClusterMetadata } from '../metadata/cluster-metadata.js';
import { TRANSACTION_STATE_TOPIC } from '../metadata/topic-name.js';
import type { ReplicaManager } from '../partitions/replica-manager.js';
import { tpKey } from '../partitions/topic-partition.js';
import type { TxnVerifier } from '../partitions/txn-verification.js';
import type { TopicManager } from '../topic-manager.js';
import { isTopicError } from '../topic-manager.js';
import { type MarkerWrite, writeTxnMarkers } from './write-txn-markers.js';

/** What cluster mode gives for partitions and coordinators on other nodes. */
export interface InterBrokerTxn {
  /** WriteTxnMarkers to `nodeId`; resolves with each marker's error code per partition (by `topic-partition`). */
  writeTxnMarkers(nodeId: number, markers: readonly MarkerWrite[]): Promise<Map<string, number>[]>;
  /** AddPartitionsToTxn v4+ with verifyOnly to the coordinator `nodeId`; resolves with the partition's error code. */
  verifyPartition(nodeId: number, transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): Promise<number>;
}

export interface BrokerTransactionsOptions {
  nodeId: number;
  config: TxnConfig;
  clock: Clock;
  log: Logger;
  metadata: ClusterMetadata;
  topics: TopicManager;
  replicaManager: ReplicaManager;
  groups(): GroupCoordinator | undefined;
  generateProducerId(): Promise<bigint>;
  interBroker?: InterBrokerTxn;
}

/** Kafka's request.timeout.ms, the bound on the coordinator's writes and markers' appends. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Errors of the coordinator a producer retries (Kafka answers them NOT_ENOUGH_REPLICAS to a produce). */
const COORDINATOR_BUSY = new Set<number>([ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR]);

export class BrokerTransactions implements TxnMarkerSender, TxnVerifier {
  readonly coordinator: TransactionCoordinator;
  private starting: Promise<void> | undefined;

  constructor(private readonly o: BrokerTransactionsOptions) {
    const store = logOffsetsStore((p) => {
      const partition = o.replicaManager.getPartition(TRANSACTION_STATE_TOPIC, p);
      if (!partition) return undefined;
      return {
        get logStartOffset() {
          return partition.logStartOffset;
        },
        get logEndOffset() {
          return partition.logEndOffset;
        },
        append: (batch) => o.replicaManager.appendInternal(TRANSACTION_STATE_TOPIC, p, batch, REQUEST_TIMEOUT_MS),
        read: (offset, maxBytes, opts) => partition.log.read(offset, maxBytes, opts),
      };
    }, o.config['transaction.state.log.load.buffer.size']);
    this.coordinator = new TransactionCoordinator({ clock: o.clock, logger: o.log, store, config: o.config, generateProducerId: o.generateProducerId, markers: this, writeTimeoutMs: REQUEST_TIMEOUT_MS });
  }

  /** At broker start: loads __transaction_state if it exists (it is created on first use otherwise). */
  async start(): Promise<void> {
    if (this.o.metadata.topic(TRANSACTION_STATE_TOPIC)) await this.ensureStarted();
  }

  /** Creates __transaction_state if needed and loads the partitions this node leads (once). */
  ensureStarted(): Promise<void> {
    this.starting ??= this.createAndLoad().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  private async createAndLoad(): Promise<void> {
    const c = this.o.config;
    if (!this.o.metadata.topic(TRANSACTION_STATE_TOPIC)) {
      const created = await this.o.topics.create({
        name: TRANSACTION_STATE_TOPIC,
        numPartitions: c['transaction.state.log.num.partitions'],
        replicationFactor: 1,
        assignments: [],
        configs: [
          ['cleanup.policy', 'compact'],
          ['segment.bytes', String(c['transaction.state.log.segment.bytes'])],
          ['compression.type', 'uncompressed'],
          ['min.insync.replicas', '1'],
        ],
      });
      if (isTopicError(created) && !this.o.metadata.topic(TRANSACTION_STATE_TOPIC)) throw new Error(`cannot create ${TRANSACTION_STATE_TOPIC}: ${created.errorMessage}`);
    }
    const partitions = this.o.metadata.topic(TRANSACTION_STATE_TOPIC)!.partitions;
    await Promise.all(
      Array.from({ length: partitions }, (_, p) => {
        const partition = this.o.replicaManager.getPartition(TRANSACTION_STATE_TOPIC, p);
        return partition?.isLeader ? this.coordinator.onElection(p, partition.leaderEpoch) : undefined;
      }),
    );
  }

  /** The node coordinating a transactional id (the leader of its partition), or -1 when none. */
  coordinatorNode(transactionalId: string): number {
    if (!this.o.metadata.topic(TRANSACTION_STATE_TOPIC)) return -1;
    return this.o.metadata.leaderAndIsr(TRANSACTION_STATE_TOPIC, this.coordinator.partitionFor(transactionalId)).leader;
  }

  // ---- TxnMarkerSender ----

  async send(markers: readonly TxnMarker[]): Promise<Map<string, number>[]> {
    return Promise.all(markers.map((m) => this.sendOne(m)));
  }

  private async sendOne(m: TxnMarker): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const byLeader = new Map<number, { topic: string; partition: number }[]>();
    for (const p of m.partitions) {
      // A topic deleted since it joined the transaction needs no marker.
      if (!this.o.metadata.topic(p.topic)) out.set(partitionKey(p.topic, p.partition), ErrorCode.NONE);
      else {
        const leader = this.o.metadata.leaderAndIsr(p.topic, p.partition).leader;
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
      }
    }
    await Promise.all(
      [...byLeader].map(async ([leader, partitions]) => {
        const write: MarkerWrite = { producerId: m.producerId, producerEpoch: m.producerEpoch, committed: m.result === 'commit', coordinatorEpoch: m.coordinatorEpoch, partitions };
        let codes: Map<string, number>;
        if (leader === this.o.nodeId) codes = await writeTxnMarkers({ replicaManager: this.o.replicaManager, metadata: this.o.metadata, clock: this.o.clock, groups: this.o.groups, timeoutMs: REQUEST_TIMEOUT_MS }, write);
        else if (this.o.interBroker) codes = (await this.o.interBroker.writeTxnMarkers(leader, [write]))[0] ?? new Map();
        else codes = new Map(partitions.map((p) => [tpKey(p.topic, p.partition), ErrorCode.NOT_LEADER_OR_FOLLOWER]));
        for (const p of partitions) out.set(partitionKey(p.topic, p.partition), codes.get(tpKey(p.topic, p.partition)) ?? ErrorCode.NOT_LEADER_OR_FOLLOWER);
      }),
    );
    return out;
  }

  // ---- TxnVerifier ----

  async verify(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): Promise<number> {
    const node = this.coordinatorNode(transactionalId);
    let code: number;
    if (node < 0) code = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    else if (node === this.o.nodeId) {
      const r = this.coordinator.verifyPartitions({ transactionalId, producerId, producerEpoch }, [{ topic, partition }]);
      code = typeof r === 'number' ? r : (r.get(partitionKey(topic, partition)) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
    } else if (this.o.interBroker) code = await this.o.interBroker.verifyPartition(node, transactionalId, producerId, producerEpoch, topic, partition);
    else code = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // As Kafka's AddPartitionsToTxnManager and ReplicaManager answer a producer.
    if (code === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (code === ErrorCode.TRANSACTION_ABORTABLE) return ErrorCode.INVALID_TXN_STATE;
    if (COORDINATOR_BUSY.has(code)) return ErrorCode.NOT_ENOUGH_REPLICAS;
    return code;
  }

  close(): void {
    this.coordinator.close();
  }
}
