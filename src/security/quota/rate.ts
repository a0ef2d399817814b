/**
 * Kafka's windowed rate (org.apache.kafka.common.metrics.stats.Rate over a SampledStat), as its
 * quota managers measure byte and request-time rates: `samples` windows of `windowMs` each
 * (`quota.window.num`, default 11, and `quota.window.size.seconds`, default 1); the rate is the
 * total of the retained samples over the time they span, which counts as at least
 * `samples - 1` full windows (so a burst right after start is measured over ten seconds, not
 * over a few milliseconds). And Kafka's token bucket (KIP-599), for controller mutations.
 */
export interface WindowConfig {
  samples: number;
  windowMs: number;
}

interface Sample {
  value: number;
  startMs: number;
}

export class SampledRate {
  private readonly samples: Sample[];
  private current = 0;

  constructor(
    private readonly config: WindowConfig,
    nowMs: number,
  ) {
    this.samples = [{ value: 0, startMs: nowMs }];
  }

  record(value: number, nowMs: number): void {
    let s = this.samples[this.current]!;
    if (nowMs - s.startMs >= this.config.windowMs) {
      this.current = (this.current + 1) % this.config.samples;
      s = this.samples[this.current] ?? (this.samples[this.current] = { value: 0, startMs: nowMs });
      s.value = 0;
      s.startMs = nowMs;
    }
    s.value += value;
  }

  /** The rate per second at `nowMs`. */
  measure(nowMs: number): number {
    this.purge(nowMs);
    let total = 0;
    for (const s of this.samples) total += s.value;
    return total / (this.windowSizeMs(nowMs) / 1000);
  }

  /** The time the rate is measured over (Rate.windowSize). */
  windowSizeMs(nowMs: number): number {
    this.purge(nowMs);
    let oldest = this.samples[this.current]!;
    for (const s of this.samples) if (s.startMs < oldest.startMs) oldest = s;
    let elapsed = nowMs - oldest.startMs;
    const full = Math.floor(elapsed / this.config.windowMs);
    const minFull = this.config.samples - 1;
    if (full < minFull) elapsed += (minFull - full) * this.config.windowMs;
    return elapsed === 0 ? 1 : elapsed;
  }

  /** Samples older than the whole window are reset (SampledStat.purgeObsoleteSamples). */
  private purge(nowMs: number): void {
    const expireAge = this.config.samples * this.config.windowMs;
    for (const s of this.samples) {
      if (nowMs - s.startMs >= expireAge) {
        s.value = 0;
        s.startMs = nowMs;
      }
    }
  }

  /**
   * Records `value` and answers how long the client must wait (Kafka's QuotaUtils.throttleTime):
   * 0 within the bound, else (rate - bound) / bound × the measured window.
   */
  recordAndThrottle(value: number, bound: number, nowMs: number): number {
    this.record(value, nowMs);
    const rate = this.measure(nowMs);
    if (rate <= bound) return 0;
    return Math.round(((rate - bound) / bound) * this.windowSizeMs(nowMs));
  }
}

/** Kafka's TokenBucket: `burst` tokens refilled at `rate` per second; recording takes tokens and may go below zero. */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private rate: number,
    private readonly config: WindowConfig,
    nowMs: number,
  ) {
    this.tokens = this.burst;
    this.lastMs = nowMs;
  }

  private get burst(): number {
    return this.rate * this.config.samples * (this.config.windowMs / 1000);
  }

  setRate(rate: number): void {
    this.rate = rate;
    this.tokens = Math.min(this.tokens, this.burst);
  }

  available(nowMs: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) / 1000) * this.rate);
    this.lastMs = nowMs;
    return this.tokens;
  }

  record(value: number, nowMs: number): void {
    this.available(nowMs);
    this.tokens -= value;
  }

  /** How long until the bucket is back at zero (0 when it is not below). */
  throttleMs(nowMs: number): number {
    const t = this.available(nowMs);
    return t >= 0 ? 0 : Math.ceil((-t / this.rate) * 1000);
  }
}
