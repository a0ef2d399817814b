/**
 * Kafka's ProducerStateManager for one log: the producers' state (producer-state.ts) as of the log
 * end, checked and updated by appends (data batches and transaction markers), written to
 * `.snapshot` files at rolls and at a clean close (producer-snapshots.ts), and rebuilt after a
 * truncation.
 */
import type { Clock } from '../common/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { Disk } from '../storage/disk.js';
import type { AppendSpan } from './append-batches.js';
import { lastOffsetAt, producerIdAt } from './batch-fields.js';
import { RESOLVED } from './index-file.js';
import type { LogLogger } from './log-logger.js';
import { deleteProducerSnapshotsAbove, markerAppendAt, noteStoredBatch, producerAppendAt, writeProducerSnapshot } from './producer-snapshots.js';
import { type CompletedTxn, type ProducerAppendOrigin, type ProducerBatch, ProducerState, ProducerStateError, type VerificationCheck } from './producer-state.js';

export interface ProducerStateEnv {
  disk: Disk;
  clock: Clock;
  logger: LogLogger;
}

/** How an append's batches are checked. */
export interface ProducerCheckOptions {
  /** Default 'client'. */
  origin?: ProducerAppendOrigin;
  /** KIP-890: given, a transactional batch starting a transaction must carry this guard. */
  verification?: VerificationCheck;
}

/** What checking an append found: a retry the log holds, or the transactions its markers ended. */
export interface ProducerCheckResult {
  duplicate?: ProducerBatch;
  completed: CompletedTxn[];
}

const NOTHING: ProducerCheckResult = { completed: [] };

export class ProducerStateManager {
  /** The latest snapshot write or deletion (never rejects: a failure is logged, the next roll writes again). */
  private snapshotWrite: Promise<void> = RESOLVED;
  /** Snapshots from the newest one at or below this offset on are kept (the checkpointed recovery point). */
  private retainFrom: bigint;
  private lastWritten: { offset: bigint; snapshot: Buffer } | undefined;
  /**
   * The state, made when first needed: most logs of a broker with many partitions never see an
   * idempotent producer, and an empty ProducerState is three Maps and an array per log to build (and
   * for the young generation to copy) at every start. Reads that find none answer as an empty one.
   */
  private stateMade: ProducerState | undefined;

  constructor(
    private readonly env: ProducerStateEnv,
    /** The log's directory and name (read when needed, not copied). */
    private readonly log: { readonly dir: string; readonly name: string },
    state?: ProducerState,
    /** Whether snapshots exist on disk (then every roll writes one, so none goes stale). */
    private hasSnapshots = false,
    retainFrom = 0n,
  ) {
    this.stateMade = state;
    this.retainFrom = retainFrom;
  }

  private get state(): ProducerState {
    return (this.stateMade ??= new ProducerState());
  }

  /**
   * The snapshot the last takeSnapshot wrote, and its offset; undefined if it wrote none (no
   * producer state and no snapshots) or failed. A clean close's is the state at the log end,
   * which the clean-shutdown summary carries.
   */
  get lastSnapshotWritten(): { offset: bigint; snapshot: Buffer } | undefined {
    return this.lastWritten;
  }

  /** Whether snapshot files may exist on disk. */
  get snapshotsOnDisk(): boolean {
    return this.hasSnapshots;
  }

  /** The state itself, for reads (transactions, DescribeProducers). */
  get current(): ProducerState {
    return this.state;
  }

  /** Whether a state was made (or given): reads of a manager without one answer as an empty state would. */
  get hasState(): boolean {
    return this.stateMade !== undefined;
  }

  /** ProducerState.firstUnstableOffset, without making a state for a log that has none. */
  firstUnstableOffset(): bigint | undefined {
    return this.stateMade?.firstUnstableOffset();
  }

  /** ProducerState.onHighWatermarkUpdated, without making a state for a log that has none. */
  onHighWatermarkUpdated(highWatermark: bigint): void {
    this.stateMade?.onHighWatermarkUpdated(highWatermark);
  }

  /**
   * Checks the batches' producer fields and records them (all or none): throws a
   * ProducerStateError for a batch that must be refused; returns the batch the log already holds
   * when a single batch is a retry of it, and the transactions the append's markers end.
   */
  checkAndRecord(buf: Buffer, spans: readonly AppendSpan[], opts: ProducerCheckOptions = {}): ProducerCheckResult {
    const origin = opts.origin ?? 'client';
    let saved: ReturnType<ProducerState['save']> | undefined;
    let completed: CompletedTxn[] | undefined;
    const now = this.env.clock.now();
    try {
      for (const s of spans) {
        const a = producerAppendAt(buf, s.position);
        // Only a later batch of the same append can be refused after this one is recorded.
        if (spans.length > 1 && (a || producerIdAt(buf, s.position) >= 0n)) saved ??= this.state.save(spans.map((x) => producerIdAt(buf, x.position)));
        if (!a) {
          const m = markerAppendAt(buf, s.position);
          if (!m) continue;
          this.state.checkMarker(m, origin);
          const done = this.state.appendMarker(m, lastOffsetAt(buf, s.position), now);
          if (done) (completed ??= []).push(done);
          continue;
        }
        const duplicate = this.state.check(a, origin, opts.verification);
        if (duplicate && spans.length === 1) return { duplicate, completed: [] };
        if (duplicate) throw new ProducerStateError(ErrorCode.DUPLICATE_SEQUENCE_NUMBER, `Producer ${a.producerId} repeated sequence ${a.firstSeq} among other batches`);
        noteStoredBatch(this.state, a, buf, s.position, now, origin);
      }
    } catch (err) {
      if (saved) this.state.restore(saved);
      throw err;
    }
    return completed ? { completed } : NOTHING;
  }

  /** The recovery point was checkpointed at `offset`: older snapshots than the one there may go. */
  recoveryPointCheckpointed(offset: bigint): void {
    if (offset > this.retainFrom) this.retainFrom = offset;
  }

  /**
   * Records batches a follower copies from its leader (Kafka's AppendOrigin.REPLICATION): the
   * leader has checked them already, so nothing is refused; the state follows the leader's.
   */
  recordReplicated(buf: Buffer, spans: readonly AppendSpan[]): CompletedTxn[] {
    const now = this.env.clock.now();
    const completed: CompletedTxn[] = [];
    for (const s of spans) {
      const a = producerAppendAt(buf, s.position);
      if (a) {
        noteStoredBatch(this.state, a, buf, s.position, now);
        continue;
      }
      // A transaction marker ends the producer's transaction here as on the leader (open transactions, the LSO, .txnindex).
      const m = markerAppendAt(buf, s.position);
      const done = m && this.state.appendMarker(m, lastOffsetAt(buf, s.position), now);
      if (done) completed.push(done);
    }
    return completed;
  }

  /** Forgets the producers silent for producer.id.expiration.ms (see producer-state.ts). */
  removeExpired(): void {
    this.stateMade?.removeExpired(this.env.clock.now());
  }

  /**
   * Writes the state as of `offset` in the background (only once there is any to keep). Resolves
   * to false when the write failed (logged): a clean close needs its snapshot, since the next open
   * takes a log closed cleanly without one for a log without producers (producer-snapshots.ts).
   */
  takeSnapshot(offset: bigint): Promise<boolean> {
    this.removeExpired();
    this.lastWritten = undefined;
    if ((this.stateMade?.size ?? 0) === 0 && !this.hasSnapshots) return this.snapshotWrite.then(() => true);
    this.hasSnapshots = true;
    const snapshot = this.state.encodeSnapshot();
    const retainFrom = this.retainFrom;
    const written = this.snapshotWrite
      .then(() => writeProducerSnapshot(this.env.disk, this.log.dir, offset, snapshot, retainFrom))
      .then(
        () => {
          this.lastWritten = { offset, snapshot };
          return true;
        },
        (err: unknown) => {
          this.env.logger.warn({ err, log: this.log.name }, 'could not write a producer snapshot');
          return false;
        },
      );
    this.snapshotWrite = written.then(() => {});
    return written;
  }

  /** The log was truncated at `offset`: forgets the batches from there on and the snapshots past it. */
  truncateFrom(offset: bigint): void {
    this.stateMade?.truncateFrom(offset);
    if (!this.hasSnapshots) return;
    this.snapshotWrite = this.snapshotWrite
      .then(() => deleteProducerSnapshotsAbove(this.env.disk, this.log.dir, offset))
      .catch((err: unknown) => this.env.logger.warn({ err, log: this.log.name }, 'could not delete producer snapshots past a truncation'));
  }

  /** Takes a state rebuilt from the log (after a truncation). */
  replaceState(state: ProducerState): void {
    this.stateMade = state;
  }

  /** Resolves once the snapshot writes asked for so far are done. */
  idle(): Promise<void> {
    return this.snapshotWrite;
  }
}
