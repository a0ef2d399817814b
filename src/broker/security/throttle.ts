/**
 * Throttling a client over its quotas, as Kafka does it: the response carries `throttle_time_ms`
 * and the connection is muted (nothing more is read from it) for that long; clients of versions
 * before KIP-219 do not throttle themselves, so their response is held back for that long instead.
 * Request-time quotas (`request_percentage`) are measured here, around the handler, for every API
 * but the ones Kafka exempts (the SASL handshake and ApiVersions).
 */
import { ApiKey } from '../../protocol/messages/index.js';
import type { RequestContext } from '../handler.js';
import { quotaUser } from './authorize.js';

/** The first version of each API whose clients throttle themselves (KIP-219); absent: all served versions do. */
const CLIENT_THROTTLES_FROM: ReadonlyMap<number, number> = new Map([
  [ApiKey.Produce, 6],
  [ApiKey.Fetch, 8],
  [ApiKey.ListOffsets, 3],
  [ApiKey.Metadata, 6],
  [ApiKey.OffsetCommit, 4],
  [ApiKey.OffsetFetch, 4],
  [ApiKey.FindCoordinator, 2],
  [ApiKey.JoinGroup, 3],
  [ApiKey.Heartbeat, 2],
  [ApiKey.LeaveGroup, 2],
  [ApiKey.SyncGroup, 2],
  [ApiKey.DescribeGroups, 2],
  [ApiKey.ListGroups, 2],
  [ApiKey.ApiVersions, 2],
  [ApiKey.CreateTopics, 3],
  [ApiKey.DeleteTopics, 2],
  [ApiKey.DeleteRecords, 1],
  [ApiKey.InitProducerId, 1],
  [ApiKey.DescribeConfigs, 2],
  [ApiKey.AlterConfigs, 1],
  [ApiKey.CreatePartitions, 1],
  [ApiKey.DeleteGroups, 1],
  [ApiKey.CreateAcls, 1],
  [ApiKey.DescribeAcls, 1],
  [ApiKey.DeleteAcls, 1],
]);

const EXEMPT = new Set<number>([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

export function clientThrottles(apiKey: number, version: number): boolean {
  return version >= (CLIENT_THROTTLES_FROM.get(apiKey) ?? 0);
}

export function isQuotaExempt(apiKey: number): boolean {
  return EXEMPT.has(apiKey);
}

/** Records bytes against a byte-rate quota of the request's user and client id; the throttle time (ms). */
export function recordBytes(ctx: RequestContext, key: 'producer_byte_rate' | 'consumer_byte_rate', bytes: number): number {
  const q = ctx.broker.security.quotas;
  if (!q.active) return 0;
  return q.record(key, quotaUser(ctx), ctx.clientId ?? '', bytes, ctx.broker.clock.now());
}

/**
 * The controller mutation quota of one request (KIP-599): each topic created or deleted (or each
 * partition added) takes as many tokens as it has partitions. Strict requests (CreateTopics v6+,
 * DeleteTopics v5+, CreatePartitions v3+) refuse a topic with THROTTLING_QUOTA_EXCEEDED while the
 * bucket is below zero; older ones are served and only throttled.
 */
export class MutationQuota {
  private throttleMs = 0;
  private readonly user: string;

  constructor(
    private readonly ctx: RequestContext,
    private readonly strict: boolean,
    private readonly enabled = true,
  ) {
    this.user = enabled && ctx.broker.security.quotas.active ? quotaUser(ctx) : '';
  }

  private get on(): boolean {
    return this.enabled && this.ctx.broker.security.quotas.active;
  }

  /** Takes `partitions` tokens; false (and nothing taken) when a strict request must refuse this one. */
  admit(partitions: number): boolean {
    if (!this.on) return true;
    const q = this.ctx.broker.security.quotas;
    const now = this.ctx.broker.clock.now();
    const clientId = this.ctx.clientId ?? '';
    if (this.strict && q.mutationExceeded(this.user, clientId, now)) {
      this.throttleMs = Math.max(this.throttleMs, q.mutationThrottleMs(this.user, clientId, now));
      return false;
    }
    this.throttleMs = Math.max(this.throttleMs, q.recordMutations(this.user, clientId, partitions, now));
    return true;
  }

  get throttleTimeMs(): number {
    return this.throttleMs;
  }
}

export const THROTTLED_MESSAGE = 'The throttling quota has been exceeded.';
