/** A group coordinator on a ManualClock and an in-memory store, and small helpers to drive it like clients do. */
import { pino } from 'pino';
import { ManualClock } from '../../src/common/clock.js';
import { type GroupConfig, type JoinGroupParams, type JoinGroupResult, type SyncGroupResult, GroupCoordinator, MemoryOffsetsStore } from '../../src/group/index.js';
import { encodeAssignment, encodeSubscription } from '../../src/protocol/consumer-protocol.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

export const silent = pino({ level: 'silent' });

/** Lets appends to the in-memory store and the promise chains behind them complete. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A test default: short timeouts, Kafka's initial delay. */
export const TEST_CONFIG: Partial<GroupConfig> = { 'group.min.session.timeout.ms': 1000, 'group.initial.rebalance.delay.ms': 3000 };

export interface Harness {
  clock: ManualClock;
  store: MemoryOffsetsStore;
  coordinator: GroupCoordinator;
  /** Reopens a coordinator on the same store (a broker restart), closing the old one first. */
  restart(): Promise<GroupCoordinator>;
}

export async function harness(config: Partial<GroupConfig> = {}, clock = new ManualClock(1_000_000), store = new MemoryOffsetsStore()): Promise<Harness> {
  let n = 0;
  const open = (): Promise<GroupCoordinator> => GroupCoordinator.open({ clock, logger: silent, store, config: { ...TEST_CONFIG, ...config }, randomUuid: () => `u${++n}` });
  const h: Harness = {
    clock,
    store,
    coordinator: await open(),
    async restart() {
      await h.coordinator.close();
      h.coordinator = await open();
      return h.coordinator;
    },
  };
  return h;
}

export function subscription(topics: string[], version = 1): Buffer {
  return encodeSubscription(version, { topics, userData: null });
}

export function assignment(topic: string, partitions: number[]): Buffer {
  return encodeAssignment(1, [{ topic, partitions }]);
}

export function joinParams(groupId: string, memberId: string, over: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId,
    memberId,
    groupInstanceId: null,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    reason: null,
    requireKnownMemberId: true,
    supportsSkipAssignment: true,
    ...over,
  };
}

/** Advances the clock in steps, letting the work each step starts (writes, their callbacks) finish. */
export async function tick(h: Harness, ms: number, stepMs = 1000): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    h.clock.advance(Math.min(stepMs, ms - done));
    await settle();
  }
}

/** Whether a promise has settled yet (after letting pending work run), and its value if so. */
export async function peek<T>(p: Promise<T>): Promise<{ done: true; value: T } | { done: false }> {
  let out: { done: true; value: T } | { done: false } = { done: false };
  void p.then((value) => (out = { done: true, value }));
  await settle();
  return out;
}

/** A client-side member: joins (following MEMBER_ID_REQUIRED), syncs and heartbeats. */
export class TestMember {
  memberId = '';
  generation = -1;
  lastJoin: JoinGroupResult | undefined;

  constructor(
    readonly h: Harness,
    readonly groupId: string,
    readonly over: Partial<JoinGroupParams> = {},
  ) {}

  /** Joins and waits for the answer. */
  async join(over: Partial<JoinGroupParams> = {}): Promise<JoinGroupResult> {
    return (await this.begin(over)).result;
  }

  /**
   * Sends JoinGroup (with an unknown id, first gets one through MEMBER_ID_REQUIRED unless static)
   * and returns once it is parked; `result` settles when the join phase completes.
   */
  async begin(over: Partial<JoinGroupParams> = {}): Promise<{ result: Promise<JoinGroupResult> }> {
    if (this.memberId === '' && (this.over.groupInstanceId ?? null) === null) {
      const first = await this.h.coordinator.joinGroup(joinParams(this.groupId, '', { ...this.over, ...over }));
      if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.errorCode}`);
      this.memberId = first.memberId;
    }
    const p = this.h.coordinator.joinGroup(joinParams(this.groupId, this.memberId, { ...this.over, ...over }));
    const result = p.then((r) => {
      this.lastJoin = r;
      if (r.errorCode === ErrorCode.NONE) {
        this.memberId = r.memberId;
        this.generation = r.generationId;
      }
      return r;
    });
    return { result };
  }

  sync(assignments: { memberId: string; assignment: Buffer }[] = []): Promise<SyncGroupResult> {
    return this.h.coordinator.syncGroup({ groupId: this.groupId, generationId: this.generation, memberId: this.memberId, groupInstanceId: this.over.groupInstanceId ?? null, protocolType: this.over.protocolType ?? 'consumer', protocolName: null, assignments });
  }

  heartbeat(): number {
    return this.h.coordinator.heartbeat({ groupId: this.groupId, generationId: this.generation, memberId: this.memberId, groupInstanceId: this.over.groupInstanceId ?? null });
  }

  async leave(): Promise<number> {
    const r = await this.h.coordinator.leaveGroup({ groupId: this.groupId, members: [{ memberId: this.memberId, groupInstanceId: this.over.groupInstanceId ?? null, reason: 'test' }] });
    return r.members[0]?.errorCode ?? r.errorCode;
  }
}

/**
 * Advances the clock by steps until the joins are answered: the initial rebalance waits one more
 * delay each time a member arrived during the previous one.
 */
export async function completeJoins(h: Harness, joins: Promise<JoinGroupResult>[], stepMs = 3000, maxSteps = 20): Promise<JoinGroupResult[]> {
  const all = Promise.all(joins);
  for (let i = 0; i < maxSteps && !(await peek(all)).done; i++) h.clock.advance(stepMs);
  return all;
}

/**
 * Brings members through one whole rebalance: all join, the delay or rebalance completes, the
 * leader syncs an assignment naming each member, the others sync. Returns the join results.
 */
export async function rebalance(h: Harness, members: TestMember[], stepMs = 3000): Promise<JoinGroupResult[]> {
  const joins = await Promise.all(members.map((m) => m.begin()));
  const results = await completeJoins(h, joins.map((j) => j.result), stepMs);
  for (const r of results) if (r.errorCode !== ErrorCode.NONE) throw new Error(`join failed with ${r.errorCode}`);
  const leader = members.find((m) => m.memberId === results[0]!.leader)!;
  const leaderResult = results.find((r) => r.memberId === leader.memberId)!;
  const assignments = leaderResult.members.map((m, i) => ({ memberId: m.memberId, assignment: assignment('t', [i]) }));
  const syncs = members.map((m) => (m === leader ? m.sync(assignments) : m.sync()));
  const synced = await Promise.all(syncs);
  for (const s of synced) if (s.errorCode !== ErrorCode.NONE) throw new Error(`sync failed with ${s.errorCode}`);
  return results;
}
