/**
 * ISR changes a leader asks of the controller (Kafka's AlterPartitionManager): at most one change
 * per partition and one AlterPartition (v2, topic ids) in flight at a time; the changes proposed
 * meanwhile (by fetches and the periodic ISR check, for any number of partitions) go together in
 * the next request, as Kafka batches them. While a change is pending the partition counts the
 * proposed members too for its high watermark (Kafka's maximal ISR); the change takes effect when
 * the metadata brings the PartitionChangeRecord (the partition's leadership is replaced then,
 * which ends the pending change).
 *
 * A change is forgotten (to be proposed again by the next fetch or ISR check if it still holds)
 * only when the controller's answer says it was not made. When no answer came (a timeout, a
 * broken connection, no controller reached) the controller may have made it all the same, so the
 * change is sent again, after `retryBackoffMs`, until one comes: forgetting it would let the high
 * watermark pass a follower that the controller has put in the ISR, and that follower could then
 * be elected without records below it (found by the partition simulation, src/sim/partition-sim.ts).
 * An answer that the partition moved on (INVALID_UPDATE_VERSION, FENCED_LEADER_EPOCH,
 * NOT_LEADER_OR_FOLLOWER: an earlier try of this very change may be what moved it) keeps the
 * change pending until the metadata brings the partition's new state.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import type { ControllerChannel } from '../cluster/controller-channel.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { AlterPartitionApi } from '../../protocol/messages/index.js';
import type { LeaderAndIsr, Partition } from '../partitions/partition.js';

const ALTER_PARTITION_VERSION = 2;

/** What the manager needs of a partition. */
export type IsrChangeTarget = Pick<Partition, 'key' | 'topic' | 'partition' | 'topicId' | 'leaderAndIsr' | 'pendingIsrChange' | 'setPendingIsr'>;

export interface AlterPartitionManagerOptions {
  readonly brokerId: number;
  brokerEpoch(): bigint;
  readonly channel: Pick<ControllerChannel, 'send'>;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Waits `retryBackoffMs` before sending again a change whose answer never came. */
  readonly clock: Clock;
  readonly retryBackoffMs: number;
}

/** Answers by which the controller says the partition moved on: the metadata will bring its new state. */
const MOVED_ON: readonly number[] = [ErrorCode.INVALID_UPDATE_VERSION, ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.NOT_LEADER_OR_FOLLOWER];

/** Answers that say nothing of whether the change was made: send it again. */
const NO_VERDICT: readonly number[] = [ErrorCode.NOT_CONTROLLER, ErrorCode.STALE_BROKER_EPOCH, ErrorCode.REQUEST_TIMED_OUT];

interface Proposal {
  readonly p: IsrChangeTarget;
  readonly isr: number[];
  /** The partition's state the change was proposed from (the metadata replaces it, ending the change). */
  readonly state: LeaderAndIsr;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

export class AlterPartitionManager {
  /** Changes proposed and not yet sent, by partition key. */
  private readonly unsent = new Map<string, Proposal>();
  private sending = false;
  private closed = false;

  constructor(private readonly o: AlterPartitionManagerOptions) {}

  submit(p: IsrChangeTarget, isr: number[]): void {
    if (p.pendingIsrChange || this.closed) return;
    const state = p.leaderAndIsr;
    p.setPendingIsr(isr);
    this.unsent.set(p.key, { p, isr, state, leaderEpoch: state.leaderEpoch, partitionEpoch: state.partitionEpoch ?? 0 });
    // Changes proposed in the same turn (one ISR check over many partitions) share the request.
    if (!this.sending) queueMicrotask(() => this.sendNext());
  }

  /** Still this change, proposed from this state. */
  private current(x: Proposal): boolean {
    return x.p.pendingIsrChange === x.isr && x.p.leaderAndIsr === x.state;
  }

  private sendNext(): void {
    if (this.sending || this.unsent.size === 0 || this.closed) return;
    this.sending = true;
    const batch = [...this.unsent.values()];
    this.unsent.clear();
    const byTopic = new Map<string, Proposal[]>();
    for (const x of batch) byTopic.set(x.p.topicId, [...(byTopic.get(x.p.topicId) ?? []), x]);
    const failed = (x: Proposal, why: unknown) => {
      if (this.current(x)) x.p.setPendingIsr(undefined);
      this.o.logger.info({ topic: x.p.topic, partition: x.p.partition, isr: x.isr, why }, 'ISR change not made');
    };
    const again: Proposal[] = [];
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
            if (code === ErrorCode.NONE) {
              // Nothing was written (the ISR was already so): nothing will come from the metadata either.
              if (answer?.partitionEpoch === x.partitionEpoch && this.current(x)) x.p.setPendingIsr(undefined);
              // Otherwise the partition takes the new ISR from the metadata.
            } else if (MOVED_ON.includes(code)) {
              this.o.logger.info({ topic: x.p.topic, partition: x.p.partition, isr: x.isr, error: code }, 'ISR change refused: the partition moved on; waiting for its new state');
            } else if (NO_VERDICT.includes(code)) {
              again.push(x);
            } else {
              failed(x, `error ${code}`);
            }
          }
        },
        (err: unknown) => {
          // No answer: the controller may have made the changes. Ask again until it says.
          this.o.logger.info({ changes: batch.length, why: (err as Error).message }, 'ISR changes not answered: sending them again');
          again.push(...batch);
        },
      )
      .finally(() => {
        this.sending = false;
        if (again.length > 0) this.retry(again);
        this.sendNext();
      });
  }

  private retry(changes: readonly Proposal[]): void {
    this.o.clock.setTimeout(() => {
      if (this.closed) return;
      for (const x of changes) if (this.current(x) && !this.unsent.has(x.p.key)) this.unsent.set(x.p.key, x);
      this.sendNext();
    }, this.o.retryBackoffMs);
  }

  /** Stops sending (the broker is closing). */
  close(): void {
    this.closed = true;
    this.unsent.clear();
  }
}
