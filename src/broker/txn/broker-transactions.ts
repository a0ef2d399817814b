/**
 * The broker's side of transactions: the transaction coordinator (src/txn) over the partitions of
 * __transaction_state this node leads, and the two paths between it and the partition leaders.
 *
 * - __transaction_state is created through the controller on first use (FindCoordinator or
 *   InitProducerId with a transactional id), as Kafka creates it, with
 *   transaction.state.log.num.partitions partitions. The coordinator serves the partitions this
 *   broker leads: those led at start are loaded then (`start`), later leadership changes arrive
 *   from the metadata publisher (`onLeadershipChange`: loaded at the new leader epoch, which is
 *   the coordinator epoch, or dropped).
 * - Markers (TxnMarkerSender): partitions are grouped by leader; this node's are written through
 *   the partition layer (write-txn-markers.ts), other nodes' go as WriteTxnMarkers over the
 *   inter-broker connection (`interBroker`; without it they are retried).
 * - KIP-890 verification (TxnVerifier): the coordinator of the transactional id is asked — this
 *   node's directly, another node's with AddPartitionsToTxn v4+ verifyOnly over `interBroker`.
 *   Coordinator errors become NOT_ENOUGH_REPLICAS (retriable) for the producer, as in Kafka.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import { type GroupCoordinator, logOffsetsStore } from '../../group/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { TransactionCoordinator, type TxnConfig, type TxnMarker, type TxnMarkerSender, partitionKey } from '../../txn/index.js';
import { TRANSACTION_STATE_TOPIC } from '../../common/topic-name.js';
import type { MetadataImage } from '../../controller/image/metadata-image.js';
import type { ReplicaManager } from '../partitions/replica-manager.js';
import { tpKey } from '../partitions/topic-partition.js';
import type { TxnVerifier } from '../partitions/txn-verification.js';
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
  image: MetadataImage;
  /** Has __transaction_state created through the controller (resolves once it is visible here). */
  createTopic(): Promise<void>;
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
  /** Partitions being loaded, with the coordinator epoch they are loaded at. */
  private readonly loads = new Map<number, { epoch: number; done: Promise<void> }>();

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

  /** At broker start: loads the partitions of __transaction_state this node leads (if the topic exists). */
  async start(): Promise<void> {
    const t = this.o.image.topic(TRANSACTION_STATE_TOPIC);
    if (!t) return;
    await Promise.all(t.partitions.map((p) => (p.leader === this.o.nodeId ? this.load(p.partitionId) : undefined)));
  }

  /**
   * Has __transaction_state created if it does not exist yet (FindCoordinator, InitProducerId);
   * resolves with whether it exists now. Failures are logged and retried by the next lookup.
   */
  async ensureTopic(): Promise<boolean> {
    if (this.o.image.topic(TRANSACTION_STATE_TOPIC)) return true;
    try {
      await this.o.createTopic();
      return true;
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, `${TRANSACTION_STATE_TOPIC} not created yet`);
      return false;
    }
  }

  /** The metadata publisher saw this broker become or stop being the leader of a partition of __transaction_state. */
  onLeadershipChange(partition: number, isLeader: boolean): void {
    if (!isLeader) this.coordinator.onResignation(partition);
    else void this.load(partition);
  }

  /** Loads a partition at the leader epoch its Partition has now (the coordinator epoch), unless already served or being loaded at it. */
  private load(partition: number): Promise<void> {
    const p = this.o.replicaManager.getPartition(TRANSACTION_STATE_TOPIC, partition);
    if (!p?.isLeader) return Promise.resolve();
    const epoch = p.leaderEpoch;
    const current = this.loads.get(partition);
    if (current?.epoch === epoch) return current.done;
    if (this.coordinator.state.servedEpoch(partition) === epoch) return Promise.resolve();
    const done = this.coordinator
      .onElection(partition, epoch)
      .catch((err: unknown) => this.o.log.error({ err, partition }, `could not load a partition of ${TRANSACTION_STATE_TOPIC}`))
      .finally(() => {
        if (this.loads.get(partition)?.done === done) this.loads.delete(partition);
      });
    this.loads.set(partition, { epoch, done });
    return done;
  }

  /** Whether this node serves the id, once the load of its partition (if this node leads it) is done. */
  async servesOnceLoaded(transactionalId: string): Promise<boolean> {
    await this.load(this.coordinator.partitionFor(transactionalId));
    return this.isCoordinatorFor(transactionalId);
  }

  /** The node coordinating a transactional id (the leader of its partition), or -1 when none. */
  coordinatorNode(transactionalId: string): number {
    const t = this.o.image.topic(TRANSACTION_STATE_TOPIC);
    if (!t) return -1;
    return t.partitions[this.coordinator.partitionFor(transactionalId)]?.leader ?? -1;
  }

  /** Whether this node serves the id now (it leads its partition and has loaded it). */
  isCoordinatorFor(transactionalId: string): boolean {
    return this.coordinator.state.status(transactionalId) === 'active';
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
      if (!this.o.image.topic(p.topic)) out.set(partitionKey(p.topic, p.partition), ErrorCode.NONE);
      else {
        const leader = this.o.image.partition(p.topic, p.partition)?.leader ?? -1;
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
      }
    }
    await Promise.all(
      [...byLeader].map(async ([leader, partitions]) => {
        const write: MarkerWrite = { producerId: m.producerId, producerEpoch: m.producerEpoch, committed: m.result === 'commit', coordinatorEpoch: m.coordinatorEpoch, partitions };
        let codes: Map<string, number>;
        if (leader === this.o.nodeId) codes = await writeTxnMarkers({ replicaManager: this.o.replicaManager, image: this.o.image, clock: this.o.clock, groups: this.o.groups, timeoutMs: REQUEST_TIMEOUT_MS }, write);
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
