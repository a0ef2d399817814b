/**
 * The latency benchmark's driver (bench/perf-producer.ts): Kafka's ThroughputThrottler, and the
 * send loop with the Java producer's accumulator and in-flight limit, on a clock the test drives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIN_SLEEP_MS, ThroughputThrottler, newRun, perfProducer, type Sent } from '../../bench/perf-producer.js';

test('the throttler owes 1/rate per record and asks for a sleep only once 2 ms is owed, then owes nothing', () => {
  const t = new ThroughputThrottler(0, 20_000);
  const owed = Array.from({ length: 80 }, () => t.throttle());
  // 0.05 ms per record: the 40th call owes 2 ms (up to float rounding, the 40th or 41st).
  const sleeps = owed.map((ms, i) => [i, ms] as const).filter(([, ms]) => ms > 0);
  assert.equal(sleeps.length, 2);
  for (const [, ms] of sleeps) assert.ok(ms >= MIN_SLEEP_MS && ms < MIN_SLEEP_MS + 0.1);
  assert.ok(sleeps[0]![0] >= 38 && sleeps[0]![0] <= 40);
});

test('the throttler throttles only when ahead of the rate', () => {
  const t = new ThroughputThrottler(1000, 1000);
  assert.equal(t.shouldThrottle(5, 1000), false, 'no time has passed: nothing to compare');
  assert.equal(t.shouldThrottle(5, 1010), false, '5 records in 10 ms is 500/s');
  assert.equal(t.shouldThrottle(20, 1010), true, '20 records in 10 ms is 2,000/s');
});

/** A clock advanced by the test: each reading moves it 0.01 ms, a sleep moves it by the sleep. */
function fakeClock() {
  let t = 0;
  return {
    now: () => (t += 0.01),
    sleep: async (ms: number) => {
      t += ms;
      await new Promise((r) => setImmediate(r));
    },
    advance: (ms: number) => (t += ms),
  };
}

test('the loop sleeps instead of spinning, sends every record once, and keeps at most 5 requests in flight', async () => {
  const clock = fakeClock();
  const run = newRun();
  const answers: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let sleeps = 0;
  const acked: Sent[] = [];
  const sizes: number[] = [];
  let made = 0;
  const done = perfProducer(run, {
    value: () => (made++, Buffer.alloc(1)),
    rate: 10_000,
    records: 1_000,
    now: clock.now,
    sleep: (ms) => {
      sleeps++;
      return clock.sleep(ms);
    },
    send: (values) => {
      sizes.push(values.length);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      return new Promise<void>((r) =>
        answers.push(() => {
          inFlight--;
          r();
        }),
      );
    },
    onAcked: (s) => acked.push(s),
  });
  // No request is answered before every record was sent; then the oldest one at a time: bounded.
  for (let i = 0; i < 100_000 && acked.length < 1_000; i++) {
    await new Promise((r) => setImmediate(r));
    if (made === 1_000) answers.shift()?.();
  }
  await done;
  assert.equal(acked.length, 1_000);
  assert.equal(new Set(acked).size, 1_000, 'each record acknowledged once');
  assert.equal(run.records, 1_000);
  assert.equal(run.requests, sizes.length);
  assert.ok(maxInFlight <= 5, `at most 5 in flight, saw ${maxInFlight}`);
  assert.ok(run.requests < 1_000, 'records sent together share requests');
  // 1,000 records at 10,000/s take 100 ms: about 50 sleeps of 2 ms, never a sleep per record.
  assert.ok(sleeps >= 40 && sleeps <= 60, `${sleeps} sleeps`);
});

test('a record waiting in the accumulator for a free in-flight slot counts the wait from its send() call', async () => {
  const clock = fakeClock();
  const run = newRun();
  const answers: (() => void)[] = [];
  const latencies: number[] = [];
  let made = 0;
  const done = perfProducer(run, {
    value: () => (made++, Buffer.alloc(1)),
    rate: 1_000,
    records: 12,
    maxInFlight: 1,
    now: clock.now,
    sleep: clock.sleep,
    send: () => new Promise<void>((r) => answers.push(r)),
    onAcked: (s, now) => latencies.push(now - s.sendAt),
  });
  // The first request holds the first record(s); the rest accumulate behind it while it is answered 50 ms late.
  for (let i = 0; i < 10_000 && answers.length === 0; i++) await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 10_000 && made < 12; i++) await new Promise((r) => setImmediate(r));
  clock.advance(50);
  for (let i = 0; i < 10_000 && latencies.length < 12; i++) {
    answers.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  await done;
  assert.equal(latencies.length, 12);
  assert.equal(run.requests, 2, 'one request in flight, every record sent meanwhile in the next');
  for (const l of latencies) assert.ok(l >= 50, `latency ${l} includes the 50 ms the first request took`);
});

test('a failed send ends the loop with its error (the caller cleans up) instead of an unhandled rejection', async () => {
  const clock = fakeClock();
  const run = newRun();
  let sends = 0;
  const done = perfProducer(run, {
    value: () => Buffer.alloc(1),
    rate: 1_000,
    records: 100,
    now: clock.now,
    sleep: clock.sleep,
    send: () => (++sends === 2 ? Promise.reject(new Error('produce failed: error code 6')) : Promise.resolve()),
    onAcked: () => {},
  });
  await assert.rejects(done, /produce failed: error code 6/);
  const sendsAtFailure = sends;
  // Nothing more is sent once a send failed.
  for (let i = 0; i < 100; i++) await new Promise((r) => setImmediate(r));
  assert.equal(sends, sendsAtFailure);
});
