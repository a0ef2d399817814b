/**
 * Topics as this broker uses them: each topic's effective config (its overrides from the metadata
 * image over the broker's settings, cached until they change), and auto-creation — a Metadata or
 * Produce request naming an unknown topic asks the active controller to create it when
 * `auto.create.topics.enable` allows (Kafka's AutoTopicCreationManager). Creating, deleting and
 * altering topics is the controller's (src/controller); brokers forward those requests.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { CreateTopicsResponse } from '../protocol/messages/index.js';
import type { MetadataImage, TopicView } from '../controller/image/metadata-image.js';
import type { BrokerConfig } from './config/broker-config.js';
import type { ConfigValue } from '../common/config-def.js';
import { type EffectiveTopicConfig, effectiveTopicConfig, parseTopicOverrides } from './config/topic-configs.js';

export interface TopicError {
  errorCode: number;
  errorMessage: string;
}

export function isTopicError(x: object): x is TopicError {
  return 'errorCode' in x;
}

/** Asks the active controller to create a topic with the broker's defaults; resolves with its answer once visible here. */
export type AutoCreate = (name: string) => Promise<CreateTopicsResponse['topics'][number]>;

export class TopicManager {
  private readonly effective = new Map<string, EffectiveTopicConfig>();
  private readonly creating = new Map<string, Promise<TopicView | TopicError>>();

  constructor(
    private readonly image: MetadataImage,
    private readonly config: BrokerConfig,
    private readonly create: AutoCreate,
  ) {}

  /** The topic a client referred to, created first if auto-creation is on and the name is valid. */
  autoCreate(name: string): Promise<TopicView | TopicError> {
    const existing = this.image.topic(name);
    if (existing) return Promise.resolve(existing);
    if (!this.config.bool('auto.create.topics.enable')) return Promise.resolve({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${name} does not exist` });
    let p = this.creating.get(name);
    if (!p) {
      p = this.create(name).then(
        (r): TopicView | TopicError => {
          // Created by this request, or by another meanwhile (TOPIC_ALREADY_EXISTS).
          const t = this.image.topic(name);
          return t ?? { errorCode: r.errorCode === ErrorCode.NONE ? ErrorCode.LEADER_NOT_AVAILABLE : r.errorCode, errorMessage: r.errorMessage ?? `Topic ${name} is being created` };
        },
        // No controller answered in time: the client asks again (a retriable error).
        (err: unknown): TopicError => ({ errorCode: ErrorCode.LEADER_NOT_AVAILABLE, errorMessage: `Topic ${name} could not be created yet: ${(err as Error).message}` }),
      );
      this.creating.set(name, p);
      void p.finally(() => this.creating.delete(name)).catch(() => undefined);
    }
    return p;
  }

  /** The config overrides of a topic, parsed. */
  overrides(name: string): Map<string, ConfigValue> {
    return parseTopicOverrides(Object.entries(this.image.topicConfigs(name)));
  }

  /**
   * A topic's effective log settings and produce policy (cached until its configs change). Only a
   * topic in the image is cached: the metadata publisher asks for a topic it opens after the commit
   * that created it, and a deletion committed meanwhile has already invalidated the name, so an
   * entry cached then would stay for the broker's life, and a topic created again under the name
   * would take the topic defaults of that moment.
   */
  effectiveConfig(name: string): EffectiveTopicConfig {
    let e = this.effective.get(name);
    if (!e) {
      e = effectiveTopicConfig(this.overrides(name), this.config.topicDefaults);
      if (this.image.topic(name)) this.effective.set(name, e);
    }
    return e;
  }

  /** A topic's overrides changed, or it was deleted. */
  invalidate(name: string): void {
    this.effective.delete(name);
  }
}
