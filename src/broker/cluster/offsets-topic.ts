/**
 * Creating `__consumer_offsets` (Kafka's AutoTopicCreationManager for internal topics): asked of
 * the active controller with `offsets.topic.num.partitions` partitions, `offsets.topic.replication.factor`
 * replicas and the configs of a compacted coordinator topic. A standalone node creates it when it
 * starts (as Samsa always did); a cluster creates it when a client first looks for a group
 * coordinator, as Kafka does, so that the brokers have registered by then.
 */
import type { Logger } from 'pino';
import { CONSUMER_OFFSETS_TOPIC } from '../../common/topic-name.js';
import type { GroupConfig } from '../../group/group-config.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { CreateTopicsApi } from '../../protocol/messages/index.js';
import type { MetadataImage } from '../../controller/image/metadata-image.js';
import type { ControllerChannel } from './controller-channel.js';

export class OffsetsTopicCreator {
  private creating: Promise<void> | undefined;

  constructor(
    private readonly o: {
      readonly channel: ControllerChannel;
      readonly image: MetadataImage;
      readonly groupConfig: GroupConfig;
      readonly replicationFactor: number;
      readonly timeoutMs: number;
      /** Resolves once the topic is visible on this broker. */
      readonly whenVisible: () => Promise<void>;
      readonly log: Logger;
    },
  ) {}

  /** Creates the topic if it does not exist (once at a time); rejects with the controller's reason. */
  ensure(): Promise<void> {
    if (this.o.image.topic(CONSUMER_OFFSETS_TOPIC)) return Promise.resolve();
    this.creating ??= this.create().finally(() => (this.creating = undefined));
    return this.creating;
  }

  private async create(): Promise<void> {
    const g = this.o.groupConfig;
    const res = await this.o.channel.send(
      CreateTopicsApi,
      {
        topics: [
          {
            name: CONSUMER_OFFSETS_TOPIC,
            numPartitions: g['offsets.topic.num.partitions'],
            replicationFactor: this.o.replicationFactor,
            assignments: [],
            configs: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'segment.bytes', value: String(g['offsets.topic.segment.bytes']) },
              { name: 'compression.type', value: 'producer' },
            ],
          },
        ],
        timeoutMs: this.o.timeoutMs,
        validateOnly: false,
      },
      { version: 7, timeoutMs: this.o.timeoutMs },
    );
    const t = res.topics[0];
    if (t && t.errorCode !== ErrorCode.NONE && t.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      throw new Error(`cannot create ${CONSUMER_OFFSETS_TOPIC}: ${t.errorMessage ?? `error ${t.errorCode}`}`);
    }
    await this.o.whenVisible();
    this.o.log.info({ partitions: g['offsets.topic.num.partitions'], replicationFactor: this.o.replicationFactor }, `created ${CONSUMER_OFFSETS_TOPIC}`);
  }
}
