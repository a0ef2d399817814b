/**
 * The metadata runs' workload: simulated brokers register with whichever node is the active
 * controller and heartbeat to it (so they are unfenced, and fenced again when chaos keeps their
 * heartbeats away longer than a session), and clients create, delete and grow topics, change their
 * configs and take producer id blocks, all through the real QuorumController. Every answer the
 * controller gives is checked against the committed log as the checker rebuilt it:
 *
 * - a topic it said it created was created by a committed TopicRecord with that id;
 * - a broker epoch it handed out is the offset of a committed registration of that broker;
 * - producer id blocks it handed out never overlap, across every failover.
 *
 * After the heal, a topic created through the active controller must reach every node's image.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { MetadataReference } from './metadata-reference.js';
import type { SeededRandom } from './seeded-random.js';
import type { SimCluster, SimNode } from './sim-cluster.js';
import type { SimWorkload } from './sim-workload.js';

const BROKERS = [1, 2, 3];
const TOPICS = ['t0', 't1', 't2', 't3', 't4', 't5'];
const HEARTBEAT_MS = 300;

export class MetadataWorkload implements SimWorkload {
  private readonly r: SeededRandom;
  /** Each simulated broker's registration as the controller acknowledged it. */
  private readonly brokers = new Map<number, { epoch: bigint; incarnation: number }>();
  private readonly blocks: { start: bigint; end: bigint }[] = [];
  private incarnations = 0;
  acknowledged = 0;

  constructor(
    private readonly cluster: SimCluster,
    private readonly seed: number,
    private readonly note: (text: string) => void,
  ) {
    this.r = cluster.world.random.fork('metadata-workload');
  }

  private get reference(): MetadataReference {
    return this.cluster.checker.reference as MetadataReference;
  }

  private violation(text: string): void {
    this.cluster.checker.violation ??= text;
  }

  private active(): SimNode | undefined {
    return this.cluster.nodes.find((n) => n.running && n.metadata?.controller.isActive);
  }

  start(): void {
    const world = this.cluster.world;
    const tick = (): void => {
      this.step();
      world.schedule(5 + this.r.nextInt(40), tick);
    };
    const beat = (): void => {
      this.heartbeats();
      world.schedule(HEARTBEAT_MS, beat);
    };
    world.schedule(1, tick);
    world.schedule(HEARTBEAT_MS, beat);
  }

  private step(): void {
    const n = this.active();
    if (!n) return;
    const c = n.metadata!.controller;
    const roll = this.r.next();
    const name = TOPICS[this.r.nextInt(TOPICS.length)]!;
    if (roll < 0.15) this.register(n, BROKERS[this.r.nextInt(BROKERS.length)]!);
    else if (roll < 0.45) this.createTopic(n, name, 1 + this.r.nextInt(3), 1 + this.r.nextInt(2));
    else if (roll < 0.55) void c.deleteTopics([{ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }]).catch(() => undefined);
    else if (roll < 0.65) {
      const count = (n.metadata!.loader.image.topic(name)?.partitionCount ?? 1) + 1;
      void c.createPartitions([{ name, count, assignments: null }], false).catch(() => undefined);
    } else if (roll < 0.8) {
      const value = String(1000 + this.r.nextInt(1000));
      void c.incrementalAlterConfigs([{ resourceType: 2, resourceName: name, configs: [{ name: 'retention.ms', configOperation: 0, value }] }], false).catch(() => undefined);
    } else this.allocate(n);
  }

  private register(n: SimNode, brokerId: number): void {
    const incarnation = ++this.incarnations;
    const incarnationId = Buffer.from(`incarnation-${String(incarnation).padStart(5, '0')}`).toString('base64url').slice(0, 22);
    n.metadata!.controller.registerBroker({ brokerId, clusterId: 'U2ltdWxhdGVkQ2x1c3Rlcg', incarnationId, listeners: [{ name: 'PLAINTEXT', host: `b${brokerId}`, port: 9092, securityProtocol: 0 }], features: [], rack: `rack-${brokerId % 2}`, logDirs: [] }).then(
      (res) => {
        if (res.errorCode !== ErrorCode.NONE) return;
        this.acknowledged++;
        if (!this.reference.registrations.has(`${brokerId}@${res.brokerEpoch}`)) this.violation(`broker ${brokerId} was told epoch ${res.brokerEpoch}, which no committed registration has`);
        this.brokers.set(brokerId, { epoch: res.brokerEpoch, incarnation });
      },
      () => undefined,
    );
  }

  private heartbeats(): void {
    const n = this.active();
    if (!n) return;
    const offset = BigInt(Math.max(0, n.metadata!.loader.image.appliedOffset - 1));
    for (const [brokerId, b] of this.brokers) {
      void n.metadata!.controller.brokerHeartbeat({ brokerId, brokerEpoch: b.epoch, currentMetadataOffset: offset, wantFence: false, wantShutDown: false }).then(
        (res) => {
          if (res.errorCode === ErrorCode.STALE_BROKER_EPOCH && this.brokers.get(brokerId) === b) this.brokers.delete(brokerId);
        },
        () => undefined,
      );
    }
  }

  private createTopic(n: SimNode, name: string, partitions: number, rf: number): void {
    const configs: [string, string][] = this.r.next() < 0.3 ? [['retention.ms', String(this.r.nextInt(100000))]] : [];
    n.metadata!.controller.createTopics([{ name, numPartitions: partitions, replicationFactor: rf, assignments: [], configs }], false).then(
      ([res]) => {
        if (!res?.created) return;
        this.acknowledged++;
        if (!this.reference.createdTopicIds.has(res.created.topicId)) this.violation(`topic ${name} was acknowledged as created with id ${res.created.topicId}, which no committed TopicRecord has`);
      },
      () => undefined,
    );
  }

  private allocate(n: SimNode): void {
    const [brokerId, b] = [...this.brokers][this.r.nextInt(Math.max(1, this.brokers.size))] ?? [];
    if (brokerId === undefined || !b) return;
    n.metadata!.controller.allocateProducerIds(brokerId, b.epoch).then(
      (res) => {
        if (res.errorCode !== ErrorCode.NONE) return;
        this.acknowledged++;
        const block = { start: res.producerIdStart, end: res.producerIdStart + BigInt(res.producerIdLen) };
        const overlap = this.blocks.find((x) => x.start < block.end && block.start < x.end);
        if (overlap) this.violation(`producer id block ${block.start}..${block.end} overlaps ${overlap.start}..${overlap.end}, both handed out`);
        if (this.reference.image.nextProducerId < block.end) this.violation(`producer id block ${block.start}..${block.end} handed out before it was committed`);
        this.blocks.push(block);
      },
      () => undefined,
    );
  }

  private healTopic: string | undefined;

  /** After the heal: a topic created through the active controller is in every node's image. */
  progressed(): boolean {
    const nodes = this.cluster.nodes;
    if (!nodes.every((n) => n.running)) return false;
    const n = this.active();
    if (!n) return false;
    const name = `heal-${this.seed}`;
    if (!this.healTopic && !n.metadata!.loader.image.topic(name)) {
      this.healTopic = name;
      this.note(`creating ${name} through node ${n.id}`);
      void n.metadata!.controller.createTopics([{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], false).then(
        ([res]) => {
          if (res?.errorCode !== ErrorCode.NONE && res?.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) this.healTopic = undefined;
        },
        () => (this.healTopic = undefined),
      );
    }
    return nodes.every((x) => x.metadata!.loader.image.topic(name) !== undefined);
  }
}
