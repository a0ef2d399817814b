/**
 * A simulated node's metadata state machine: the real MetadataLoader applying the committed log
 * to the real MetadataImage, and the real QuorumController, active while the node leads, on the
 * node's simulated clock and seeded randomness. After each commit or snapshot load the node
 * reports its image's digest to the checker, which compares it with the image rebuilt from the
 * committed log.
 */
import pino from 'pino';
import type { Clock } from '../common/clock.js';
import type { Random } from '../common/random.js';
import type { ControllerConfig } from '../controller/controller-config.js';
import { imageDigest } from '../controller/image/image-records.js';
import { MetadataLoader } from '../controller/image/metadata-loader.js';
import { QuorumController } from '../controller/quorum-controller.js';
import type { CommittedBatch, RaftListener } from '../controller/raft/raft-core.js';
import type { LeaderAndEpoch } from '../controller/raft/offset-and-epoch.js';
import type { RaftClient } from '../controller/raft/raft-client.js';
import type { SnapshotContents } from '../controller/raft/snapshots.js';
import type { KvObserver } from './kv-state-machine.js';

export const SIM_CLUSTER_ID = 'U2ltdWxhdGVkQ2x1c3Rlcg';

/** The controller's settings in the simulator: short sessions, so that fencing happens within a run. */
export const SIM_CONTROLLER_CONFIG: ControllerConfig = {
  numPartitions: 1,
  defaultReplicationFactor: 1,
  deleteTopicEnable: true,
  maxPartitionsPerTopic: 100,
  brokerSessionTimeoutMs: 1500,
  metadataVersion: 25,
  validateTopicConfigs: (configs) => configs.map(([k, v]) => (k !== 'retention.ms' ? `Unknown topic config name: ${k}` : v === null || !/^-?\d+$/.test(v) ? `Invalid value ${v} for configuration retention.ms` : undefined)).find((e) => e),
  topicConfigKey: (name) => (name === 'retention.ms' ? { type: 'LONG', default: 604800000 } : undefined),
};

const SILENT = pino({ level: 'silent' });

/** Deliberate defects, for the simulator's controls. */
export interface MetadataFaults {
  /** The controller answers once its records are appended, not once they are committed. */
  readonly answerBeforeCommit?: boolean;
  /** Snapshots leave out config records (an image written incompletely). */
  readonly omitConfigsFromSnapshots?: boolean;
  /** The controller decides on the committed image alone, as if nothing it wrote were pending. */
  readonly readCommittedState?: boolean;
}

export class MetadataStateMachine implements RaftListener {
  readonly loader = new MetadataLoader();
  readonly controller: QuorumController;
  private client: RaftClient | undefined;

  constructor(
    readonly nodeId: number,
    clock: Clock,
    random: Random,
    private readonly observer: KvObserver,
    private readonly faults: MetadataFaults = {},
  ) {
    this.controller = new QuorumController({
      nodeId,
      clusterId: SIM_CLUSTER_ID,
      raft: {
        append: (records, epoch) => this.raft().append(records, epoch),
        nextOffset: () => this.raft().log.endOffset,
        isLeader: (epoch) => this.raft().quorum.state.name === 'Leader' && this.raft().quorum.epoch === epoch,
      },
      committedImage: () => this.loader.image,
      config: SIM_CONTROLLER_CONFIG,
      clock,
      random,
      logger: SILENT,
      ...(faults.answerBeforeCommit ? { unsafeAnswerBeforeCommit: true } : {}),
      ...(faults.readCommittedState ? { unsafeReadCommittedState: true } : {}),
    });
    this.loader.installPublisher(this.controller);
    this.loader.installPublisher({ onMetadataUpdate: (u) => observer.onState(nodeId, u.offset, imageDigest(u.image), u.fromSnapshot) });
  }

  /** The Raft client whose listener this is (set once it exists). */
  attach(client: RaftClient): void {
    this.client = client;
  }

  private raft(): RaftClient {
    if (!this.client) throw new Error('the state machine is not attached to a Raft client');
    return this.client;
  }

  handleCommit(batch: CommittedBatch): void {
    this.loader.handleCommit(batch);
  }

  handleLoadSnapshot(snapshot: SnapshotContents): void {
    this.loader.handleLoadSnapshot(snapshot);
  }

  handleLeaderChange(leader: LeaderAndEpoch): void {
    this.loader.handleLeaderChange(leader);
  }

  snapshotRecords(): Buffer[] {
    const records = this.loader.snapshotRecords();
    // A ConfigRecord's frame starts with version 1, type 4.
    return this.faults.omitConfigsFromSnapshots ? records.filter((r) => !(r[0] === 1 && r[1] === 4)) : records;
  }

  /** The node stopped (a crash): the controller's timers and waiting operations go with it. */
  close(): void {
    this.controller.close();
  }
}
