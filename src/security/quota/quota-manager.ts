/**
 * Measures what clients use against their quotas and says how long each must be throttled, as
 * Kafka's ClientQuotaManager (bytes produced and fetched), ClientRequestQuotaManager (request
 * time as a percentage of one thread) and ControllerMutationQuotaManager (partitions created and
 * deleted) do. One measured rate per quota key and per group of clients sharing the quota
 * (client-quotas.ts), kept while used and dropped after an hour idle (Kafka's inactive sensor
 * expiry). Pure over the given times.
 */
import { type ClientQuotas, type QuotaKey } from './client-quotas.js';
import { SampledRate, TokenBucket, type WindowConfig } from './rate.js';

/** Idle sensors are dropped after this long (Kafka: 1 hour). */
const SENSOR_EXPIRY_MS = 3_600_000;
/** How often (in recordings) idle sensors are looked for. */
const SWEEP_EVERY = 4096;

type RateKey = 'producer_byte_rate' | 'consumer_byte_rate' | 'request_percentage';

interface Sensor<T> {
  stat: T;
  bound: number;
  lastUsedMs: number;
}

export class QuotaManager {
  private readonly rates = new Map<RateKey, Map<string, Sensor<SampledRate>>>();
  private readonly buckets = new Map<string, Sensor<TokenBucket>>();
  private recordings = 0;

  constructor(
    readonly quotas: ClientQuotas,
    readonly window: WindowConfig,
  ) {}

  /** Whether any quota is set (when none, nothing is measured). */
  get active(): boolean {
    return !this.quotas.isEmpty;
  }

  /** Records `value` (bytes, or percent-seconds of request time) and returns the throttle time in ms. */
  record(key: RateKey, user: string, clientId: string, value: number, nowMs: number): number {
    const s = this.sensor(key, user, clientId, nowMs);
    return s ? s.stat.recordAndThrottle(value, s.bound, nowMs) : 0;
  }

  /** Takes back a recording (a fetch that was answered empty because it was throttled). */
  unrecord(key: RateKey, user: string, clientId: string, value: number, nowMs: number): void {
    this.sensor(key, user, clientId, nowMs)?.stat.record(-value, nowMs);
  }

  /** The most a client may take in one quota window (a fetch is capped to it), or Infinity. */
  maxValueInWindow(key: RateKey, user: string, clientId: string): number {
    const b = this.quotas.resolve(user, clientId, key);
    return b ? b.value * (this.window.samples - 1) * (this.window.windowMs / 1000) : Infinity;
  }

  /** Controller mutations (KIP-599): whether the bucket is below zero now (a strict request is refused then). */
  mutationExceeded(user: string, clientId: string, nowMs: number): boolean {
    const b = this.bucket(user, clientId, nowMs);
    return b !== undefined && b.stat.available(nowMs) < 0;
  }

  /** Records `partitions` mutations; returns the throttle time (until the bucket is back at zero). */
  recordMutations(user: string, clientId: string, partitions: number, nowMs: number): number {
    const b = this.bucket(user, clientId, nowMs);
    if (!b) return 0;
    b.stat.record(partitions, nowMs);
    return b.stat.throttleMs(nowMs);
  }

  mutationThrottleMs(user: string, clientId: string, nowMs: number): number {
    return this.bucket(user, clientId, nowMs)?.stat.throttleMs(nowMs) ?? 0;
  }

  private sensor(key: RateKey, user: string, clientId: string, nowMs: number): Sensor<SampledRate> | undefined {
    const binding = this.quotas.resolve(user, clientId, key);
    if (!binding) return undefined;
    let byKey = this.rates.get(key);
    if (!byKey) this.rates.set(key, (byKey = new Map()));
    let s = byKey.get(binding.sensorKey);
    if (!s) byKey.set(binding.sensorKey, (s = { stat: new SampledRate(this.window, nowMs), bound: binding.value, lastUsedMs: nowMs }));
    s.bound = binding.value;
    s.lastUsedMs = nowMs;
    this.maybeSweep(nowMs);
    return s;
  }

  private bucket(user: string, clientId: string, nowMs: number): Sensor<TokenBucket> | undefined {
    const binding = this.quotas.resolve(user, clientId, 'controller_mutation_rate' satisfies QuotaKey);
    if (!binding) return undefined;
    let b = this.buckets.get(binding.sensorKey);
    if (!b) this.buckets.set(binding.sensorKey, (b = { stat: new TokenBucket(binding.value, this.window, nowMs), bound: binding.value, lastUsedMs: nowMs }));
    if (b.bound !== binding.value) b.stat.setRate((b.bound = binding.value));
    b.lastUsedMs = nowMs;
    this.maybeSweep(nowMs);
    return b;
  }

  private maybeSweep(nowMs: number): void {
    if (++this.recordings % SWEEP_EVERY !== 0) return;
    const sweep = <T>(m: Map<string, Sensor<T>>) => {
      for (const [k, s] of m) if (nowMs - s.lastUsedMs > SENSOR_EXPIRY_MS) m.delete(k);
    };
    for (const m of this.rates.values()) sweep(m);
    sweep(this.buckets);
  }

  /** Sensors held (for tests of the bound). */
  get sensorCount(): number {
    let n = this.buckets.size;
    for (const m of this.rates.values()) n += m.size;
    return n;
  }
}
