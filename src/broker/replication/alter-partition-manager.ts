/**
 * ISR changes a leader asks of the controller (Kafka's AlterPartitionManager): one AlterPartition
 * (v2, topic ids) per change, at most one in flight per partition. While it is in flight the
 * partition counts the proposed members too for its high watermark (Kafka's maximal ISR); the
 * change takes effect when the metadata brings the PartitionChangeRecord (the partition's
 * leadership is replaced then, which ends the pending change).
 *
 * A change is forgotten (to be proposed again by the next fetch or ISR check if it still holds)
 * only when the controller's answer says it was not made. When no answer came (a timeout, a
 * broken connection) the controller may have made it all the same, so the same request is sent
 * again until one comes: forgetting it would let the high watermark pass a follower that the
 * controller has put in the ISR, and that follower could then be elected without records below
 * it (found by the partition simulation, src/sim/partition-sim.ts). An answer that the partition
 * moved on (INVALID_UPDATE_VERSION, FENCED_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER: an earlier try of
 * this very change may be what moved it) keeps the change pending until the metadata brings the
 * partition's new state.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import type { ControllerChannel } from '../cluster/controller-channel.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { AlterPartitionApi } from '../../protocol/messages/index.js';
import type { LeaderAndIsr, Partition } from '../partitions/partition.js';

const ALTER_PARTITION_VERSION = 2;

export interface AlterPartitionManagerOptions {
  readonly brokerId: number;
  brokerEpoch(): bigint;
  readonly channel: Pick<ControllerChannel, 'send'>;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Waits `retryBackoffMs` before sending a change again whose answer never came. */
  readonly clock: Clock;
  readonly retryBackoffMs: number;
}

/** Answers by which the controller says the partition moved on: the metadata will bring its new state. */
const MOVED_ON: readonly number[] = [ErrorCode.INVALID_UPDATE_VERSION, ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.NOT_LEADER_OR_FOLLOWER];

export class AlterPartitionManager {
  private closed = false;

  constructor(private readonly o: AlterPartitionManagerOptions) {}

  submit(p: Partition, isr: number[]): void {
    if (p.pendingIsrChange) return;
    p.setPendingIsr(isr);
    this.send(p, isr, p.leaderAndIsr);
  }

  private send(p: Partition, isr: number[], state: LeaderAndIsr): void {
    // Still this change, proposed from this state (the metadata ends it by replacing the state).
    const current = () => p.pendingIsrChange === isr && p.leaderAndIsr === state;
    const failed = (why: unknown) => {
      if (current()) p.setPendingIsr(undefined);
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
          if (code === ErrorCode.NONE) {
            // Nothing was written (the ISR was already so): nothing will come from the metadata either.
            if (res.topics[0]?.partitions[0]?.partitionEpoch === state.partitionEpoch && current()) p.setPendingIsr(undefined);
            // Otherwise the partition takes the new ISR from the metadata.
          } else if (MOVED_ON.includes(code)) {
            this.o.logger.info({ topic: p.topic, partition: p.partition, isr, error: code }, 'ISR change refused: the partition moved on; waiting for its new state');
          } else if (code === ErrorCode.STALE_BROKER_EPOCH) {
            // This broker registered again meanwhile: an earlier try may have been made; ask again with the new epoch.
            this.retry(p, isr, state);
          } else {
            failed(`error ${code}`);
          }
        },
        (err: unknown) => {
          // No answer: the controller may have made the change. Ask again until it says.
          this.o.logger.info({ topic: p.topic, partition: p.partition, isr, why: (err as Error).message }, 'ISR change not answered: sending it again');
          this.retry(p, isr, state);
        },
      );
  }

  private retry(p: Partition, isr: number[], state: LeaderAndIsr): void {
    this.o.clock.setTimeout(() => {
      if (p.pendingIsrChange === isr && p.leaderAndIsr === state && !this.closed) this.send(p, isr, state);
    }, this.o.retryBackoffMs);
  }

  /** Stops sending again (the broker is closing). */
  close(): void {
    this.closed = true;
  }
}
