/**
 * kafka-producer-perf-test's send loop with the Java producer's accumulator and sender, for the
 * latency benchmark (bench/latency.bench.ts):
 *
 * - the loop calls send() for one record after another and, whenever it is ahead of the target
 *   rate, sleeps as Kafka's ThroughputThrottler does (1/rate of sleep owed per record, slept once
 *   at least 2 ms is owed), so it does not spin a core to hit due times;
 * - send() only adds the record to the accumulator; the sender, when it gets to run and fewer
 *   than `maxInFlight` requests are in flight, drains everything accumulated into one request
 *   (linger.ms=0, max.in.flight.requests.per.connection=5). In one JS thread the sender runs when
 *   the send loop yields (between bursts); Java's sender thread may split a burst in a few requests.
 *
 * Each record gets two latencies (Run): from its send() call, as the perf tool measures (a record
 * that waited in the accumulator for a free in-flight slot counts that wait), and from its due
 * time on the steady schedule (start + i/rate) or its send() call if that came first — the
 * stricter measure, corrected for coordinated omission.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** ThroughputThrottler's MIN_SLEEP_NS: it sleeps only once this much sleep is owed. */
export const MIN_SLEEP_MS = 2;

/**
 * Kafka's ThroughputThrottler (org.apache.kafka.tools.ThroughputThrottler): `shouldThrottle` when
 * more was sent than the rate allows by now; `throttle` adds 1/rate of sleep owed and returns it
 * (owing nothing after) once at least MIN_SLEEP_MS is owed, else 0.
 */
export class ThroughputThrottler {
  private sleepDeficitMs = 0;

  constructor(
    private readonly startMs: number,
    private readonly rate: number,
  ) {}

  shouldThrottle(amountSoFar: number, sendStartMs: number): boolean {
    const elapsedSec = (sendStartMs - this.startMs) / 1000;
    return elapsedSec > 0 && amountSoFar / elapsedSec > this.rate;
  }

  /** The sleep owed now (0: go on sending at once). */
  throttle(): number {
    this.sleepDeficitMs += 1000 / this.rate;
    if (this.sleepDeficitMs < MIN_SLEEP_MS) return 0;
    const ms = this.sleepDeficitMs;
    this.sleepDeficitMs = 0;
    return ms;
  }
}

/** A record's two start times: its send() call and its due time on the steady schedule. */
export interface Sent {
  sendAt: number;
  dueAt: number;
}

/** Latencies of one case by both measures (ms), and how many requests carried its records. */
export interface Run {
  fromSend: number[];
  fromDue: number[];
  requests: number;
  records: number;
}

export const newRun = (): Run => ({ fromSend: [], fromDue: [], requests: 0, records: 0 });

/** Adds both latencies of a record answered (or read) at `now`. */
export function recordLatency(run: Run, sent: Sent, now: number): void {
  run.fromSend.push(now - sent.sendAt);
  run.fromDue.push(now - Math.min(sent.sendAt, sent.dueAt));
}

export interface PerfProducerOptions {
  /** Records per second, and how many in all. */
  rate: number;
  records: number;
  maxInFlight?: number;
  /** Sends one request of `values` and resolves when it is answered. */
  send: (values: Buffer[]) => Promise<void>;
  /** Each record's start times and the time its answer arrived. */
  onAcked: (sent: Sent, now: number) => void;
  /** A record's value from its start times (the default: 100 B, the times in its first 16 bytes). */
  value?: (sent: Sent) => Buffer;
  /** For tests: the clock (ms), a sleep on it, and how the sender is scheduled after a send(). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  schedule?: (f: () => void) => void;
}

/** A value of `bytes` bytes carrying the record's start times (send, due) in its first 16. */
export function timedValue(sent: Sent, bytes = 100): Buffer {
  const v = Buffer.alloc(bytes, 'x');
  v.writeDoubleBE(sent.sendAt, 0);
  v.writeDoubleBE(sent.dueAt, 8);
  return v;
}

/**
 * Runs the send loop to the end; resolves once every record is acknowledged, or rejects with the
 * first failed send (the loop stops sending; requests still in flight are not waited for), so the
 * caller's clean-up runs. `run` counts requests and records.
 */
export async function perfProducer(run: Run, o: PerfProducerOptions): Promise<void> {
  const now = o.now ?? (() => performance.now());
  const sleepFor = o.sleep ?? ((ms: number) => sleepAtLeast(ms, now));
  const schedule = o.schedule ?? setImmediate;
  const maxInFlight = o.maxInFlight ?? 5;
  const value = o.value ?? ((s: Sent) => timedValue(s));
  let accumulated: Buffer[] = [];
  let accumulatedSent: Sent[] = [];
  let inFlight = 0;
  let senderScheduled = false;
  let allAcked: (() => void) | undefined;
  let failure: { error: unknown } | undefined;
  let failed: ((error: unknown) => void) | undefined;
  // The sender: drains whatever was accumulated when it gets to run, if a request may leave.
  const sender = (): void => {
    senderScheduled = false;
    if (failure || inFlight >= maxInFlight || accumulated.length === 0) return;
    const values = accumulated;
    const sents = accumulatedSent;
    accumulated = [];
    accumulatedSent = [];
    inFlight++;
    run.requests++;
    run.records += values.length;
    o.send(values).then(
      () => {
        if (failure) return;
        const t = now();
        for (const s of sents) o.onAcked(s, t);
        inFlight--;
        sender();
        if (inFlight === 0 && accumulated.length === 0) allAcked?.();
      },
      (error: unknown) => {
        failure ??= { error };
        failed?.(failure.error);
      },
    );
  };
  const start = now();
  const throttler = new ThroughputThrottler(start, o.rate);
  for (let i = 0; i < o.records; i++) {
    if (failure) throw failure.error;
    const sendAt = now();
    const sent = { sendAt, dueAt: start + (i / o.rate) * 1000 };
    accumulated.push(value(sent));
    accumulatedSent.push(sent);
    if (!senderScheduled) {
      senderScheduled = true;
      schedule(sender);
    }
    if (throttler.shouldThrottle(i, sendAt)) {
      const ms = throttler.throttle();
      if (ms > 0) await sleepFor(ms);
    }
  }
  if (failure) throw failure.error;
  if (inFlight > 0 || accumulated.length > 0 || senderScheduled) {
    await new Promise<void>((resolve, reject) => {
      allAcked = resolve;
      failed = reject;
    });
  }
}

/** Sleeps at least `ms` (a timer may fire a fraction of a millisecond early; Java's wait loop sleeps the rest). */
async function sleepAtLeast(ms: number, now: () => number): Promise<void> {
  const until = now() + ms;
  for (let left = ms; left > 0; left = until - now()) await sleep(left);
}
