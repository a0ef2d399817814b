/**
 * The entry point: one SamsaClient per application shares its connections and metadata between
 * the producers, consumers and admin it makes.
 *
 *   const client = new SamsaClient({ bootstrapServers: ['127.0.0.1:9092'] });
 *   const producer = client.producer({ compression: 'lz4' });
 *   await producer.send('orders', { key: 'customer-1', value: JSON.stringify(order) });
 *   await client.close();
 */
import { Admin } from './admin.js';
import { Cluster, type ClusterOptions } from './cluster.js';
import { Consumer, type ConsumerOptions } from './consumer/consumer.js';
import { Producer, type ProducerOptions } from './producer/producer.js';
import type { Bytes } from './serde.js';

export type ClientOptions = ClusterOptions;

export class SamsaClient {
  readonly cluster: Cluster;
  private readonly producers = new Set<{ close(): Promise<void> }>();
  private readonly consumers = new Set<{ close(): Promise<void> }>();

  constructor(private readonly options: ClientOptions) {
    this.cluster = new Cluster(options);
  }

  producer<K = Bytes, V = Bytes>(options: ProducerOptions<K, V> = {}): Producer<K, V> {
    const p = new Producer<K, V>(this.cluster, options);
    this.producers.add(p);
    return p;
  }

  /**
   * A consumer with connections of its own, as each Kafka consumer has: its long-polling fetches
   * and parked JoinGroup/SyncGroup requests must not hold up anyone else's requests on a connection
   * (responses come back in request order).
   */
  consumer<K = Buffer | null, V = Buffer | null>(options: ConsumerOptions<K, V> = {}): Consumer<K, V> {
    const c = new Consumer<K, V>(new Cluster(this.options), options, { ownsCluster: true });
    this.consumers.add(c);
    return c;
  }

  admin(): Admin {
    return new Admin(this.cluster);
  }

  /** Flushes producers, closes consumers (committing and leaving their groups), then the connections. */
  async close(): Promise<void> {
    await Promise.all([...this.producers].map((p) => p.close().catch(() => undefined)));
    await Promise.all([...this.consumers].map((c) => c.close().catch(() => undefined)));
    await this.cluster.close();
  }
}
