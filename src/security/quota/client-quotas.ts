/**
 * Client quotas as Kafka stores and applies them (KIP-55, KIP-546, KIP-599, KIP-612):
 *
 * - entities: a user, a client id, or both (`user=alice,client-id=app`), each name possibly the
 *   default (`<default>`, null on the wire); or an IP address (or the default IP);
 * - keys: `producer_byte_rate`, `consumer_byte_rate`, `request_percentage`,
 *   `controller_mutation_rate` (user and client-id entities) and `connection_creation_rate` (ip);
 * - the quota a request is held to is the first one set in Kafka's order:
 *   user+client-id, user+default client-id, user, default user+client-id, default user+default
 *   client-id, default user, client-id, default client-id — and the clients it is shared by are
 *   those of the entity it was found on (ClientQuotaManager's metric tags).
 */
export const QUOTA_KEYS = {
  producer_byte_rate: 'user-or-client',
  consumer_byte_rate: 'user-or-client',
  request_percentage: 'user-or-client',
  controller_mutation_rate: 'user-or-client',
  connection_creation_rate: 'ip',
} as const;
export type QuotaKey = keyof typeof QUOTA_KEYS;

export const isQuotaKey = (k: string): k is QuotaKey => Object.hasOwn(QUOTA_KEYS, k);

/** One quota entity: each component's name, null for the default, absent when not part of it. */
export interface QuotaEntity {
  user?: string | null;
  'client-id'?: string | null;
  ip?: string | null;
}

export const ENTITY_TYPES = ['user', 'client-id', 'ip'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** A canonical key for an entity: `user=alice` / `user=<default>,client-id=app` / `ip=1.2.3.4`. */
export function entityKey(e: QuotaEntity): string {
  return ENTITY_TYPES.filter((t) => e[t] !== undefined)
    .map((t) => `${t}=${e[t] === null ? '<default>' : e[t]}`)
    .join(',');
}

/** Why an entity and key cannot go together, or undefined (Kafka's ClientQuotaControlManager checks). */
export function quotaEntityError(e: QuotaEntity): string | undefined {
  const types = ENTITY_TYPES.filter((t) => e[t] !== undefined);
  if (types.length === 0) return 'Invalid empty client quota entity';
  if (types.includes('ip') && types.length > 1) return 'Invalid quota entity combination, IP entity should not be combined with User or ClientId';
  if (e.ip !== undefined && e.ip !== null && !/^[0-9a-fA-F:.]+$/.test(e.ip)) return `${e.ip} is not a valid IP or resolvable host.`;
  return undefined;
}

export function quotaKeyError(e: QuotaEntity, key: string, value: number): string | undefined {
  if (!isQuotaKey(key)) return `Invalid configuration key ${key}`;
  const isIp = e.ip !== undefined;
  if ((QUOTA_KEYS[key] === 'ip') !== isIp) return `Invalid configuration key ${key} for ${isIp ? 'ip' : 'user or client-id'} entity`;
  if (!Number.isFinite(value) || value <= 0) return `Invalid value ${value} for configuration ${key}: must be positive`;
  if (key !== 'request_percentage' && key !== 'controller_mutation_rate' && !Number.isInteger(value)) return `Invalid value ${value} for configuration ${key}: Not a number of type LONG`;
  return undefined;
}

/** Where a request's quota was found: the entity's key and the names its clients are grouped by. */
export interface QuotaBinding {
  value: number;
  /** The sensor key: requests with the same key share one measured rate. */
  sensorKey: string;
}

/** The quotas of a cluster, with Kafka's precedence. */
export class ClientQuotas {
  private readonly byEntity = new Map<string, { entity: QuotaEntity; values: Map<QuotaKey, number> }>();
  /** Bumped on every change, so cached bindings know to look again. */
  version = 0;

  get isEmpty(): boolean {
    return this.byEntity.size === 0;
  }

  set(entity: QuotaEntity, key: QuotaKey, value: number | null): void {
    const k = entityKey(entity);
    let entry = this.byEntity.get(k);
    if (value === null) {
      if (!entry) return;
      entry.values.delete(key);
      if (entry.values.size === 0) this.byEntity.delete(k);
    } else {
      if (!entry) this.byEntity.set(k, (entry = { entity: { ...entity }, values: new Map() }));
      entry.values.set(key, value);
    }
    this.version++;
  }

  get(entity: QuotaEntity, key: QuotaKey): number | undefined {
    return this.byEntity.get(entityKey(entity))?.values.get(key);
  }

  entries(): { entity: QuotaEntity; values: Map<QuotaKey, number> }[] {
    return [...this.byEntity.values()];
  }

  /**
   * The quota for a user's and client id's requests: the first set in Kafka's order, and which
   * requests share it. Undefined when none applies (no limit).
   */
  resolve(user: string, clientId: string, key: QuotaKey): QuotaBinding | undefined {
    const order: [QuotaEntity, string][] = [
      [{ user, 'client-id': clientId }, `u=${user},c=${clientId}`],
      [{ user, 'client-id': null }, `u=${user},c=${clientId}`],
      [{ user }, `u=${user}`],
      [{ user: null, 'client-id': clientId }, `u=${user},c=${clientId}`],
      [{ user: null, 'client-id': null }, `u=${user},c=${clientId}`],
      [{ user: null }, `u=${user}`],
      [{ 'client-id': clientId }, `c=${clientId}`],
      [{ 'client-id': null }, `c=${clientId}`],
    ];
    for (const [entity, sensorKey] of order) {
      const value = this.get(entity, key);
      if (value !== undefined) return { value, sensorKey };
    }
    return undefined;
  }

  /** The connection creation rate for an IP: its own, else the default IP's. */
  resolveIp(ip: string): number | undefined {
    return this.get({ ip }, 'connection_creation_rate') ?? this.get({ ip: null }, 'connection_creation_rate');
  }
}
