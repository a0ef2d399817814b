/**
 * The controller of the partition simulation: the real QuorumController (broker registration,
 * heartbeats and session fencing, AlterPartition, clean leader election — controller/
 * cluster-control.ts and partition-control.ts), answering through the real controller-listener
 * handlers, on its own simulated clock.
 *
 * What it models rather than runs: the metadata quorum. Its log is one in-memory list that commits
 * each appended batch a moment later (the Raft quorum's own simulation, raft-sim, covers
 * replication, failover and durability of that log); the controller never crashes here. Brokers
 * read the committed log as a Raft observer would, by fetching it from the controller over the
 * simulated network (a sim-only request, METADATA_LOG_FETCH), and apply it with their own
 * MetadataLoader, so what a broker believes lags, and a cut link freezes it.
 */
import pino from 'pino';
import type { Clock } from '../common/clock.js';
import type { Random } from '../common/random.js';
import { alterPartitionHandler } from '../broker/controller-apis/56-alter-partition.js';
import { brokerRegistrationHandler } from '../broker/controller-apis/62-broker-registration.js';
import { brokerHeartbeatHandler } from '../broker/controller-apis/63-broker-heartbeat.js';
import type { ControllerNode, ControllerRequestContext } from '../broker/controller-apis/controller-context.js';
import type { AnyHandler } from '../broker/api-handler.js';
import type { ControllerConfig } from '../controller/controller-config.js';
import { MetadataLoader } from '../controller/image/metadata-loader.js';
import { type ControllerRaft, QuorumController } from '../controller/quorum-controller.js';
import type { CommittedBatch } from '../controller/raft/raft-core.js';
import type { ApiDescriptor } from '../protocol/api-descriptor.js';
import type { Reader } from '../protocol/primitives/reader.js';
import type { Writer } from '../protocol/primitives/writer.js';
import { type RpcServer, decodeWith, encodeWith } from './sim-rpc-network.js';
import type { SimWorld } from './sim-world.js';

export const PSIM_CLUSTER_ID = 'UGFydGl0aW9uU2ltdWxhdGlvbg';
export const CONTROLLER_NODE_ID = 100;

const SILENT = pino({ level: 'silent' });

/** The sim-only request by which a broker reads the committed metadata log from an offset. */
export interface MetadataLogFetch {
  fromOffset: number;
}

export const METADATA_LOG_FETCH: ApiDescriptor<MetadataLogFetch, MetadataLogFetch, CommittedBatch[], CommittedBatch[]> = {
  apiKey: -1,
  name: 'MetadataLogFetch (simulation)',
  minVersion: 0,
  maxVersion: 0,
  flexibleMinVersion: Infinity,
  listeners: ['controller'],
  encodeRequest: (w: Writer, _v: number, req: MetadataLogFetch) => w.writeInt64(BigInt(req.fromOffset)),
  decodeRequest: (r: Reader) => ({ fromOffset: Number(r.readInt64()) }),
  encodeResponse: (w: Writer, _v: number, batches: CommittedBatch[]) => {
    w.writeInt32(batches.length);
    for (const b of batches) {
      w.writeInt64(BigInt(b.baseOffset));
      w.writeInt32(b.epoch);
      w.writeInt64(BigInt(Math.floor(b.appendTimestamp)));
      w.writeInt32(b.records.length);
      for (const rec of b.records) w.writeBytes(rec, false);
    }
  },
  decodeResponse: (r: Reader) => {
    const n = r.readInt32();
    const out: CommittedBatch[] = [];
    for (let i = 0; i < n; i++) {
      const baseOffset = Number(r.readInt64());
      const epoch = r.readInt32();
      const appendTimestamp = Number(r.readInt64());
      const count = r.readInt32();
      const records: Buffer[] = [];
      for (let j = 0; j < count; j++) records.push(Buffer.from(r.readBytes(false)));
      out.push({ baseOffset, lastOffset: baseOffset + count - 1, epoch, appendTimestamp, records });
    }
    return out;
  },
};

/** The controller's settings in the partition simulation: sessions short enough to expire within a run; unclean elections when asked. */
export function psimControllerConfig(sessionTimeoutMs: number, uncleanLeaderElectionEnable = false): ControllerConfig {
  return {
    uncleanLeaderElectionEnable,
    numPartitions: 1,
    defaultReplicationFactor: 3,
    deleteTopicEnable: true,
    maxPartitionsPerTopic: 100,
    brokerSessionTimeoutMs: sessionTimeoutMs,
    metadataVersion: 25,
    validateTopicConfigs: () => undefined,
    topicConfigKey: () => undefined,
  };
}

/** The metadata log as the controller appends to it: committed `commitDelayMs` after each append. */
class InstantMetadataLog implements ControllerRaft {
  readonly batches: CommittedBatch[] = [];
  private end = 0;

  constructor(
    private readonly world: SimWorld,
    private readonly commitDelayMs: number,
    private readonly onCommit: (b: CommittedBatch) => void,
  ) {}

  append(records: readonly Buffer[], epoch: number): number {
    const batch: CommittedBatch = { baseOffset: this.end, lastOffset: this.end + records.length - 1, epoch, appendTimestamp: this.world.now, records: [...records] };
    this.end += records.length;
    this.world.schedule(this.commitDelayMs, () => {
      this.batches.push(batch);
      this.onCommit(batch);
    });
    return batch.lastOffset;
  }

  nextOffset(): number {
    return this.end;
  }

  isLeader(epoch: number): boolean {
    return epoch === 1;
  }
}

export class PartitionSimController {
  readonly loader = new MetadataLoader();
  readonly controller: QuorumController;
  private readonly log: InstantMetadataLog;
  private readonly node: ControllerNode;
  private readonly handlers = new Map<number, AnyHandler<ControllerRequestContext>>([alterPartitionHandler, brokerRegistrationHandler, brokerHeartbeatHandler].map((h) => [h.api.apiKey, h as AnyHandler<ControllerRequestContext>]));

  constructor(world: SimWorld, clock: Clock, random: Random, config: ControllerConfig) {
    this.log = new InstantMetadataLog(world, 1, (b) => this.loader.handleCommit(b));
    this.controller = new QuorumController({
      nodeId: CONTROLLER_NODE_ID,
      clusterId: PSIM_CLUSTER_ID,
      raft: this.log,
      committedImage: () => this.loader.image,
      config,
      clock,
      random,
      logger: SILENT,
    });
    this.loader.installPublisher(this.controller);
    // Only what the handlers reach (the image, the controller, the logger).
    this.node = { nodeId: CONTROLLER_NODE_ID, clusterId: PSIM_CLUSTER_ID, controller: this.controller, image: this.loader.image, log: SILENT } as unknown as ControllerNode;
    this.loader.handleLeaderChange({ leaderId: CONTROLLER_NODE_ID, epoch: 1 });
  }

  /** The committed image. */
  get image() {
    return this.loader.image;
  }

  /** Answers the brokers' requests: the real handlers, and the committed log. */
  readonly server: RpcServer = async (apiKey, version, bytes) => {
    if (apiKey === METADATA_LOG_FETCH.apiKey) {
      const req = decodeWith(METADATA_LOG_FETCH.decodeRequest, version, bytes);
      return encodeWith(METADATA_LOG_FETCH.encodeResponse as never, version, this.log.batches.filter((b) => b.lastOffset >= req.fromOffset));
    }
    const h = this.handlers.get(apiKey);
    if (!h) throw new Error(`the simulated controller does not serve API ${apiKey}`);
    const req = decodeWith(h.api.decodeRequest, version, bytes);
    const res = await h.handle(req, { apiVersion: version, clientId: null, correlationId: 0, log: SILENT, node: this.node });
    if (res === null || res === 'close') throw new Error(`no answer to API ${apiKey}`);
    return encodeWith(h.api.encodeResponse as never, version, res);
  };
}
