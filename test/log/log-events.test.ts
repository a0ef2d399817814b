/**
 * The events a partition log gives the layer above it: acknowledged (with the bytes, for
 * min_bytes), truncated and offline; and listeners that throw do not break the log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/common/clock.js';
import type { LogConfig } from '../../src/log/log-config.js';
import type { LogListener } from '../../src/log/log-events.js';
import { LogManager } from '../../src/log/log-manager.js';
import { logOffsetsStore } from '../../src/group/offsets-store.js';
import { encodeUncompressedRecordBatch } from '../../src/protocol/records/index.js';
import { FaultyDisk } from '../../src/storage/faulty-disk.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { batch, capturingLogger, config, withLog } from './helpers.js';

type Event = ['acknowledged', bigint, number] | ['truncated', bigint] | ['offline', string];

function recorder(): { events: Event[]; listener: LogListener } {
  const events: Event[] = [];
  return {
    events,
    listener: {
      acknowledged: (end, bytes) => void events.push(['acknowledged', end, bytes]),
      truncated: (end) => void events.push(['truncated', end]),
      offline: (error) => void events.push(['offline', error.code]),
    },
  };
}

async function onFaultyDisk(cfg: Partial<LogConfig>) {
  const disk = new FaultyDisk(new MemoryDisk(() => 0.5));
  const logger = capturingLogger();
  const m = await LogManager.open({ dataDir: '/data', disk, clock: new ManualClock(0), defaults: config(cfg), cleaner: false, logger });
  return { disk, m, logger, log: await m.createLog('t', 0, config(cfg)) };
}

describe('log events', () => {
  it('acknowledged: the end advances with every write, and the bytes add up to what was appended', async () => {
    await withLog({}, async (log) => {
      const { events, listener } = recorder();
      log.subscribe(listener);
      const batches = Array.from({ length: 40 }, (_, i) => batch([`v${i}`, `w${i}`]));
      const total = batches.reduce((n, b) => n + b.length, 0);
      await Promise.all(batches.map((b) => log.append(b)));
      const acks = events.filter((e) => e[0] === 'acknowledged') as ['acknowledged', bigint, number][];
      assert.ok(acks.length >= 1 && acks.length <= 40, `${acks.length} events (appends written together share one)`);
      assert.equal(acks.reduce((n, e) => n + e[2], 0), total);
      assert.ok(acks.every((e, i) => i === 0 || e[1] > acks[i - 1]![1]), 'the end only advances');
      assert.equal(acks.at(-1)![1], 80n);
      assert.equal(log.acknowledgedEnd, 80n);
    });
  });

  it('acknowledged: any writer\'s appends produce it, a group coordinator\'s offsets store included', async () => {
    await withLog({}, async (log) => {
      const { events, listener } = recorder();
      log.subscribe(listener);
      const store = logOffsetsStore(() => log, 1 << 20);
      const record = batch(['offset-commit']);
      await store.append(0, record);
      assert.deepEqual(events, [['acknowledged', 1n, record.length]]);
    });
  });

  it('a retried idempotent batch is answered without an event (nothing new was written)', async () => {
    await withLog({}, async (log) => {
      const { events, listener } = recorder();
      log.subscribe(listener);
      const idempotent = () => encodeUncompressedRecordBatch({ producerId: 7n, producerEpoch: 0, baseSequence: 0, records: [{ value: Buffer.from('x'), timestamp: 1n }] });
      const first = await log.append(idempotent());
      const retry = await log.append(idempotent());
      assert.equal(retry.baseOffset, first.baseOffset);
      assert.equal(events.length, 1);
    });
  });

  it('truncated: truncateTo tells the new end, only when the end went back', async () => {
    await withLog({}, async (log) => {
      for (let i = 0; i < 10; i++) await log.append(batch([`v${i}`]));
      const { events, listener } = recorder();
      log.subscribe(listener);
      await log.truncateTo(20n);
      assert.deepEqual(events, []);
      await log.truncateTo(6n);
      assert.deepEqual(events, [['truncated', 6n]]);
      await log.append(batch(['again']));
      assert.deepEqual(events.at(-1), ['acknowledged', 7n, batch(['again']).length]);
    });
  });

  it('offline: an fsync failure drops the appends in flight (truncated to the acknowledged end), then offline', async () => {
    const { disk, m, log } = await onFaultyDisk({ fsyncBeforeAck: true });
    for (let i = 0; i < 3; i++) await log.append(batch([`ok${i}`]));
    const { events, listener } = recorder();
    log.subscribe(listener);
    disk.failNext({ op: 'sync', path: /\.log$/ });
    const appends = await Promise.allSettled([log.append(batch(['x1'])), log.append(batch(['x2'])), log.append(batch(['x3']))]);
    assert.ok(appends.every((r) => r.status === 'rejected'));
    assert.deepEqual(events, [
      ['truncated', 3n],
      ['offline', 'SAMSA_LOG_OFFLINE'],
    ]);
    assert.equal(log.logEndOffset, 3n);
    assert.equal(log.acknowledgedEnd, 3n);
    log.goOffline(new Error('again'));
    assert.equal(events.length, 2, 'once');
    await m.close();
  });

  it('an append being written when the log goes offline from elsewhere is refused, not acknowledged', async () => {
    const { m, log } = await onFaultyDisk({});
    await log.append(batch(['a']));
    await new Promise((r) => setImmediate(r)); // the writer is idle: the next append is taken up at once
    const { events, listener } = recorder();
    log.subscribe(listener);
    const inFlight = log.append(batch(['b']));
    log.goOffline(new Error('the cleaner hit a bad disk'));
    await assert.rejects(inFlight, { code: 'SAMSA_LOG_OFFLINE' });
    assert.equal(log.logEndOffset, 1n);
    assert.equal(log.acknowledgedEnd, 1n, 'the acknowledged end never passes the log end');
    assert.deepEqual(events, [
      ['truncated', 1n],
      ['offline', 'SAMSA_LOG_OFFLINE'],
    ]);
    await m.close();
  });

  it('offline without appends in flight: no truncated event', async () => {
    const { m, log } = await onFaultyDisk({});
    await log.append(batch(['a']));
    const { events, listener } = recorder();
    log.subscribe(listener);
    const error = log.goOffline(new Error('disk gone'));
    assert.equal(error.code, 'SAMSA_LOG_OFFLINE');
    assert.deepEqual(events, [['offline', 'SAMSA_LOG_OFFLINE']]);
    await m.close();
  });

  it('a listener that throws is logged; the others still hear, and the log carries on', async () => {
    const { m, log, logger } = await onFaultyDisk({});
    const { events, listener } = recorder();
    log.subscribe({
      acknowledged: () => {
        throw new Error('listener bug');
      },
    });
    log.subscribe(listener);
    const r = await log.append(batch(['a']));
    assert.equal(r.baseOffset, 0n);
    assert.equal(events.length, 1);
    assert.ok(logger.entries.some((e) => e.level === 'error' && (e.obj as { event?: string }).event === 'acknowledged'));
    assert.equal((await log.append(batch(['b']))).baseOffset, 1n);
    await m.close();
  });

  it('a listener may unsubscribe itself, or others, while an event is delivered', async () => {
    await withLog({}, async (log) => {
      const { events, listener } = recorder();
      const stops: (() => void)[] = [];
      stops.push(log.subscribe({ acknowledged: () => stops.forEach((s) => s()) }));
      stops.push(log.subscribe(listener));
      await log.append(batch(['a']));
      assert.equal(events.length, 1, 'the second listener still heard the event being delivered');
      await log.append(batch(['b']));
      assert.equal(events.length, 1, 'and nothing after it was removed');
    });
  });
});
