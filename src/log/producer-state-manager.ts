/**
 * Kafka's ProducerStateManager for one log: the idempotent producers' state (producer-state.ts)
 * as of the log end, checked and updated by appends, written to `.snapshot` files at rolls and at
 * a clean close (producer-snapshots.ts), and cut back by truncation.
 */
import type { Clock } from '../common/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { Disk } from '../storage/disk.js';
import type { AppendSpan } from './append-batches.js';
import { producerIdAt } from './batch-fields.js';
import { RESOLVED } from './index-file.js';
import type { LogLogger } from './log-logger.js';
import { deleteProducerSnapshotsAbove, noteStoredBatch, producerAppendAt, writeProducerSnapshot } from './producer-snapshots.js';
import { type ProducerBatch, ProducerState, ProducerStateError } from './producer-state.js';

export interface ProducerStateEnv {
  disk: Disk;
  clock: Clock;
  logger: LogLogger;
}

export class ProducerStateManager {
  /** The latest snapshot write or deletion (never rejects: a failure is logged, the next roll writes again). */
  private snapshotWrite: Promise<void> = RESOLVED;

  constructor(
    private readonly env: ProducerStateEnv,
    /** The log's directory and name (read when needed, not copied). */
    private readonly log: { readonly dir: string; readonly name: string },
    private readonly state: ProducerState = new ProducerState(),
    /** Whether snapshots exist on disk (then every roll writes one, so none goes stale). */
    private hasSnapshots = false,
  ) {}

  /**
   * Checks the batches' producer fields and records them (all or none): throws a
   * ProducerStateError for a batch that must be refused; returns the batch the log already holds
   * when a single batch is a retry of it.
   */
  checkAndRecord(buf: Buffer, spans: readonly AppendSpan[]): ProducerBatch | undefined {
    let saved: ReturnType<ProducerState['save']> | undefined;
    const now = this.env.clock.now();
    try {
      for (const s of spans) {
        const a = producerAppendAt(buf, s.position);
        if (!a) continue;
        const duplicate = this.state.check(a);
        if (duplicate && spans.length === 1) return duplicate;
        if (duplicate) throw new ProducerStateError(ErrorCode.DUPLICATE_SEQUENCE_NUMBER, `Producer ${a.producerId} repeated sequence ${a.firstSeq} among other batches`);
        // Only a later batch of the same append can be refused after this one is recorded.
        if (spans.length > 1) saved ??= this.state.save(spans.map((x) => producerIdAt(buf, x.position)));
        noteStoredBatch(this.state, a, buf, s.position, now);
      }
    } catch (err) {
      if (saved) this.state.restore(saved);
      throw err;
    }
    return undefined;
  }

  /**
   * Records batches a follower copies from its leader (Kafka's AppendOrigin.REPLICATION): the
   * leader has checked them already, so nothing is refused; the state follows the leader's.
   */
  recordReplicated(buf: Buffer, spans: readonly AppendSpan[]): void {
    const now = this.env.clock.now();
    for (const s of spans) {
      const a = producerAppendAt(buf, s.position);
      if (a) noteStoredBatch(this.state, a, buf, s.position, now);
    }
  }

  /** Writes the state as of `offset` in the background (only once there is any to keep). */
  takeSnapshot(offset: bigint): Promise<void> {
    this.state.removeExpired(this.env.clock.now());
    if (this.state.size === 0 && !this.hasSnapshots) return this.snapshotWrite;
    this.hasSnapshots = true;
    const snapshot = this.state.encodeSnapshot();
    this.snapshotWrite = this.snapshotWrite
      .then(() => writeProducerSnapshot(this.env.disk, this.log.dir, offset, snapshot))
      .catch((err: unknown) => this.env.logger.warn({ err, log: this.log.name }, 'could not write a producer snapshot'));
    return this.snapshotWrite;
  }

  /** The log was truncated at `offset`: forgets the batches from there on and the snapshots past it. */
  truncateFrom(offset: bigint): void {
    this.state.truncateFrom(offset);
    if (!this.hasSnapshots) return;
    this.snapshotWrite = this.snapshotWrite
      .then(() => deleteProducerSnapshotsAbove(this.env.disk, this.log.dir, offset))
      .catch((err: unknown) => this.env.logger.warn({ err, log: this.log.name }, 'could not delete producer snapshots past a truncation'));
  }

  /** Resolves once the snapshot writes asked for so far are done. */
  idle(): Promise<void> {
    return this.snapshotWrite;
  }
}
