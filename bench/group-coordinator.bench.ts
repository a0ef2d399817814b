/**
 * The group coordinator in-process, on the system clock and an in-memory store: how long a group
 * of 2, 10 and 50 members takes to be Stable again after a member joins, leaves, or dies (stops
 * heartbeating; its session timeout is 200 ms), and how many OffsetCommits per second it takes.
 * Members are simulated: they heartbeat every 5 ms, rejoin as soon as a heartbeat answers
 * REBALANCE_IN_PROGRESS, and the leader assigns partitions round-robin. The figures are the
 * coordinator's own cost plus that heartbeat delay; real clients add their heartbeat interval
 * (kafkajs: 3 s) and network round trips — see bench/group-clients.bench.ts for those.
 */
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { systemClock } from '../src/common/clock.js';
import { GroupCoordinator, GroupState, MemoryOffsetsStore } from '../src/group/index.js';
import { ErrorCode } from '../src/protocol/error-codes.js';
import { encodeConsumerProtocolSubscription } from '../src/protocol/messages/consumer-protocol-subscription.js';
import { Writer } from '../src/protocol/primitives/writer.js';
import { measure, report } from './harness.js';

const HEARTBEAT_MS = 5;
const DEATH_SESSION_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function subscription(): Buffer {
  const w = new Writer(32);
  w.writeInt16(0);
  encodeConsumerProtocolSubscription(w, 0, { topics: ['t'], userData: null });
  return w.toBuffer();
}

class SimMember {
  memberId = '';
  generation = -1;
  stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private rejoining = false;

  constructor(private readonly c: GroupCoordinator, private readonly sessionTimeoutMs: number) {}

  /** Joins (through MEMBER_ID_REQUIRED), syncs, then heartbeats until stopped. */
  async start(): Promise<void> {
    await this.joinAndSync();
    this.timer = setInterval(() => this.beat(), HEARTBEAT_MS);
  }

  private beat(): void {
    if (this.stopped || this.rejoining) return;
    const code = this.c.heartbeat({ groupId: 'g', generationId: this.generation, memberId: this.memberId, groupInstanceId: null });
    if (code === ErrorCode.REBALANCE_IN_PROGRESS || code === ErrorCode.ILLEGAL_GENERATION) {
      this.rejoining = true;
      void this.joinAndSync().finally(() => (this.rejoining = false));
    }
  }

  private async joinAndSync(): Promise<void> {
    for (;;) {
      const r = await this.c.joinGroup({ groupId: 'g', memberId: this.memberId, groupInstanceId: null, sessionTimeoutMs: this.sessionTimeoutMs, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription() }], clientId: 'sim', clientHost: '/127.0.0.1', reason: null, requireKnownMemberId: true, supportsSkipAssignment: true });
      if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = r.memberId;
        continue;
      }
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`join failed: ${r.errorCode}`);
      this.generation = r.generationId;
      const assignments = r.members.map((m, i) => ({ memberId: m.memberId, assignment: Buffer.from([i]) }));
      const s = await this.c.syncGroup({ groupId: 'g', generationId: r.generationId, memberId: this.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: r.protocolName, assignments });
      if (s.errorCode === ErrorCode.NONE) return;
      if (s.errorCode !== ErrorCode.REBALANCE_IN_PROGRESS) throw new Error(`sync failed: ${s.errorCode}`);
    }
  }

  leave(): void {
    this.stop();
    void this.c.leaveGroup({ groupId: 'g', members: [{ memberId: this.memberId, groupInstanceId: null, reason: null }] });
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}

/** Resolves once the group is Stable with `size` members that all hold the current generation. */
async function stable(c: GroupCoordinator, members: SimMember[]): Promise<void> {
  for (;;) {
    const g = c.group('g');
    const live = members.filter((m) => !m.stopped);
    if (g?.is(GroupState.Stable) && g.size === live.length && live.every((m) => m.generation === g.generationId)) return;
    await sleep(1);
  }
}

async function scenario(n: number): Promise<{ join: number; leave: number; death: number }> {
  const c = await GroupCoordinator.open({ clock: systemClock, logger: pino({ level: 'silent' }), store: new MemoryOffsetsStore(), config: { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 1 } });
  const members: SimMember[] = [];
  for (let i = 0; i < n; i++) members.push(new SimMember(c, 30_000));
  await Promise.all(members.map((m) => m.start()));
  await stable(c, members);

  let t0 = performance.now();
  const joiner = new SimMember(c, DEATH_SESSION_MS);
  members.push(joiner);
  await joiner.start();
  await stable(c, members);
  const join = performance.now() - t0;

  t0 = performance.now();
  members[0]!.leave();
  await stable(c, members);
  const leave = performance.now() - t0;

  t0 = performance.now();
  joiner.stop(); // dies: no more heartbeats, no LeaveGroup
  await stable(c, members);
  const death = performance.now() - t0;

  for (const m of members) m.stop();
  await c.close();
  return { join, leave, death };
}

async function commitThroughput(partitions: number): Promise<void> {
  const c = await GroupCoordinator.open({ clock: systemClock, logger: pino({ level: 'silent' }), store: new MemoryOffsetsStore() });
  let offset = 0n;
  const topics = [{ name: 't', partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null })) }];
  const m = await measure(`OffsetCommit, ${partitions} partition(s) per request`, async () => {
    offset++;
    for (const p of topics[0]!.partitions) p.committedOffset = offset;
    await c.commitOffsets({ groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, groupIdNotFoundIfMissing: false, topics });
  });
  await c.close();
  rows.push(m);
}

const rows: Awaited<ReturnType<typeof measure>>[] = [];

export default async function groupCoordinatorBench(): Promise<void> {
  // The system clock's timers do not hold the process open (a broker's sockets do): this does.
  const keepAlive = setInterval(() => undefined, 1000);
  console.log('\n## Group coordinator in-process: time to Stable again (simulated members, heartbeat every 5 ms)');
  console.log('| members | a member joins | a member leaves (LeaveGroup) | a member dies (session 200 ms) |');
  console.log('|---|---|---|---|');
  for (const n of [2, 10, 50]) {
    const runs: { join: number; leave: number; death: number }[] = [];
    for (let i = 0; i < 3; i++) runs.push(await scenario(n));
    const median = (k: 'join' | 'leave' | 'death') => runs.map((r) => r[k]).sort((a, b) => a - b)[1]!.toFixed(1) + ' ms';
    console.log(`| ${n} | ${median('join')} | ${median('leave')} | ${median('death')} |`);
  }
  rows.length = 0;
  await commitThroughput(1);
  await commitThroughput(100);
  report('Group coordinator in-process: OffsetCommit (in-memory store; the first row is the baseline)', rows);
  clearInterval(keepAlive);
}
