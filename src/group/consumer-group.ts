/**
 * A KIP-848 consumer group: its members, the group epoch (bumped by every change of membership,
 * subscriptions or subscribed topics' partitions), the target assignment computed for that epoch,
 * and each member's reconciliation towards its target (Kafka's CurrentAssignmentBuilder): a member
 * first gives up the partitions it must revoke (UNREVOKED_PARTITIONS, its epoch unchanged), then
 * moves to the target epoch with the partitions no other member still holds
 * (UNRELEASED_PARTITIONS until the rest are released, STABLE once it has its whole target).
 * Assignments are sets of partition keys (consumer-group-assignors.ts). A member that speaks the
 * classic protocol (JoinGroup, SyncGroup, Heartbeat: Kafka 4's online migration) carries its
 * session timeout and JoinGroup protocols in `classic`.
 */
import type { JoinProtocol } from './classic-group-member.js';

export type MemberState = 'STABLE' | 'UNREVOKED_PARTITIONS' | 'UNRELEASED_PARTITIONS';

/** What a classic-protocol member of a consumer group joined with. */
export interface ClassicMemberInfo {
  sessionTimeoutMs: number;
  /** Its JoinGroup protocols, in its order of preference; all carry the same subscription. */
  protocols: readonly JoinProtocol[];
}

export interface ConsumerGroupMember {
  readonly memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: readonly string[];
  serverAssignor: string | null;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberState;
  /** Partitions the member holds (may consume). */
  assigned: Set<string>;
  /** Partitions the member must give up before it moves on. */
  pendingRevocation: Set<string>;
  /** Set for a member that speaks the classic protocol. */
  classic: ClassicMemberInfo | null;
}

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';

/** A member that has subscribed to nothing and holds nothing yet, at epoch 0. */
export function blankMember(memberId: string): ConsumerGroupMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: '',
    clientHost: '',
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: [],
    serverAssignor: null,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: 'STABLE',
    assigned: new Set(),
    pendingRevocation: new Set(),
    classic: null,
  };
}

export class ConsumerGroup {
  readonly members = new Map<string, ConsumerGroupMember>();
  groupEpoch = 0;
  assignmentEpoch = 0;
  /** Member id -> its target assignment at assignmentEpoch. */
  targetAssignment = new Map<string, Set<string>>();
  /** Subscribed topics as "name:id:partitions", to see a topic created, deleted or grown. */
  subscriptionSignature = '';

  constructor(readonly groupId: string) {}

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (m.memberEpoch !== this.assignmentEpoch || m.state !== 'STABLE') return 'Reconciling';
    return 'Stable';
  }

  /** The member holding a partition (assigned or pending revocation), if any but `except`. */
  holder(key: string, except: string): ConsumerGroupMember | undefined {
    for (const m of this.members.values()) if (m.memberId !== except && (m.assigned.has(key) || m.pendingRevocation.has(key))) return m;
    return undefined;
  }

  /** The member with this group.instance.id, if any. */
  staticMember(instanceId: string | null): ConsumerGroupMember | undefined {
    if (instanceId === null) return undefined;
    for (const m of this.members.values()) if (m.instanceId === instanceId) return m;
    return undefined;
  }

  /** Whether a member still waits for a partition of its target that another member holds. */
  waitingOnUnreleased(m: ConsumerGroupMember): boolean {
    for (const k of this.targetAssignment.get(m.memberId) ?? []) if (!m.assigned.has(k) && this.holder(k, m.memberId)) return true;
    return false;
  }

  /**
   * One reconciliation step of a member towards its target (Kafka's CurrentAssignmentBuilder).
   * `owned` is what the member says it holds (null: not said in this heartbeat).
   */
  reconcile(m: ConsumerGroupMember, owned: ReadonlySet<string> | null): void {
    const target = this.targetAssignment.get(m.memberId) ?? new Set<string>();
    if (m.state === 'UNREVOKED_PARTITIONS') {
      // Still holding a partition it must give up: wait for the next heartbeat.
      if (owned === null || [...m.pendingRevocation].some((k) => owned.has(k))) return;
      m.pendingRevocation.clear();
    } else if (m.memberEpoch === this.assignmentEpoch && m.state === 'STABLE') return;
    const keep = new Set([...m.assigned].filter((k) => target.has(k)));
    const revoke = [...m.assigned].filter((k) => !target.has(k));
    if (revoke.length > 0) {
      m.assigned = keep;
      m.pendingRevocation = new Set(revoke);
      m.state = 'UNREVOKED_PARTITIONS';
      return;
    }
    let unreleased = false;
    for (const k of target) {
      if (keep.has(k)) continue;
      if (this.holder(k, m.memberId)) unreleased = true;
      else keep.add(k);
    }
    m.assigned = keep;
    if (m.memberEpoch !== this.assignmentEpoch) {
      m.previousMemberEpoch = m.memberEpoch;
      m.memberEpoch = this.assignmentEpoch;
    }
    m.state = unreleased ? 'UNRELEASED_PARTITIONS' : 'STABLE';
  }
}
