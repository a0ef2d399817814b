/**
 * A classic-protocol group's data and its invariants: members (insertion-ordered, so the first
 * joiner leads and a departed leader is replaced by the oldest member), static members by
 * group.instance.id, members given an id but not yet joined (pending), members yet to sync,
 * generation, chosen protocol and state. No timers and no I/O: the rebalance logic that drives
 * it lives in classic-group-manager.ts.
 */
import { type ClassicGroupMember, type JoinGroupMemberInfo, type JoinProtocol, EMPTY_ASSIGNMENT } from './classic-group-member.js';
import { decodeSubscription } from '../protocol/consumer-protocol.js';
import { GroupState, isValidTransition } from './group-state.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export class ClassicGroup {
  state: GroupState;
  previousState: GroupState;
  /** When the group entered its current state (ms); null when unknown (loaded from an old record). */
  currentStateTimestamp: number | null;
  generationId: number;
  /** Null for a group only used to store offsets (a "simple" group). */
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  /** Set when a member joins during the initial rebalance, which then waits another delay. */
  newMemberAdded = false;
  /** The topics the members subscribe to, when the protocol type is `consumer` and it parses. */
  subscribedTopics: ReadonlySet<string> | undefined;
  readonly members = new Map<string, ClassicGroupMember>();
  readonly staticMembers = new Map<string, string>();
  readonly pendingJoinMembers = new Set<string>();
  readonly pendingSyncMembers = new Set<string>();
  /** How many members support each protocol name. */
  private readonly supportedProtocols = new Map<string, number>();

  constructor(
    readonly groupId: string,
    now: number,
    init: { state?: GroupState; generationId?: number; protocolType?: string | null; protocolName?: string | null; leaderId?: string | null; currentStateTimestamp?: number | null } = {},
  ) {
    this.state = init.state ?? GroupState.Empty;
    this.previousState = this.state;
    this.generationId = init.generationId ?? 0;
    this.protocolType = init.protocolType ?? null;
    this.protocolName = init.protocolName ?? null;
    this.leaderId = init.leaderId ?? null;
    this.currentStateTimestamp = init.currentStateTimestamp === undefined ? now : init.currentStateTimestamp;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, now: number): void {
    if (!isValidTransition(this.state, state)) throw new Error(`group ${this.groupId}: invalid transition from ${this.state} to ${state}`);
    this.previousState = this.state;
    this.state = state;
    this.currentStateTimestamp = now;
  }

  /** Whether a rebalance may start from the current state. */
  canRebalance(): boolean {
    return isValidTransition(this.state, GroupState.PreparingRebalance);
  }

  get size(): number {
    return this.members.size;
  }

  member(memberId: string): ClassicGroupMember | undefined {
    return this.members.get(memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: ClassicGroupMember): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId)) throw new Error(`static member ${member.groupInstanceId} is already in group ${this.groupId}`);
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.leaderId ??= member.memberId;
    this.members.set(member.memberId, member);
    this.countProtocols(member.protocols, 1);
    this.pendingJoinMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    const removed = this.members.get(memberId);
    if (removed) {
      this.members.delete(memberId);
      this.countProtocols(removed.protocols, -1);
      if (removed.groupInstanceId !== null) this.staticMembers.delete(removed.groupInstanceId);
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingJoinMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  updateProtocols(member: ClassicGroupMember, protocols: readonly JoinProtocol[]): void {
    this.countProtocols(member.protocols, -1);
    member.protocols = protocols;
    this.countProtocols(protocols, 1);
  }

  /**
   * Counts each protocol name once per member: a JoinGroup naming one twice counted it twice, so
   * no protocol matched the member count, the protocol vote threw and the JoinGroup never got its answer.
   */
  private countProtocols(protocols: readonly JoinProtocol[], delta: number): void {
    for (const name of new Set(protocols.map((p) => p.name))) {
      const n = (this.supportedProtocols.get(name) ?? 0) + delta;
      if (n === 0) this.supportedProtocols.delete(name);
      else this.supportedProtocols.set(name, n);
    }
  }

  /**
   * Moves a static member to a new member id, keeping its protocols and assignment; a request
   * still parked for the old id is answered FENCED_INSTANCE_ID by the caller beforehand.
   */
  replaceStaticMember(groupInstanceId: string, oldMember: ClassicGroupMember, replacement: ClassicGroupMember): void {
    this.members.delete(oldMember.memberId);
    this.members.set(replacement.memberId, replacement);
    if (this.isLeader(oldMember.memberId)) this.leaderId = replacement.memberId;
    this.staticMembers.set(groupInstanceId, replacement.memberId);
    this.pendingSyncMembers.delete(oldMember.memberId);
  }

  /** Members that have not sent a JoinGroup during the current join phase. */
  notYetRejoinedMembers(): ClassicGroupMember[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.isAwaitingJoin) n++;
    return n;
  }

  hasAllMembersJoined(): boolean {
    return this.numAwaitingJoin() === this.members.size && this.pendingJoinMembers.size === 0;
  }

  /** The largest rebalance timeout of the members: how long a join phase may wait. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /**
   * Keeps the leader if it rejoined, else elects the first member that did. False when nobody
   * rejoined (or there is no leader): the join phase cannot complete yet.
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader?.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** Whether a joining member's protocols are compatible with the group's. */
  supportsProtocols(protocolType: string, protocols: readonly JoinProtocol[]): boolean {
    if (this.is(GroupState.Empty)) return protocolType !== '' && protocols.length > 0;
    return this.protocolType === protocolType && protocols.some((p) => this.supportedProtocols.get(p.name) === this.members.size);
  }

  /** The protocol every member supports that most members prefer (ties: the first member's preference). */
  selectProtocol(): string {
    const candidates = new Set([...this.supportedProtocols].filter(([, n]) => n === this.members.size).map(([name]) => name));
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best: string | undefined;
    for (const [name, n] of votes) if (best === undefined || n > votes.get(best)!) best = name;
    if (best === undefined) throw new Error(`group ${this.groupId} has no protocol all members support`);
    return best;
  }

  /** Starts the next generation once the join phase is over: CompletingRebalance, or Empty when nobody is left. */
  initNextGeneration(now: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo(GroupState.CompletingRebalance, now);
    } else {
      this.protocolName = null;
      this.transitionTo(GroupState.Empty, now);
    }
    this.subscribedTopics = this.computeSubscribedTopics();
    this.pendingSyncMembers.clear();
  }

  /** The members as the leader's JoinGroup response lists them. */
  joinMembers(): JoinGroupMemberInfo[] {
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(this.protocolName) }));
  }

  /** Every member's assignment, by member id. */
  assignments(): Map<string, Buffer> {
    return new Map([...this.members.values()].map((m) => [m.memberId, m.assignment]));
  }

  usesConsumerProtocol(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  /** Whether the group consumes a topic; unknown subscriptions count as subscribed for consumer groups. */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics ? this.subscribedTopics.has(topic) : this.usesConsumerProtocol();
  }

  /**
   * The union of the members' subscribed topics, read with the consumer protocol's v0 prefix
   * (every later version starts with it); undefined when not a consumer group or unparseable.
   */
  computeSubscribedTopics(): ReadonlySet<string> | undefined {
    if (!this.usesConsumerProtocol()) return undefined;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return undefined;
    const topics = new Set<string>();
    try {
      for (const m of this.members.values()) for (const t of decodeSubscription(m.metadata(this.protocolName)).topics) topics.add(t);
    } catch {
      return undefined;
    }
    return topics;
  }

  hasEmptyAssignment(memberId: string): boolean {
    return (this.members.get(memberId)?.assignment ?? EMPTY_ASSIGNMENT).length === 0;
  }
}
