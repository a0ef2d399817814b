/**
 * ISR changes a leader asks of the controller (Kafka's AlterPartitionManager): at most one change
 * per partition and one AlterPartition (v2, topic ids) in flight at a time; the changes proposed
 * meanwhile (by fetches and the periodic ISR check, for any number of partitions) go together in
 * the next request, as Kafka batches them. While a change is pending the partition counts the
 * proposed members too for its high watermark (Kafka's maximal ISR); the change takes effect when
 * the metadata brings the PartitionChangeRecord (the partition's leadership is replaced then). A
 * refused or failed change is forgotten, to be proposed again by the next fetch or ISR check if it
 * still holds.
 */
import type { Logger } from 'pino';
import type { ControllerChannel } from '../cluster/controller-channel.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { AlterPartitionApi } from '../../protocol/messages/index.js';
import type { Partition } from '../partitions/partition.js';

const ALTER_PARTITION_VERSION = 2;

/** What the manager needs of a partition. */
export type IsrChangeTarget = Pick<Partition, 'key' | 'topic' | 'partition' | 'topicId' | 'leaderAndIsr' | 'pendingIsrChange' | 'setPendingIsr'>;

export interface AlterPartitionManagerOptions {
  readonly brokerId: number;
  brokerEpoch(): bigint;
  readonly channel: Pick<ControllerChannel, 'send'>;
  readonly timeoutMs: number;
  readonly logger: Logger;
}

interface Proposal {
  readonly p: IsrChangeTarget;
  readonly isr: number[];
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

export class AlterPartitionManager {
  /** Changes proposed and not yet sent, by partition key. */
  private readonly unsent = new Map<string, Proposal>();
  private sending = false;

  constructor(private readonly o: AlterPartitionManagerOptions) {}

  submit(p: IsrChangeTarget, isr: number[]): void {
    if (p.pendingIsrChange) return;
    const state = p.leaderAndIsr;
    p.setPendingIsr(isr);
    this.unsent.set(p.key, { p, isr, leaderEpoch: state.leaderEpoch, partitionEpoch: state.partitionEpoch ?? 0 });
    // Changes proposed in the same turn (one ISR check over many partitions) share the request.
    if (!this.sending) queueMicrotask(() => this.sendNext());
  }

  private sendNext(): void {
    if (this.sending || this.unsent.size === 0) return;
    this.sending = true;
    const batch = [...this.unsent.values()];
    this.unsent.clear();
    const byTopic = new Map<string, Proposal[]>();
    for (const x of batch) byTopic.set(x.p.topicId, [...(byTopic.get(x.p.topicId) ?? []), x]);
    const failed = (x: Proposal, why: unknown) => {
      if (x.p.pendingIsrChange === x.isr) x.p.setPendingIsr(undefined);
      this.o.logger.info({ topic: x.p.topic, partition: x.p.partition, isr: x.isr, why }, 'ISR change not made');
    };
    this.o.channel
      .send(
        AlterPartitionApi,
        {
          brokerId: this.o.brokerId,
          brokerEpoch: this.o.brokerEpoch(),
          topics: [...byTopic].map(([topicId, xs]) => ({
            topicId,
            partitions: xs.map((x) => ({ partitionIndex: x.p.partition, leaderEpoch: x.leaderEpoch, newIsr: x.isr, leaderRecoveryState: 0, partitionEpoch: x.partitionEpoch })),
          })),
        },
        { version: ALTER_PARTITION_VERSION, timeoutMs: this.o.timeoutMs },
      )
      .then(
        (res) => {
          for (const x of batch) {
            const answer = res.topics.find((t) => t.topicId === x.p.topicId)?.partitions.find((r) => r.partitionIndex === x.p.partition);
            const code = res.errorCode !== ErrorCode.NONE ? res.errorCode : (answer?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
            if (code !== ErrorCode.NONE) failed(x, `error ${code}`);
            // Nothing was written (the ISR was already so): nothing will come from the metadata either.
            else if (answer?.partitionEpoch === x.partitionEpoch && x.p.pendingIsrChange === x.isr) x.p.setPendingIsr(undefined);
            // Otherwise the partition takes the new ISR from the metadata.
          }
        },
        (err: unknown) => {
          for (const x of batch) failed(x, (err as Error).message);
        },
      )
      .finally(() => {
        this.sending = false;
        this.sendNext();
      });
  }
}
