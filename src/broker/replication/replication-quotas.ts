/**
 * Replication quotas (KIP-73, Kafka's ReplicationQuotaManager): a cap on the bytes a broker
 * replicates for the replicas its topics name in `leader.replication.throttled.replicas` (what it
 * serves to followers as leader) and `follower.replication.throttled.replicas` (what it fetches as
 * a follower), at `leader.replication.throttled.rate` and `follower.replication.throttled.rate`
 * bytes per second, set at run time per broker or cluster-wide — what
 * `kafka-reassign-partitions --throttle` sets so that moving a partition does not starve clients.
 *
 * As in Kafka: a topic's list names replicas as `partition:broker` (or `*` for all), and each
 * broker takes the entries that name itself; the bytes replicated for throttled replicas are
 * measured over `replication.quota.window.num` samples of `replication.quota.window.size.seconds`;
 * while that rate is over the bound, a throttled replica that has not caught up is left out: the
 * leader answers its partitions empty to a follower outside the ISR (handlers/01-fetch.ts), and a
 * follower leaves out of its fetches the throttled partitions it has not caught up with
 * (replica-fetcher.ts). Replicas in sync are never held back, so a throttle neither shrinks the
 * ISR nor delays `acks=all`.
 */
import type { Clock } from '../../common/clock.js';
import { SampledRate } from '../../security/quota/rate.js';
import type { BrokerConfig } from '../config/broker-config.js';

export type ReplicationSide = 'leader' | 'follower';

export interface ReplicationQuotaOptions {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly clock: Clock;
  /** The topic's throttled-replicas lists (its effective config). */
  throttledReplicas(topic: string): { readonly leader: readonly string[]; readonly follower: readonly string[] };
}

/** One side's quota: which of this broker's replicas it throttles, and the rate they replicate at. */
export class ReplicationQuota {
  private readonly rate: SampledRate;

  constructor(
    private readonly side: ReplicationSide,
    private readonly o: ReplicationQuotaOptions,
  ) {
    this.rate = new SampledRate({ samples: o.config.num('replication.quota.window.num'), windowMs: o.config.num('replication.quota.window.size.seconds') * 1000 }, o.clock.now());
  }

  /** Whether the topic's list for this side names this broker's replica of the partition. */
  isThrottled(topic: string, partition: number): boolean {
    const list = this.o.throttledReplicas(topic)[this.side];
    return list.length > 0 && (list.includes('*') || replicaSet(list).has(`${partition}:${this.o.nodeId}`));
  }

  /** Whether the rate measured is over `<side>.replication.throttled.rate`. */
  isExceeded(): boolean {
    const bound = this.o.config.num(`${this.side}.replication.throttled.rate`);
    return bound < Number.MAX_SAFE_INTEGER && this.rate.measure(this.o.clock.now()) > bound;
  }

  /** Counts bytes replicated for a throttled replica. */
  record(bytes: number): void {
    if (bytes > 0) this.rate.record(bytes, this.o.clock.now());
  }
}

export interface ReplicationQuotas {
  readonly leader: ReplicationQuota;
  readonly follower: ReplicationQuota;
}

export function replicationQuotas(o: ReplicationQuotaOptions): ReplicationQuotas {
  return { leader: new ReplicationQuota('leader', o), follower: new ReplicationQuota('follower', o) };
}

/** A list's entries as `partition:broker` keys, made once per list (a topic's effective config is cached until it changes). */
const sets = new WeakMap<readonly string[], Set<string>>();
function replicaSet(list: readonly string[]): Set<string> {
  let s = sets.get(list);
  if (!s) {
    s = new Set(list.filter((e) => e !== '').map((e) => e.split(':').map(Number).join(':')));
    sets.set(list, s);
  }
  return s;
}
