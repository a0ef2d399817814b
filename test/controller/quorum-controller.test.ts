/**
 * The quorum controller on a stand-in for the Raft log (appends commit when the test says):
 * Kafka's validation of topic creation, replica placement over brokers and racks, the broker
 * lifecycle (registration, unfencing when caught up, fencing by session expiry, controlled
 * shutdown), producer id blocks, config changes, and the rule that answers wait for commitment.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ManualClock } from '../../src/common/clock.js';
import { seededRandom } from '../../src/common/random.js';
import { MetadataLoader } from '../../src/controller/image/metadata-loader.js';
import { type ControllerRaft, NotControllerError, QuorumController } from '../../src/controller/quorum-controller.js';
import { NotLeaderError } from '../../src/controller/raft/errors.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { ControllerConfig } from '../../src/controller/controller-config.js';

const CLUSTER = 'testclusterid000000000';

/** Appends are held until `commit()`, as a Raft log would hold them until a majority has them. */
class StandInRaft implements ControllerRaft {
  end = 0;
  epoch = 1;
  leading = true;
  /** The leader this node last heard from as a follower. */
  contact: { leaderId: number; at: number } | undefined;
  private held: { base: number; records: readonly Buffer[] }[] = [];
  constructor(private readonly loader: MetadataLoader) {}
  append(records: readonly Buffer[], epoch: number): number {
    if (!this.leading || epoch !== this.epoch) throw new NotLeaderError('not the leader', -1, this.epoch);
    this.held.push({ base: this.end, records });
    this.end += records.length;
    return this.end - 1;
  }
  nextOffset(): number {
    return this.end;
  }
  isLeader(epoch: number): boolean {
    return this.leading && epoch === this.epoch;
  }
  lastLeaderContact(): { leaderId: number; at: number } | undefined {
    return this.contact;
  }
  commit(): void {
    for (const b of this.held.splice(0)) this.loader.handleCommit({ baseOffset: b.base, lastOffset: b.base + b.records.length - 1, epoch: this.epoch, appendTimestamp: 0, records: b.records });
  }
}

const CONFIG: ControllerConfig = {
  numPartitions: 1,
  defaultReplicationFactor: 1,
  deleteTopicEnable: true,
  maxPartitionsPerTopic: 1000,
  brokerSessionTimeoutMs: 9000,
  metadataVersion: 25,
  validateTopicConfigs: (configs) => configs.map(([k]) => k).find((k) => k !== 'retention.ms' && k !== 'cleanup.policy' && k !== 'unclean.leader.election.enable') && 'Unknown topic config name',
  topicConfigKey: (name) => (name === 'cleanup.policy' ? { type: 'LIST', default: ['delete'] } : name === 'retention.ms' ? { type: 'LONG', default: 1 } : name === 'unclean.leader.election.enable' ? { type: 'BOOLEAN', default: false } : undefined),
};

/** A controller made active, the stand-in committing every append on the next tick. */
async function activeController(opts: { config?: Partial<ControllerConfig>; localBrokerId?: number } = {}) {
  const loader = new MetadataLoader();
  const raft = new StandInRaft(loader);
  const clock = new ManualClock(1_000_000);
  const controller = new QuorumController({
    nodeId: 100,
    clusterId: CLUSTER,
    raft,
    committedImage: () => loader.image,
    config: { ...CONFIG, ...opts.config },
    clock,
    random: seededRandom(7),
    logger: pino({ level: 'silent' }),
    ...(opts.localBrokerId !== undefined ? { localBrokerId: opts.localBrokerId } : {}),
  });
  loader.installPublisher(controller);
  loader.handleLeaderChange({ leaderId: 100, epoch: 1 });
  const auto = setInterval(() => raft.commit(), 1);
  const done = () => clearInterval(auto);
  await tick();
  return { loader, raft, clock, controller, done };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

async function register(c: QuorumController, loader: MetadataLoader, id: number, rack: string | null = null): Promise<bigint> {
  const r = await c.registerBroker({ brokerId: id, clusterId: CLUSTER, incarnationId: `incarnation${String(id).padStart(11, '0')}`, listeners: [{ name: 'PLAINTEXT', host: 'h', port: 9000 + id, securityProtocol: 0 }], features: [], rack, logDirs: [] });
  assert.equal(r.errorCode, ErrorCode.NONE);
  const hb = await c.brokerHeartbeat({ brokerId: id, brokerEpoch: r.brokerEpoch, currentMetadataOffset: BigInt(loader.image.appliedOffset - 1), wantFence: false, wantShutDown: false });
  assert.deepEqual([hb.errorCode, hb.isCaughtUp, hb.isFenced], [ErrorCode.NONE, true, false]);
  return r.brokerEpoch;
}

const topic = (name: string, numPartitions = -1, replicationFactor = -1, configs: [string, string][] = []) => ({ name, numPartitions, replicationFactor, assignments: [], configs });

describe('quorum controller', () => {
  it('writes the bootstrap records when it first becomes active', async () => {
    const { loader, done } = await activeController();
    assert.equal(loader.image.feature('metadata.version'), 25);
    done();
  });

  it('validates CreateTopics as Kafka does', async () => {
    const { controller: c, loader, done } = await activeController();
    await register(c, loader, 1);
    const [ok, dup, bad, rf, parts, conf, both] = await c.createTopics(
      [topic('a.b'), topic('a_b'), topic('bad name'), topic('r', 1, 2), topic('p', 0), topic('c', 1, 1, [['nope', '1']]), { ...topic('m', 2), assignments: [{ partitionIndex: 0, brokerIds: [1] }] }],
      false,
    );
    assert.equal(ok!.errorCode, ErrorCode.NONE);
    assert.deepEqual([dup!.errorCode, dup!.errorMessage], [ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic 'a_b' collides with existing topic: a.b"]);
    assert.equal(bad!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
    assert.equal(rf!.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
    assert.equal(parts!.errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(conf!.errorCode, ErrorCode.INVALID_CONFIG);
    assert.equal(both!.errorCode, ErrorCode.INVALID_REQUEST);
    const [again] = await c.createTopics([topic('a.b')], false);
    assert.equal(again!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
    const [only] = await c.createTopics([topic('v', 3)], true);
    assert.deepEqual([only!.errorCode, only!.created?.numPartitions], [ErrorCode.NONE, 3]);
    assert.equal(loader.image.topic('v'), undefined, 'validateOnly writes nothing');
    done();
  });

  it('spreads leaders and replicas evenly over brokers, and replicas over racks', async () => {
    const { controller: c, loader, done } = await activeController();
    for (const [id, rack] of [[1, 'a'], [2, 'a'], [3, 'b'], [4, 'b'], [5, 'c'], [6, 'c']] as const) await register(c, loader, id, rack);
    await c.createTopics([topic('even', 12, 3)], false);
    await c.createTopics([topic('more', 6, 3)], false);
    const leaders = new Map<number, number>();
    const replicas = new Map<number, number>();
    for (const name of ['even', 'more']) {
      for (const p of loader.image.topic(name)!.partitions) {
        leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
        for (const r of p.replicas) replicas.set(r, (replicas.get(r) ?? 0) + 1);
        const racks = new Set(p.replicas.map((r) => loader.image.broker(r)!.rack));
        assert.equal(racks.size, 3, `${name}-${p.partitionId}: one replica per rack`);
        assert.equal(p.leader, p.replicas[0]);
        assert.deepEqual(p.isr, p.replicas, "the ISR starts as every (unfenced) replica");
      }
    }
    assert.deepEqual([...leaders.values()], [3, 3, 3, 3, 3, 3]);
    assert.deepEqual([...replicas.values()], [9, 9, 9, 9, 9, 9]);
    done();
  });

  it('places new leaders by the preferred leaders each broker has, not by where failovers left leadership', async () => {
    const { controller: c, loader, done } = await activeController();
    const epochs = new Map<number, bigint>();
    for (const id of [1, 2, 3]) epochs.set(id, await register(c, loader, id));
    const beat = (id: number, wantFence: boolean) => c.brokerHeartbeat({ brokerId: id, brokerEpoch: epochs.get(id)!, currentMetadataOffset: 100_000n, wantFence, wantShutDown: false });
    await c.createTopics([topic('before', 6, 3)], false);
    // Broker 1 is fenced and comes back, as after a restart: it leads nothing until leadership is
    // balanced back, but it is still the preferred leader of two partitions.
    await beat(1, true);
    await beat(1, false);
    assert.equal(loader.image.broker(1)!.fenced, false);
    assert.deepEqual(loader.image.topic('before')!.partitions.filter((p) => p.leader === 1), []);
    await c.createTopics([topic('after', 3, 3)], false);
    const preferred = loader.image.topic('after')!.partitions.map((p) => p.replicas[0]);
    assert.deepEqual([...preferred].sort(), [1, 2, 3], 'one preferred leader per broker, not all three on broker 1');
    done();
  });

  it('takes manual assignments, leading with the first usable replica', async () => {
    const { controller: c, loader, done } = await activeController();
    await register(c, loader, 1);
    await register(c, loader, 2);
    const [r] = await c.createTopics([{ name: 'man', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [2, 1] }, { partitionIndex: 1, brokerIds: [1, 2] }], configs: [] }], false);
    assert.equal(r!.errorCode, ErrorCode.NONE);
    assert.deepEqual(loader.image.topic('man')!.partitions.map((p) => [p.leader, p.replicas]), [[2, [2, 1]], [1, [1, 2]]]);
    const [unknown] = await c.createTopics([{ name: 'u', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [9] }], configs: [] }], false);
    assert.equal(unknown!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    const [grown] = await c.createPartitions([{ name: 'man', count: 3, assignments: [[2]] }], false);
    assert.equal(grown!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'the replication factor is the topic\'s: one replica is too few');
    const [grown2] = await c.createPartitions([{ name: 'man', count: 4, assignments: null }], false);
    assert.equal(grown2!.errorCode, ErrorCode.NONE);
    assert.equal(loader.image.topic('man')!.partitionCount, 4);
    done();
  });

  it('deletes topics by name or id, and changes configs', async () => {
    const { controller: c, loader, done } = await activeController();
    await register(c, loader, 1);
    await c.createTopics([topic('cfg', 1, 1, [['retention.ms', '5']])], false);
    const [inc] = await c.incrementalAlterConfigs([{ resourceType: 2, resourceName: 'cfg', configs: [{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }] }], false);
    assert.equal(inc!.errorCode, ErrorCode.NONE);
    assert.deepEqual(loader.image.topicConfigs('cfg'), { 'retention.ms': '5', 'cleanup.policy': 'delete,compact' });
    const [alt] = await c.alterConfigs([{ resourceType: 2, resourceName: 'cfg', configs: [{ name: 'retention.ms', value: '9' }] }], false);
    assert.equal(alt!.errorCode, ErrorCode.NONE);
    assert.deepEqual(loader.image.topicConfigs('cfg'), { 'retention.ms': '9' });
    const [brokerAlter] = await c.alterConfigs([{ resourceType: 4, resourceName: '1', configs: [] }], false);
    assert.equal(brokerAlter!.errorCode, ErrorCode.INVALID_REQUEST);
    const id = loader.image.topic('cfg')!.id;
    const [byId, gone] = await c.deleteTopics([{ name: null, topicId: id }, { name: 'cfg', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }]);
    assert.deepEqual([byId!.errorCode, byId!.name, gone!.errorCode], [ErrorCode.NONE, 'cfg', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    assert.equal(loader.image.topic('cfg'), undefined);
    done();
  });

  it('hands out producer id blocks that never overlap, to registered brokers only', async () => {
    const { controller: c, loader, done } = await activeController();
    const epoch = await register(c, loader, 1);
    const blocks = await Promise.all([1, 2, 3].map(() => c.allocateProducerIds(1, epoch)));
    assert.deepEqual(blocks.map((b) => [b.errorCode, b.producerIdStart, b.producerIdLen]), [[0, 0n, 1000], [0, 1000n, 1000], [0, 2000n, 1000]]);
    assert.equal((await c.allocateProducerIds(1, epoch + 1n)).errorCode, ErrorCode.STALE_BROKER_EPOCH);
    assert.equal(loader.image.nextProducerId, 3000n);
    done();
  });

  it('fences a broker whose session expires, unfences it when it heartbeats again, and lets it shut down under control', async () => {
    const { controller: c, loader, clock, done } = await activeController({ localBrokerId: 9 });
    const e1 = await register(c, loader, 1);
    const e9 = await register(c, loader, 9);
    clock.advance(5000);
    await c.brokerHeartbeat({ brokerId: 1, brokerEpoch: e1, currentMetadataOffset: 1000n, wantFence: false, wantShutDown: false });
    clock.advance(8000);
    await tick();
    assert.equal(loader.image.broker(1)!.fenced, false, 'its heartbeat renewed the session');
    clock.advance(2000);
    await tick();
    assert.equal(loader.image.broker(1)!.fenced, true, 'fenced once 9 s pass without a heartbeat');
    assert.equal(loader.image.broker(9)!.fenced, false, "the controller's own broker is never fenced by its session");
    const hb = await c.brokerHeartbeat({ brokerId: 1, brokerEpoch: e1, currentMetadataOffset: 1000n, wantFence: false, wantShutDown: false });
    assert.equal(hb.isFenced, false);
    const stop = await c.brokerHeartbeat({ brokerId: 9, brokerEpoch: e9, currentMetadataOffset: 1000n, wantFence: false, wantShutDown: true });
    assert.deepEqual([stop.shouldShutDown, stop.isFenced], [true, true]);
    assert.deepEqual([loader.image.broker(9)!.fenced, loader.image.broker(9)!.inControlledShutdown], [true, true]);
    const stale = await c.brokerHeartbeat({ brokerId: 1, brokerEpoch: e1 - 1n, currentMetadataOffset: 0n, wantFence: false, wantShutDown: false });
    assert.equal(stale.errorCode, ErrorCode.STALE_BROKER_EPOCH);
    done();
  });

  it("taking over from a dead active controller, counts its broker's session from when it last heard from it as the quorum's leader, but leaves it a grace from the takeover", async () => {
    for (const election of [3000, 8000]) {
      const { controller: c, loader, raft, clock, done } = await activeController({ config: { sessionGraceMs: 4000 } });
      try {
        const epochs = new Map<number, bigint>();
        for (const id of [1, 2, 3]) epochs.set(id, await register(c, loader, id));
        const beat = (id: number) => c.brokerHeartbeat({ brokerId: id, brokerEpoch: epochs.get(id)!, currentMetadataOffset: 100_000n, wantFence: false, wantShutDown: false });
        // Node 1 (a combined node: broker 1) leads the quorum and is the active controller; this node follows it, last hearing from it now.
        raft.leading = false;
        raft.epoch = 2;
        loader.handleLeaderChange({ leaderId: 1, epoch: 2 });
        assert.equal(c.isActive, false);
        const lastHeard = clock.now();
        raft.contact = { leaderId: 1, at: lastHeard };
        // Node 1 dies; after the election this node takes over.
        clock.advance(election);
        raft.leading = true;
        raft.epoch = 3;
        loader.handleLeaderChange({ leaderId: 100, epoch: 3 });
        assert.equal(c.isActive, true);
        const takeover = clock.now();
        // Broker 1's session ends a session after it was last heard from, or a grace after the takeover, whichever is later; brokers 2 and 3 (no evidence) have a full session.
        const end = Math.max(lastHeard + 9000, takeover + 4000);
        assert.ok(end < takeover + 9000, 'sooner than a full session from the takeover');
        clock.advance(end - takeover - 100);
        await tick();
        assert.equal(loader.image.broker(1)!.fenced, false, `election ${election} ms: not fenced before its session ends`);
        for (const id of [2, 3]) await beat(id);
        clock.advance(200);
        await tick();
        assert.equal(loader.image.broker(1)!.fenced, true, `election ${election} ms: fenced when its session, counted from the last contact, ends`);
        assert.deepEqual([loader.image.broker(2)!.fenced, loader.image.broker(3)!.fenced], [false, false]);
      } finally {
        done();
      }
    }
  });

  it('gives a full session when the contact it had was with an earlier leader than the last it knew', async () => {
    const { controller: c, loader, raft, clock, done } = await activeController({ config: { sessionGraceMs: 4000 } });
    try {
      for (const id of [1, 2, 3]) await register(c, loader, id);
      raft.leading = false;
      raft.epoch = 2;
      loader.handleLeaderChange({ leaderId: 1, epoch: 2 });
      raft.contact = { leaderId: 1, at: clock.now() };
      // Node 2 led next, and this node never had a fetch answered by it; then node 2 died.
      raft.epoch = 3;
      loader.handleLeaderChange({ leaderId: 2, epoch: 3 });
      clock.advance(3000);
      raft.leading = true;
      raft.epoch = 4;
      loader.handleLeaderChange({ leaderId: 100, epoch: 4 });
      assert.equal(c.isActive, true);
      clock.advance(8900);
      await tick();
      assert.deepEqual([1, 2, 3].map((id) => loader.image.broker(id)!.fenced), [false, false, false], 'a full session for every broker');
      clock.advance(200);
      await tick();
      assert.deepEqual([1, 2, 3].map((id) => loader.image.broker(id)!.fenced), [true, true, true]);
    } finally {
      done();
    }
  });

  it('elects a new leader from the ISR when the leader is fenced, and keeps the last ISR member as leader when none can succeed it', async () => {
    const { controller: c, loader, clock, done } = await activeController();
    const epochs = new Map<number, bigint>();
    for (const id of [1, 2, 3]) epochs.set(id, await register(c, loader, id));
    await c.createTopics([{ name: 'ha', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }], configs: [] }], false);
    const p = () => loader.image.topic('ha')!.partitions[0]!;
    assert.deepEqual([p().leader, p().isr, p().leaderEpoch], [1, [1, 2, 3], 0]);
    const beat = (id: number, extra: { wantFence?: boolean; wantShutDown?: boolean } = {}) => c.brokerHeartbeat({ brokerId: id, brokerEpoch: epochs.get(id)!, currentMetadataOffset: 100_000n, wantFence: extra.wantFence ?? false, wantShutDown: extra.wantShutDown ?? false });
    // Broker 1 stops heartbeating: fenced when its session ends, and leadership moves to 2 (the next replica in the ISR).
    clock.advance(5000);
    await beat(2);
    await beat(3);
    clock.advance(5000);
    await tick();
    assert.equal(loader.image.broker(1)!.fenced, true);
    assert.deepEqual([p().leader, p().isr, p().leaderEpoch], [2, [2, 3], 1]);
    // Broker 2 shuts down under control: leadership moves to 3 first, in the same batch.
    const stop = await beat(2, { wantShutDown: true });
    assert.equal(stop.shouldShutDown, true);
    assert.deepEqual([p().leader, p().isr, p().leaderEpoch], [3, [3], 2]);
    // Broker 3 is fenced too: no other in-sync replica may lead (no unclean election): it stays the leader, offline.
    await beat(3, { wantFence: true });
    assert.deepEqual([p().leader, p().isr, p().leaderEpoch], [3, [3], 2]);
    // Broker 1 comes back: not in the ISR, so it may not lead.
    await beat(1);
    assert.equal(loader.image.broker(1)!.fenced, false);
    assert.equal(p().leader, 3);
    // Broker 3 comes back and leads as before, at the same epoch.
    await beat(3);
    assert.deepEqual([p().leader, p().isr, p().leaderEpoch, loader.image.broker(3)!.fenced], [3, [3], 2, false]);
    done();
  });

  it('elects preferred leaders back (ElectLeaders) when they are in the ISR; an unclean election is not needed while the leader is available', async () => {
    const { controller: c, loader, clock, done } = await activeController();
    const epochs = new Map<number, bigint>();
    for (const id of [1, 2, 3]) epochs.set(id, await register(c, loader, id));
    await c.createTopics([{ name: 'pref', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }], configs: [] }], false);
    const p = () => loader.image.topic('pref')!.partitions[0]!;
    const [notNeeded] = await c.electLeaders(0, [{ topic: 'pref', partitions: [0] }]);
    assert.equal(notNeeded!.errorCode, ErrorCode.ELECTION_NOT_NEEDED);
    // Broker 1 stops: leadership moves to 2; broker 1 comes back (not in the ISR yet).
    await c.brokerHeartbeat({ brokerId: 1, brokerEpoch: epochs.get(1)!, currentMetadataOffset: 100_000n, wantFence: true, wantShutDown: false });
    assert.equal(p().leader, 2);
    await c.brokerHeartbeat({ brokerId: 1, brokerEpoch: epochs.get(1)!, currentMetadataOffset: 100_000n, wantFence: false, wantShutDown: false });
    const [notInIsr] = await c.electLeaders(0, [{ topic: 'pref', partitions: [0] }]);
    assert.equal(notInIsr!.errorCode, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
    // The leader adds it back to the ISR; now it may lead again.
    await c.alterPartition(2, epochs.get(2)!, [{ topicId: p().topicId, partitionIndex: 0, leaderEpoch: p().leaderEpoch, partitionEpoch: p().partitionEpoch, newIsr: [2, 3, 1] }]);
    const epochBefore = p().leaderEpoch;
    const all = await c.electLeaders(0, null);
    assert.deepEqual(all.map((r) => [r.topic, r.partitionId, r.errorCode]), [['pref', 0, ErrorCode.NONE]], 'all partitions: only the elected ones are answered');
    assert.deepEqual([p().leader, p().leaderEpoch], [1, epochBefore + 1]);
    const [unclean] = await c.electLeaders(1, [{ topic: 'pref', partitions: [0] }]);
    assert.equal(unclean!.errorCode, ErrorCode.ELECTION_NOT_NEEDED);
    const [unknown] = await c.electLeaders(0, [{ topic: 'nope', partitions: [0] }]);
    assert.equal(unknown!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    void clock;
    done();
  });

  it('elects a replica outside the ISR when no in-sync one can lead, only where unclean.leader.election.enable allows it, and on demand (ElectLeaders UNCLEAN)', async () => {
    const { controller: c, loader, done } = await activeController();
    const epochs = new Map<number, bigint>();
    for (const id of [1, 2, 3]) epochs.set(id, await register(c, loader, id));
    const assigned = (name: string, configs: [string, string][] = []) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }], configs });
    await c.createTopics([assigned('on', [['unclean.leader.election.enable', 'true']]), assigned('off'), assigned('manual')], false);
    const p = (t: string) => loader.image.topic(t)!.partitions[0]!;
    const state = (t: string) => [p(t).leader, p(t).isr, p(t).leaderEpoch];
    const beat = (id: number, wantFence = false) => c.brokerHeartbeat({ brokerId: id, brokerEpoch: epochs.get(id)!, currentMetadataOffset: 100_000n, wantFence, wantShutDown: false });
    // 2 and 3 leave the ISR; 2 comes back, out of sync.
    await beat(2, true);
    await beat(3, true);
    await beat(2);
    for (const t of ['on', 'off', 'manual']) assert.deepEqual(state(t), [1, [1], 0], `${t}: 1 leads alone`);
    // The last in-sync replica goes: only where the topic allows it does 2 take over, alone in the ISR, at a new epoch.
    await beat(1, true);
    assert.deepEqual(state('on'), [2, [2], 1], 'unclean election where enabled');
    assert.deepEqual(state('off'), [1, [1], 0], 'offline where not');
    assert.deepEqual(state('manual'), [1, [1], 0]);
    // On demand, whatever the config.
    const [elected] = await c.electLeaders(1, [{ topic: 'manual', partitions: [0] }]);
    assert.equal(elected!.errorCode, ErrorCode.NONE);
    assert.deepEqual(state('manual'), [2, [2], 1]);
    const [notNeeded] = await c.electLeaders(1, [{ topic: 'manual', partitions: [0] }]);
    assert.equal(notNeeded!.errorCode, ErrorCode.ELECTION_NOT_NEEDED);
    // The config is dynamic: turned on for 'off', the election follows in the same batch.
    const [altered] = await c.incrementalAlterConfigs([{ resourceType: 2, resourceName: 'off', configs: [{ name: 'unclean.leader.election.enable', configOperation: 0, value: 'true' }] }], false);
    assert.equal(altered!.errorCode, ErrorCode.NONE);
    assert.deepEqual(state('off'), [2, [2], 1]);
    // No replica available at all: nothing to elect.
    await beat(2, true);
    const [none] = await c.electLeaders(1, [{ topic: 'manual', partitions: [0] }]);
    assert.equal(none!.errorCode, ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE);
    // 3 returns: elected where enabled (by the topic), not for 'manual'.
    await beat(3);
    assert.deepEqual(state('on'), [3, [3], 2]);
    assert.deepEqual(state('off'), [3, [3], 2]);
    assert.deepEqual(state('manual'), [2, [2], 1]);
    done();
  });

  it('takes unclean.leader.election.enable from the broker default (static, then dynamic) when the topic does not set it', async () => {
    const { controller: c, loader, done } = await activeController({ config: { uncleanLeaderElectionEnable: true, validateBrokerConfigs: () => undefined } });
    const epochs = new Map<number, bigint>();
    for (const id of [1, 2]) epochs.set(id, await register(c, loader, id));
    const assigned = (name: string, configs: [string, string][] = []) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs });
    await c.createTopics([assigned('dflt'), assigned('no', [['unclean.leader.election.enable', 'false']])], false);
    const p = (t: string) => loader.image.topic(t)!.partitions[0]!;
    const beat = (id: number, wantFence = false) => c.brokerHeartbeat({ brokerId: id, brokerEpoch: epochs.get(id)!, currentMetadataOffset: 100_000n, wantFence, wantShutDown: false });
    await beat(2, true);
    await beat(2);
    await beat(1, true);
    assert.deepEqual([p('dflt').leader, p('dflt').isr], [2, [2]], 'the static default allows it');
    assert.deepEqual([p('no').leader, p('no').isr], [1, [1]], 'the topic override refuses it');
    // A cluster-wide dynamic default of false now wins over the static true.
    await c.incrementalAlterConfigs([{ resourceType: 4, resourceName: '', configs: [{ name: 'unclean.leader.election.enable', configOperation: 0, value: 'false' }] }], false);
    await beat(1);
    await beat(2, true);
    assert.deepEqual([p('dflt').leader, p('dflt').isr], [2, [2]], 'stays offline');
    done();
  });

  it('changes an ISR by AlterPartition from the current leader only, at the current epochs, to usable replicas', async () => {
    const { controller: c, loader, done } = await activeController();
    const epochs = new Map<number, bigint>();
    for (const id of [1, 2, 3]) epochs.set(id, await register(c, loader, id));
    await c.createTopics([{ name: 'alter', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }], configs: [] }], false);
    const topicId = loader.image.topic('alter')!.id;
    const p = () => loader.image.topic('alter')!.partitions[0]!;
    const alter = (broker: number, newIsr: number[], at: { leaderEpoch?: number; partitionEpoch?: number } = {}) =>
      c.alterPartition(broker, epochs.get(broker)!, [{ topicId, partitionIndex: 0, leaderEpoch: at.leaderEpoch ?? p().leaderEpoch, partitionEpoch: at.partitionEpoch ?? p().partitionEpoch, newIsr }]);
    const shrunk = await alter(1, [1, 2]);
    assert.deepEqual([shrunk.errorCode, shrunk.results[0]!.errorCode, shrunk.results[0]!.partition!.isr, shrunk.results[0]!.partition!.partitionEpoch], [ErrorCode.NONE, ErrorCode.NONE, [1, 2], 1]);
    assert.deepEqual([p().isr, p().leaderEpoch, p().partitionEpoch], [[1, 2], 0, 1], 'an ISR change bumps the partition epoch, not the leader epoch');
    assert.equal((await alter(2, [1, 2, 3])).results[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal((await alter(1, [1, 2, 3], { partitionEpoch: 0 })).results[0]!.errorCode, ErrorCode.INVALID_UPDATE_VERSION);
    assert.equal((await alter(1, [1, 2, 3], { leaderEpoch: -1 })).results[0]!.errorCode, ErrorCode.FENCED_LEADER_EPOCH);
    assert.equal((await alter(1, [2, 3])).results[0]!.errorCode, ErrorCode.INVALID_REQUEST, 'the leader stays in its ISR');
    assert.equal((await alter(1, [1, 4])).results[0]!.errorCode, ErrorCode.INVALID_REQUEST, 'only replicas');
    await c.brokerHeartbeat({ brokerId: 3, brokerEpoch: epochs.get(3)!, currentMetadataOffset: 100_000n, wantFence: true, wantShutDown: false });
    assert.equal((await alter(1, [1, 2, 3])).results[0]!.errorCode, ErrorCode.INELIGIBLE_REPLICA, 'a fenced broker does not join');
    assert.equal((await c.alterPartition(1, epochs.get(1)! + 1n, [])).errorCode, ErrorCode.STALE_BROKER_EPOCH);
    done();
  });

  it('refuses a second incarnation of a broker id while the first has a session', async () => {
    const { controller: c, loader, clock, done } = await activeController();
    await register(c, loader, 1);
    const second = await c.registerBroker({ brokerId: 1, clusterId: CLUSTER, incarnationId: 'otherincarnationxxxxxx', listeners: [], features: [], rack: null, logDirs: [] });
    assert.equal(second.errorCode, ErrorCode.DUPLICATE_BROKER_REGISTRATION);
    assert.equal((await c.registerBroker({ brokerId: 2, clusterId: 'anotherclusterxxxxxxxx', incarnationId: 'xxxxxxxxxxxxxxxxxxxxxx', listeners: [], features: [], rack: null, logDirs: [] })).errorCode, ErrorCode.INCONSISTENT_CLUSTER_ID);
    clock.advance(10_000);
    await tick();
    const later = await c.registerBroker({ brokerId: 1, clusterId: CLUSTER, incarnationId: 'otherincarnationxxxxxx', listeners: [], features: [], rack: null, logDirs: [] });
    assert.equal(later.errorCode, ErrorCode.NONE);
    done();
  });

  it('answers only once what it wrote is committed, and fails what is waiting when it loses leadership', async () => {
    const { controller: c, loader, raft, done } = await activeController();
    await register(c, loader, 1);
    done();
    let answered = false;
    const created = c.createTopics([topic('slow')], false).then((r) => ((answered = true), r));
    // A read-only operation issued after it waits for it too.
    let read = false;
    const validate = c.createTopics([topic('slow')], true).then((r) => ((read = true), r));
    await tick();
    assert.deepEqual([answered, read], [false, false]);
    raft.commit();
    assert.equal((await created)[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await validate)[0]!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
    const lost = c.createTopics([topic('lost')], false);
    loader.handleLeaderChange({ leaderId: 2, epoch: 2 });
    await assert.rejects(lost, NotControllerError);
    await assert.rejects(c.createTopics([topic('x')], false), (e: unknown) => e instanceof NotControllerError && e.leaderId === 2);
    assert.equal(c.isActive, false);
  });

  it('reassigns a partition as Kafka does: adding replicas join, the last one in the ISR completes it, a removed leader hands over', async (t) => {
    const { controller: c, loader, done } = await activeController();
    t.after(done);
    const epochs = new Map<number, bigint>();
    for (const id of [1, 2, 3, 4]) epochs.set(id, await register(c, loader, id));
    await c.createTopics([{ name: 'mv', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs: [] }], false);
    await c.createTopics([{ name: 'mv3', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }], configs: [] }], false);
    const p = (i = 0) => (i === 0 ? loader.image.topic('mv')!.partitions[0]! : loader.image.topic('mv3')!.partitions[0]!);
    const reassign = async (i: number, replicas: number[] | null) => (await c.alterPartitionReassignments([{ name: i === 1 ? 'mv3' : 'mv', partitions: [{ partitionIndex: i === 1 ? 0 : i, replicas }] }]))[0]!.partitions[0]!;
    // Errors as Kafka answers them.
    assert.equal((await c.alterPartitionReassignments([{ name: 'nope', partitions: [{ partitionIndex: 0, replicas: [1] }] }]))[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal((await reassign(7, [1])).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal((await reassign(0, [5, 1])).errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'an unregistered broker');
    assert.equal((await reassign(0, [3, 3])).errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'a broker twice');
    assert.equal((await reassign(0, [])).errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'no replicas');
    assert.equal((await reassign(0, null)).errorCode, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
    assert.deepEqual(await c.listPartitionReassignments(null), []);
    // [1, 2] -> [3, 4]: both added, both removed; the leader (1) is among the removed.
    assert.equal((await reassign(0, [3, 4])).errorCode, ErrorCode.NONE);
    assert.deepEqual([p().replicas, p().addingReplicas, p().removingReplicas, p().isr, p().leader], [[3, 4, 1, 2], [3, 4], [1, 2], [1, 2], 1]);
    assert.deepEqual(await c.listPartitionReassignments([{ name: 'mv', partitionIndexes: [0, 1, 9] }, { name: 'nope', partitionIndexes: [0] }]), [
      { name: 'mv', partitions: [{ partitionIndex: 0, replicas: [3, 4, 1, 2], addingReplicas: [3, 4], removingReplicas: [1, 2] }] },
    ]);
    const alter = (newIsr: number[]) => c.alterPartition(p().leader, epochs.get(p().leader)!, [{ topicId: p().topicId, partitionIndex: 0, leaderEpoch: p().leaderEpoch, partitionEpoch: p().partitionEpoch, newIsr }]);
    // 3 catches up: not complete while 4 has not.
    await alter([1, 2, 3]);
    assert.deepEqual([p().replicas, p().isr, p().addingReplicas], [[3, 4, 1, 2], [1, 2, 3], [3, 4]]);
    const epoch = p().leaderEpoch;
    // 4 catches up: complete in the same change; leadership moves to 3, the first target replica in the ISR.
    await alter([1, 2, 3, 4]);
    assert.deepEqual([p().replicas, p().isr, p().addingReplicas, p().removingReplicas, p().leader, p().leaderEpoch], [[3, 4], [3, 4], [], [], 3, epoch + 1]);
    assert.deepEqual(await c.listPartitionReassignments(null), []);
    // A shrink whose target is in the ISR already completes at once, and bumps the leader epoch (replicas removed).
    const before = p(1).leaderEpoch;
    assert.equal((await reassign(1, [1, 2])).errorCode, ErrorCode.NONE);
    assert.deepEqual([p(1).replicas, p(1).isr, p(1).addingReplicas, p(1).removingReplicas, p(1).leader, p(1).leaderEpoch], [[1, 2], [1, 2], [], [], 1, before + 1]);
    // Cancelled: the adding replica goes, the original replicas stay.
    assert.equal((await reassign(1, [1, 2, 4])).errorCode, ErrorCode.NONE);
    assert.deepEqual([p(1).replicas, p(1).addingReplicas], [[1, 2, 4], [4]]);
    assert.equal((await reassign(1, null)).errorCode, ErrorCode.NONE);
    assert.deepEqual([p(1).replicas, p(1).isr, p(1).addingReplicas, p(1).removingReplicas, p(1).leader], [[1, 2], [1, 2], [], [], 1]);
    done();
  });

  it('moves leadership back to preferred replicas every leader.imbalance.check.interval.seconds when a broker is imbalanced (auto.leader.rebalance.enable)', async (t) => {
    const { controller: c, loader, clock, done } = await activeController({ config: { brokerSessionTimeoutMs: 100_000_000, leaderBalance: { checkIntervalMs: 300_000, imbalancePerBrokerPercentage: 10 } } });
    t.after(done);
    const epochs = new Map<number, bigint>();
    for (const id of [1, 2, 3]) epochs.set(id, await register(c, loader, id));
    await c.createTopics([{ name: 'bal', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }, { partitionIndex: 1, brokerIds: [2, 3, 1] }], configs: [] }], false);
    const p = (i: number) => loader.image.topic('bal')!.partitions[i]!;
    const beat = (id: number, wantFence: boolean) => c.brokerHeartbeat({ brokerId: id, brokerEpoch: epochs.get(id)!, currentMetadataOffset: 100_000n, wantFence, wantShutDown: false });
    // Broker 1 is fenced (leadership of partition 0 moves to 2) and comes back, first outside the ISR.
    await beat(1, true);
    await beat(1, false);
    assert.equal(p(0).leader, 2);
    clock.advance(300_000);
    await tick();
    assert.equal(p(0).leader, 2, 'not while the preferred replica is out of the ISR');
    await c.alterPartition(2, epochs.get(2)!, [{ topicId: p(0).topicId, partitionIndex: 0, leaderEpoch: p(0).leaderEpoch, partitionEpoch: p(0).partitionEpoch, newIsr: [2, 3, 1] }]);
    clock.advance(299_000);
    await tick();
    assert.equal(p(0).leader, 2, 'not before the interval');
    clock.advance(1000);
    await tick();
    await tick();
    assert.equal(p(0).leader, 1, 'the preferred replica leads again');
    assert.equal(p(1).leader, 2);
    done();
  });
});
