/**
 * Creating the coordinators' internal topics, `__consumer_offsets` and `__transaction_state`
 * (Kafka's AutoTopicCreationManager for internal topics): asked of the active controller with the
 * topic's partition count, replication factor and the configs of a compacted coordinator topic.
 * Each topic is created when a client first looks for its coordinator (FindCoordinator), as Kafka
 * does, on a standalone node too: in a cluster the brokers have registered by then, and a fresh node
 * does not spend its start creating 50 partitions nobody may use.
 */
import type { Logger } from 'pino';
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from '../../common/topic-name.js';
import type { GroupConfig } from '../../group/group-config.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { CreateTopicsApi } from '../../protocol/messages/index.js';
import type { MetadataImage } from '../../controller/image/metadata-image.js';
import type { TxnConfig } from '../../txn/txn-config.js';
import type { ControllerChannel } from './controller-channel.js';

/** What an internal topic is created with. */
export interface InternalTopicSpec {
  readonly name: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly configs: readonly (readonly [string, string])[];
}

export interface InternalTopicCreatorOptions {
  readonly channel: ControllerChannel;
  readonly image: MetadataImage;
  readonly timeoutMs: number;
  /** Resolves once the topic is visible on this broker. */
  readonly whenVisible: () => Promise<void>;
  readonly log: Logger;
}

export class InternalTopicCreator {
  private creating: Promise<void> | undefined;

  constructor(
    private readonly spec: InternalTopicSpec,
    private readonly o: InternalTopicCreatorOptions,
  ) {}

  /** Creates the topic if it does not exist (once at a time); rejects with the controller's reason. */
  ensure(): Promise<void> {
    if (this.o.image.topic(this.spec.name)) return Promise.resolve();
    this.creating ??= this.create().finally(() => (this.creating = undefined));
    return this.creating;
  }

  private async create(): Promise<void> {
    const s = this.spec;
    const res = await this.o.channel.send(
      CreateTopicsApi,
      {
        topics: [{ name: s.name, numPartitions: s.numPartitions, replicationFactor: s.replicationFactor, assignments: [], configs: s.configs.map(([name, value]) => ({ name, value })) }],
        timeoutMs: this.o.timeoutMs,
        validateOnly: false,
      },
      { version: 7, timeoutMs: this.o.timeoutMs },
    );
    const t = res.topics[0];
    if (t && t.errorCode !== ErrorCode.NONE && t.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      throw new Error(`cannot create ${s.name}: ${t.errorMessage ?? `error ${t.errorCode}`}`);
    }
    await this.o.whenVisible();
    this.o.log.info({ partitions: s.numPartitions, replicationFactor: s.replicationFactor }, `created ${s.name}`);
  }
}

/** `__consumer_offsets`: offsets.topic.num.partitions, compacted, the producer's compression. */
export function offsetsTopicSpec(g: GroupConfig, replicationFactor: number): InternalTopicSpec {
  return {
    name: CONSUMER_OFFSETS_TOPIC,
    numPartitions: g['offsets.topic.num.partitions'],
    replicationFactor,
    configs: [
      ['cleanup.policy', 'compact'],
      ['segment.bytes', String(g['offsets.topic.segment.bytes'])],
      ['compression.type', 'producer'],
    ],
  };
}

/** `__transaction_state`: transaction.state.log.num.partitions, compacted, uncompressed, Kafka's min.insync.replicas for it. */
export function transactionStateTopicSpec(c: TxnConfig, replicationFactor: number): InternalTopicSpec {
  return {
    name: TRANSACTION_STATE_TOPIC,
    numPartitions: c['transaction.state.log.num.partitions'],
    replicationFactor,
    configs: [
      ['cleanup.policy', 'compact'],
      ['segment.bytes', String(c['transaction.state.log.segment.bytes'])],
      ['compression.type', 'uncompressed'],
      ['min.insync.replicas', String(Math.min(c['transaction.state.log.min.isr'], replicationFactor))],
    ],
  };
}
