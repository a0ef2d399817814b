/**
 * ISR changes a leader asks of the controller (Kafka's AlterPartitionManager): one AlterPartition
 * (v2, topic ids) per change, at most one in flight per partition. While it is in flight the
 * partition counts the proposed members too for its high watermark (Kafka's maximal ISR); the
 * change takes effect when the metadata brings the PartitionChangeRecord (the partition's
 * leadership is replaced then). A refused or failed change is forgotten, to be proposed again by
 * the next fetch or ISR check if it still holds.
 */
import type { Logger } from 'pino';
import type { ControllerChannel } from '../cluster/controller-channel.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { AlterPartitionApi } from '../../protocol/messages/index.js';
import type { Partition } from '../partitions/partition.js';

const ALTER_PARTITION_VERSION = 2;

export interface AlterPartitionManagerOptions {
  readonly brokerId: number;
  brokerEpoch(): bigint;
  readonly channel: Pick<ControllerChannel, 'send'>;
  readonly timeoutMs: number;
  readonly logger: Logger;
}

export class AlterPartitionManager {
  constructor(private readonly o: AlterPartitionManagerOptions) {}

  submit(p: Partition, isr: number[]): void {
    if (p.pendingIsrChange) return;
    const state = p.leaderAndIsr;
    p.setPendingIsr(isr);
    const failed = (why: unknown) => {
      if (p.pendingIsrChange === isr) p.setPendingIsr(undefined);
      this.o.logger.info({ topic: p.topic, partition: p.partition, isr, why }, 'ISR change not made');
    };
    this.o.channel
      .send(
        AlterPartitionApi,
        {
          brokerId: this.o.brokerId,
          brokerEpoch: this.o.brokerEpoch(),
          topics: [{ topicId: p.topicId, partitions: [{ partitionIndex: p.partition, leaderEpoch: state.leaderEpoch, newIsr: isr, leaderRecoveryState: 0, partitionEpoch: state.partitionEpoch ?? 0 }] }],
        },
        { version: ALTER_PARTITION_VERSION, timeoutMs: this.o.timeoutMs },
      )
      .then(
        (res) => {
          const code = res.errorCode !== ErrorCode.NONE ? res.errorCode : (res.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
          if (code !== ErrorCode.NONE) failed(`error ${code}`);
          // Nothing was written (the ISR was already so): nothing will come from the metadata either.
          else if (res.topics[0]?.partitions[0]?.partitionEpoch === state.partitionEpoch && p.pendingIsrChange === isr) p.setPendingIsr(undefined);
          // Otherwise the partition takes the new ISR from the metadata.
        },
        (err: unknown) => failed((err as Error).message),
      );
  }
}
