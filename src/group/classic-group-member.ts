/** One member of a classic group: who it is, what it supports, what it was assigned, what it waits for. */
import type { TimerHandle } from '../common/clock.js';

export interface JoinProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

export interface JoinGroupMemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

/** What a JoinGroup request is answered with (version-independent; the handler trims per version). */
export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  /** Every member with its metadata for the chosen protocol: for the leader only. */
  members: JoinGroupMemberInfo[];
}

export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export const EMPTY_ASSIGNMENT: Buffer = Buffer.alloc(0);

export function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT };
}

export class ClassicGroupMember {
  assignment: Buffer;
  /** Set while a JoinGroup from this member is parked until the join phase completes. */
  joinWaiter: ((r: JoinGroupResult) => void) | undefined;
  /** Set while a SyncGroup from this member is parked until the leader's assignment is stored. */
  syncWaiter: ((r: SyncGroupResult) => void) | undefined;
  /** Joined but not yet through a completed join phase: its session timer is the new-member timeout. */
  isNew = false;
  heartbeatTimer: TimerHandle | undefined;

  constructor(
    readonly memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: readonly JoinProtocol[],
    assignment: Buffer = EMPTY_ASSIGNMENT,
  ) {
    this.assignment = assignment;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.joinWaiter !== undefined;
  }

  get isAwaitingSync(): boolean {
    return this.syncWaiter !== undefined;
  }

  /** The member's metadata for a protocol (empty if it does not support it). */
  metadata(protocolName: string | null): Buffer {
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_ASSIGNMENT;
  }

  /** Whether a rejoin carries exactly the protocols (names, order, metadata bytes) already known. */
  matches(protocols: readonly JoinProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name));
    if (!choice) throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
    return choice.name;
  }

  /**
   * Whether an expiring session timer may be ignored: members parked in a JoinGroup or SyncGroup
   * cannot heartbeat, except new members, whose abandoned joins must still time out.
   */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.isAwaitingJoin || this.isAwaitingSync;
  }

  completeJoin(r: JoinGroupResult): boolean {
    const w = this.joinWaiter;
    if (!w) return false;
    this.joinWaiter = undefined;
    w(r);
    return true;
  }

  completeSync(r: SyncGroupResult): boolean {
    const w = this.syncWaiter;
    if (!w) return false;
    this.syncWaiter = undefined;
    w(r);
    return true;
  }
}
