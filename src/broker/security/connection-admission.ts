/**
 * Which new connections a broker serves, as Kafka's ConnectionQuotas decides: at most
 * `max.connections.per.ip` from one address (`max.connections.per.ip.overrides` per address),
 * refused beyond it; connections created faster than the IP's `connection_creation_rate` quota
 * (AlterClientQuotas on an `ip` entity) are closed after the throttle time; connections created
 * faster than `max.connection.creation.rate` (broker-wide, or per listener when prefixed) wait
 * unserved until the rate allows them (Kafka blocks its acceptor). The configs are read as each
 * connection arrives, so a run-time change (dynamic-broker-configs.ts) applies to the next one.
 */
import type { Clock } from '../../common/clock.js';
import { ConfigError } from '../../common/config-def.js';
import type { Admission, AdmissionPolicy } from '../../network/server.js';
import type { ClientQuotas } from '../../security/quota/client-quotas.js';
import { SampledRate, type WindowConfig } from '../../security/quota/rate.js';
import type { BrokerConfig } from '../config/broker-config.js';

/** Per-IP rates kept at once; beyond it, idle ones are dropped. */
const MAX_TRACKED_IPS = 10_000;
const UNLIMITED = 2147483647;

export function parseIpOverrides(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const entry of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const colon = entry.lastIndexOf(':');
    const n = Number(entry.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(n) || n < 0) throw new ConfigError('max.connections.per.ip.overrides', `Invalid entry ${entry} in max.connections.per.ip.overrides: expected host:count`);
    m.set(entry.slice(0, colon), n);
  }
  return m;
}

export class ConnectionAdmission implements AdmissionPolicy {
  private readonly counts = new Map<string, number>();
  private readonly ipRates = new Map<string, { rate: SampledRate; lastMs: number }>();
  private readonly listenerRates = new Map<string, SampledRate>();
  /** `max.connections.per.ip.overrides` parsed, with the text it came from (the config may change at run time). */
  private overrides: { text: string; byIp: Map<string, number> };

  constructor(
    private readonly config: BrokerConfig,
    private readonly quotas: ClientQuotas,
    private readonly clock: Clock,
    private readonly window: WindowConfig,
  ) {
    const text = config.str('max.connections.per.ip.overrides');
    this.overrides = { text, byIp: parseIpOverrides(text) };
  }

  /** The connection limit of an address, as the configs say now. */
  private limitOf(ip: string): number {
    const text = this.config.str('max.connections.per.ip.overrides');
    if (text !== this.overrides.text) this.overrides = { text, byIp: parseIpOverrides(text) };
    return this.overrides.byIp.get(ip) ?? this.config.num('max.connections.per.ip');
  }

  admit(ip: string, listener: string): Admission {
    const now = this.clock.now();
    const limit = this.limitOf(ip);
    const count = this.counts.get(ip) ?? 0;
    if (count >= limit) return { kind: 'refuse', reason: `too many connections from ${ip} (max.connections.per.ip ${limit})` };
    const ipRate = this.quotas.resolveIp(ip);
    if (ipRate !== undefined) {
      const throttle = this.ipRate(ip, now).recordAndThrottle(1, ipRate, now);
      if (throttle > 0) return { kind: 'close-after', delayMs: throttle, reason: `connection creation rate of ${ip} above its quota of ${ipRate}/s` };
    }
    this.counts.set(ip, count + 1);
    const listenerRate = this.config.listenerGet(listener, 'max.connection.creation.rate') as number;
    if (listenerRate < UNLIMITED) {
      let r = this.listenerRates.get(listener);
      if (!r) this.listenerRates.set(listener, (r = new SampledRate(this.window, now)));
      const delay = r.recordAndThrottle(1, listenerRate, now);
      if (delay > 0) return { kind: 'delay', delayMs: delay };
    }
    return { kind: 'accept' };
  }

  released(ip: string): void {
    const n = (this.counts.get(ip) ?? 1) - 1;
    if (n <= 0) this.counts.delete(ip);
    else this.counts.set(ip, n);
  }

  private ipRate(ip: string, now: number): SampledRate {
    let e = this.ipRates.get(ip);
    if (!e) {
      if (this.ipRates.size >= MAX_TRACKED_IPS) {
        const horizon = now - this.window.samples * this.window.windowMs;
        for (const [k, v] of this.ipRates) if (v.lastMs < horizon) this.ipRates.delete(k);
        if (this.ipRates.size >= MAX_TRACKED_IPS) this.ipRates.delete(this.ipRates.keys().next().value!);
      }
      this.ipRates.set(ip, (e = { rate: new SampledRate(this.window, now), lastMs: now }));
    }
    e.lastMs = now;
    return e.rate;
  }
}

/** The connections one listener (client or controller) takes at most: `max.connections`, or the listener's own when lower; asked at each new connection, since both change at run time. */
export function maxConnectionsOf(config: BrokerConfig, listener: string): number {
  return Math.min(config.num('max.connections'), config.listenerGet(listener, 'max.connections') as number);
}
