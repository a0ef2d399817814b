/**
 * The safety properties of the quorum, checked by the simulator after every event:
 *
 * - election safety: at most one leader per epoch (and a voter grants at most one vote per epoch);
 * - a committed entry is never lost or changed: every batch any node delivers as committed is the
 *   same at the same offset on every node, delivered in order without gaps;
 * - logs agree up to the high watermark, and no node's log loses an entry below it;
 * - leader completeness: a leader holds every entry committed before its epoch;
 * - state machine safety: each node's state equals the state rebuilt from the committed log up to
 *   where that node has applied it.
 *
 * A violation is recorded once (the first), with what was seen; the run stops there.
 */
import type { RaftClient } from '../controller/raft/raft-client.js';
import type { LogBatch } from '../controller/raft/raft-log.js';
import type { InboundRequest, InboundResponse } from '../controller/raft/raft-rpc.js';
import { isPreVote } from '../controller/raft/raft-rpc.js';
import { committedBatch } from '../controller/raft/batch-contents.js';
import { MapDigest, applyKvRecord } from './kv-state-machine.js';

/**
 * The state rebuilt from the committed log, what every node's state machine must equal at the
 * offset it has applied: the key-value map of the plain Raft runs, or the metadata image
 * (metadata-reference.ts).
 */
export interface ReferenceState {
  /** Applies a committed data batch's records; returns a violation, if the state is inconsistent. */
  apply(records: readonly Buffer[], endOffset: number): string | undefined;
  /** A digest of the state now, comparable with the digests nodes report. */
  digest(): string;
}

/** The key-value map built from `key=value` records. */
export class KvReference implements ReferenceState {
  private readonly map = new Map<string, string>();
  private readonly d = new MapDigest();

  apply(records: readonly Buffer[]): undefined {
    for (const r of records) applyKvRecord(this.map, this.d, r);
    return undefined;
  }

  digest(): string {
    return this.d.value;
  }
}

interface CommittedEntry {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly epoch: number;
  readonly bytes: Buffer;
  /** The epoch of the node that delivered it first: it was committed no later than in this epoch. */
  readonly commitEpoch: number;
}

export interface CheckedNode {
  readonly id: number;
  readonly incarnation: number;
  readonly alive: boolean;
  readonly started: boolean;
  readonly client: RaftClient;
}

interface NodeProgress {
  incarnation: number;
  /** Entries below this were checked against the committed log (its last one is rechecked each step). */
  verifiedUpTo: number;
  lastVerified: LogBatch | undefined;
  highWatermark: number;
  leaderEpoch: number;
  /** For the current leader epoch: the index in `entries` up to which completeness was checked. */
  leaderChecked: number;
}

export class RaftInvariantChecker {
  violation: string | undefined;
  private readonly entries: CommittedEntry[] = [];
  private readonly byOffset = new Map<number, CommittedEntry>();
  private committedEnd = 0;
  private readonly digestAt: Map<number, string>;
  /** The reference's digest as of the last data batch (a control batch changes no state). */
  private lastDigest: string;
  private readonly leaders = new Map<number, number>();
  private readonly votes = new Map<string, number>();
  private readonly progress = new Map<number, NodeProgress>();
  elections = 0;
  snapshotLoads = 0;

  constructor(readonly reference: ReferenceState = new KvReference()) {
    this.lastDigest = reference.digest();
    this.digestAt = new Map([[0, this.lastDigest]]);
  }

  private fail(message: string): void {
    this.violation ??= message;
  }

  get committedEndOffset(): number {
    return this.committedEnd;
  }

  /** A node delivered `b` as committed while in `epoch`. */
  onCommitted(nodeId: number, epoch: number, b: LogBatch): void {
    const known = this.byOffset.get(b.baseOffset);
    if (known) {
      if (known.lastOffset !== b.lastOffset || known.epoch !== b.epoch || !known.bytes.equals(b.bytes)) {
        this.fail(`committed entry changed: node ${nodeId} delivered ${b.baseOffset}..${b.lastOffset}@${b.epoch}, committed was ${known.baseOffset}..${known.lastOffset}@${known.epoch}`);
      }
      return;
    }
    if (b.baseOffset !== this.committedEnd) {
      this.fail(`node ${nodeId} delivered ${b.baseOffset}..${b.lastOffset} as committed, but the committed log ends at ${this.committedEnd}`);
      return;
    }
    const e: CommittedEntry = { baseOffset: b.baseOffset, lastOffset: b.lastOffset, epoch: b.epoch, bytes: b.bytes, commitEpoch: epoch };
    this.entries.push(e);
    this.byOffset.set(b.baseOffset, e);
    this.committedEnd = b.lastOffset + 1;
    if (!b.isControl) {
      const bad = this.reference.apply(committedBatch(b).records, this.committedEnd);
      if (bad) this.fail(`the committed state at ${this.committedEnd} is inconsistent: ${bad}`);
      this.lastDigest = this.reference.digest();
    }
    this.digestAt.set(this.committedEnd, this.lastDigest);
  }

  /** A node's state machine reached `appliedOffset` with `digest`. */
  onState(nodeId: number, appliedOffset: number, digest: string, fromSnapshot: boolean): void {
    if (fromSnapshot) this.snapshotLoads++;
    const expected = this.digestAt.get(appliedOffset);
    if (expected === undefined) {
      this.fail(`node ${nodeId} applied up to ${appliedOffset}${fromSnapshot ? ' from a snapshot' : ''}, not the end of any committed batch (committed end ${this.committedEnd})`);
    } else if (expected !== digest) {
      this.fail(`node ${nodeId}'s state at ${appliedOffset}${fromSnapshot ? ' (loaded from a snapshot)' : ''} differs from the state rebuilt from the committed log`);
    }
  }

  /** Every answered Vote: a voter grants at most one real vote per epoch. */
  onExchange(from: number, to: number, req: InboundRequest, res: InboundResponse): void {
    if (req.api !== 'Vote' || res.api !== 'Vote') return;
    const p = req.body.topics[0]?.partitions[0];
    const r = res.body.topics[0]?.partitions[0];
    if (!p || !r || !r.voteGranted || isPreVote(p)) return;
    const key = `${to}@${p.candidateEpoch}`;
    const prior = this.votes.get(key);
    if (prior !== undefined && prior !== p.candidateId) this.fail(`voter ${to} granted its vote in epoch ${p.candidateEpoch} to ${prior} and to ${p.candidateId}`);
    this.votes.set(key, p.candidateId);
    void from;
  }

  /** The checks that look at every live node's state; call after each event. */
  checkStep(nodes: readonly CheckedNode[]): void {
    for (const n of nodes) {
      if (!n.alive || !n.started || !n.client.isRunning) continue;
      const hw = n.client.highWatermark;
      let pr = this.progress.get(n.id);
      if (!pr || pr.incarnation !== n.incarnation) {
        pr = { incarnation: n.incarnation, verifiedUpTo: n.client.log.startOffset, lastVerified: undefined, highWatermark: hw, leaderEpoch: -1, leaderChecked: 0 };
        this.progress.set(n.id, pr);
      }
      if (hw < pr.highWatermark) this.fail(`node ${n.id}'s high watermark went back from ${pr.highWatermark} to ${hw}`);
      pr.highWatermark = hw;
      const state = n.client.quorum.state;
      if (state.name === 'Leader') this.checkLeader(n, state.epoch, pr);
      this.checkLogUpToHighWatermark(n, pr);
      if (this.violation) return;
    }
  }

  private checkLeader(n: CheckedNode, epoch: number, pr: NodeProgress): void {
    const prior = this.leaders.get(epoch);
    if (prior === undefined) {
      this.leaders.set(epoch, n.id);
      this.elections++;
    } else if (prior !== n.id) {
      this.fail(`two leaders in epoch ${epoch}: nodes ${prior} and ${n.id}`);
      return;
    }
    if (pr.leaderEpoch !== epoch) {
      pr.leaderEpoch = epoch;
      pr.leaderChecked = 0;
    }
    const log = n.client.log;
    for (; pr.leaderChecked < this.entries.length; pr.leaderChecked++) {
      const e = this.entries[pr.leaderChecked]!;
      if (e.commitEpoch >= epoch) break;
      if (e.lastOffset < log.startOffset) continue;
      const [mine] = log.batchesBetween(e.baseOffset, e.baseOffset + 1);
      if (!mine || mine.baseOffset !== e.baseOffset || !mine.bytes.equals(e.bytes)) {
        this.fail(`leader ${n.id} of epoch ${epoch} lacks the entry ${e.baseOffset}..${e.lastOffset}@${e.epoch} committed in epoch ${e.commitEpoch}`);
        return;
      }
    }
  }

  private checkLogUpToHighWatermark(n: CheckedNode, pr: NodeProgress): void {
    const log = n.client.log;
    const hw = n.client.highWatermark;
    if (pr.lastVerified && pr.lastVerified.lastOffset >= log.startOffset) {
      const [still] = log.batchesBetween(pr.lastVerified.baseOffset, pr.lastVerified.baseOffset + 1);
      if (!still || !still.bytes.equals(pr.lastVerified.bytes)) {
        this.fail(`node ${n.id} lost or changed its entry at ${pr.lastVerified.baseOffset}, below its high watermark ${hw}`);
        return;
      }
    }
    pr.verifiedUpTo = Math.max(pr.verifiedUpTo, log.startOffset);
    if (pr.verifiedUpTo >= hw) return;
    for (const b of log.batchesBetween(pr.verifiedUpTo, hw)) {
      if (b.lastOffset >= hw) break;
      const e = this.byOffset.get(b.baseOffset);
      if (!e || !e.bytes.equals(b.bytes)) {
        this.fail(`node ${n.id}'s log at ${b.baseOffset}..${b.lastOffset}@${b.epoch}, below its high watermark ${hw}, is not the committed entry${e ? ` ${e.baseOffset}..${e.lastOffset}@${e.epoch}` : ''}`);
        return;
      }
      pr.verifiedUpTo = b.lastOffset + 1;
      pr.lastVerified = b;
    }
  }
}
