/**
 * Idempotent producer state in the log: sequence checks, retries answered from the state, all or
 * none of a multi-batch append, truncation, expiry by the broker's clock, and snapshots (format,
 * damage, the newest two kept, those past a truncation removed).
 */
import assert from 'node:assert/strict';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { encodeUncompressedRecordBatch } from '../../src/protocol/records/index.js';
import { PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS, PRODUCER_ID_EXPIRATION_MS, ProducerState, ProducerStateError, lastSequenceOf } from '../../src/log/producer-state.js';
import { FaultyDisk } from '../../src/storage/faulty-disk.js';
import { nodeDisk } from '../../src/storage/node-disk.js';
import { flipByte, openManager, readAll, tempDir, withLog } from './helpers.js';

/** A batch of `count` records from producer `pid` at `epoch`, first sequence `seq`. */
function idempotent(pid: bigint, epoch: number, seq: number, count = 1, prefix = 'v'): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`${prefix}${seq + i}`), timestamp: 1_700_000_000_000n }));
  return encodeUncompressedRecordBatch({ producerId: pid, producerEpoch: epoch, baseSequence: seq, records });
}

async function refusal(p: Promise<unknown>): Promise<number> {
  const err = await p.then(
    () => assert.fail('the append was accepted'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProducerStateError, String(err));
  return err.errorCode;
}

const snapshots = async (dir: string) => (await readdir(join(dir, 't-0'))).filter((n) => n.endsWith('.snapshot')).sort();

describe('producer state', () => {
  it('sequence numbers wrap at int32', () => {
    assert.equal(lastSequenceOf(0, 1), 0);
    assert.equal(lastSequenceOf(0x7ffffffe, 4), 1);
    const s = new ProducerState();
    s.update(7n, 0, { firstSeq: 0x7ffffff0, lastSeq: 0x7fffffff, firstOffset: 0n, lastOffset: 15n, lastSeenMs: 0 });
    assert.equal(s.check({ producerId: 7n, epoch: 0, firstSeq: 0, lastSeq: 3 }), undefined, 'after the largest sequence comes 0');
    assert.throws(() => s.check({ producerId: 7n, epoch: 0, firstSeq: 1, lastSeq: 3 }), (e: ProducerStateError) => e.errorCode === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  it('answers a retry of any of the last five batches from the state, and forgets older ones', async () => {
    await withLog({}, async (log) => {
      for (let seq = 0; seq < 7; seq++) assert.equal((await log.append(idempotent(1n, 0, seq))).baseOffset, BigInt(seq));
      for (let seq = 2; seq < 7; seq++) assert.equal((await log.append(idempotent(1n, 0, seq))).baseOffset, BigInt(seq), `retry of sequence ${seq}`);
      assert.equal(await refusal(log.append(idempotent(1n, 0, 1))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'sequence 1 is no longer remembered');
      assert.equal(log.logEndOffset, 7n);
      assert.deepEqual((await readAll(log)).map((r) => r.value), ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
    });
  });

  it('a retry of a batch still being written waits for it; a refused multi-batch append changes nothing', async () => {
    await withLog({}, async (log) => {
      const first = log.append(idempotent(1n, 0, 0, 3));
      const retry = log.append(idempotent(1n, 0, 0, 3));
      assert.deepEqual([(await first).baseOffset, (await retry).baseOffset], [0n, 0n]);
      // Producer 2's batch is fine, producer 1's has a gap: neither is written nor remembered.
      const both = Buffer.concat([idempotent(2n, 0, 0), idempotent(1n, 0, 9)]);
      assert.equal(await refusal(log.append(both)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      assert.equal(log.logEndOffset, 3n);
      assert.equal((await log.append(idempotent(1n, 0, 3))).baseOffset, 3n);
      assert.equal((await log.append(idempotent(2n, 0, 0, 1, 'p'))).baseOffset, 4n, 'producer 2 starts afresh');
      assert.equal(await refusal(log.append(Buffer.concat([idempotent(2n, 0, 1), idempotent(2n, 0, 0)]))), ErrorCode.DUPLICATE_SEQUENCE_NUMBER);
    });
  });

  it('truncation forgets the batches it removed', async () => {
    await withLog({}, async (log) => {
      for (let seq = 0; seq < 4; seq++) await log.append(idempotent(1n, 0, seq));
      await log.truncateTo(2n);
      assert.equal(await refusal(log.append(idempotent(1n, 0, 3))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      assert.equal((await log.append(idempotent(1n, 0, 2))).baseOffset, 2n, 'sequence 2 is new again');
    });
  });

  it('forgets producers silent for producer.id.expiration.ms by the broker clock, whatever their record timestamps', async () => {
    await withLog({ segmentBytes: 1024 }, async (log, { clock }) => {
      await log.append(idempotent(1n, 0, 0));
      await log.append(idempotent(2n, 0, 0));
      clock.advance(PRODUCER_ID_EXPIRATION_MS - 1000);
      await log.append(idempotent(2n, 0, 1));
      clock.advance(2000);
      log.roll();
      // Producer 1 is forgotten (a new sequence is accepted); producer 2 is still checked.
      assert.equal((await log.append(idempotent(1n, 0, 50))).baseOffset, 3n);
      assert.equal(await refusal(log.append(idempotent(2n, 0, 5))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    });
  });

  it('forgets silent producers every producer.id.expiration.check.interval.ms without a roll', async () => {
    // Until stop 30 they went only at a roll: a partition whose segment fills slowly (segment.ms is
    // a week) kept every producer that ever wrote to it (~600 bytes each) for days more than Kafka.
    await withLog({}, async (log, { clock }) => {
      await log.append(idempotent(1n, 0, 0));
      await log.append(idempotent(2n, 0, 0));
      clock.advance(PRODUCER_ID_EXPIRATION_MS);
      await log.append(idempotent(2n, 0, 1));
      await new Promise((resolve) => setImmediate(resolve)); // the check that ran re-arms
      clock.advance(PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS);
      assert.deepEqual(log.activeProducers().map((p) => p.producerId), [2n], 'producer 1 is forgotten');
      assert.equal((await log.append(idempotent(1n, 0, 50))).baseOffset, 3n, 'a new sequence of producer 1 is accepted');
    });
  });

  it('snapshots: written at rolls and close, the newest two kept, a damaged one ignored, those past a truncation removed', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      let m = await openManager(dir);
      let log = await m.createLog('t', 0);
      await log.append(idempotent(1n, 0, 0));
      assert.deepEqual(await snapshots(dir), [], 'no snapshot before a roll');
      for (let seq = 1; seq < 4; seq++) {
        log.roll();
        await log.append(idempotent(1n, 0, seq));
      }
      await m.close();
      assert.deepEqual(await snapshots(dir), ['00000000000000000003.snapshot', '00000000000000000004.snapshot']);
      // Damage the newest: the one before it plus a scan of the batches after it rebuild the state.
      const newest = join(dir, 't-0', '00000000000000000004.snapshot');
      const bytes = await readFile(newest);
      flipByte(bytes, bytes.length - 1);
      await writeFile(newest, bytes);
      // Without the clean-shutdown summary, which carries the state the close wrote (and so reads no snapshot), the open reads the snapshots.
      await rm(join(dir, 'clean-shutdown-summary'));
      m = await openManager(dir);
      log = m.getLog('t', 0)!;
      assert.equal((await log.append(idempotent(1n, 0, 3))).baseOffset, 3n, 'the last batch is known');
      assert.equal(await refusal(log.append(idempotent(1n, 0, 7))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      assert.deepEqual(await snapshots(dir), ['00000000000000000003.snapshot']);
      await log.truncateTo(2n);
      await m.close();
      assert.deepEqual(await snapshots(dir), ['00000000000000000002.snapshot'], 'the one past the truncation is gone; close wrote one');
      m = await openManager(dir);
      log = m.getLog('t', 0)!;
      assert.equal((await log.append(idempotent(1n, 0, 2))).baseOffset, 2n);
      await m.close();
    } finally {
      await cleanup();
    }
  });

  it('a clean close whose snapshot fails is not clean: the next open recovers the producers from the batches', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const disk = new FaultyDisk(nodeDisk);
      let m = await openManager(dir, { disk });
      let log = await m.createLog('t', 0);
      assert.equal((await log.append(idempotent(1n, 0, 0))).baseOffset, 0n);
      disk.failNext({ op: 'open', path: /\.snapshot/, times: Infinity });
      await m.close();
      assert.deepEqual(await snapshots(dir), []);
      assert.equal((await readdir(dir)).includes('.kafka_cleanshutdown'), false, 'no clean shutdown marker');
      m = await openManager(dir);
      log = m.getLog('t', 0)!;
      assert.equal((await log.append(idempotent(1n, 0, 0))).baseOffset, 0n, 'the retry is answered from the recovered state');
      assert.equal(log.logEndOffset, 1n);
      await m.close();
    } finally {
      await cleanup();
    }
  });

  it('a log closed cleanly without producers has no snapshot and none to rebuild; one with producers has one', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      let m = await openManager(dir);
      await (await m.createLog('t', 0)).append(encodeUncompressedRecordBatch({ records: [{ value: Buffer.from('plain') }] }));
      await m.close();
      assert.deepEqual(await snapshots(dir), []);
      m = await openManager(dir);
      const log = m.getLog('t', 0)!;
      assert.equal((await log.append(idempotent(1n, 0, 0))).baseOffset, 1n);
      await m.close();
      assert.deepEqual(await snapshots(dir), ['00000000000000000002.snapshot']);
      m = await openManager(dir);
      assert.equal((await m.getLog('t', 0)!.append(idempotent(1n, 0, 0))).baseOffset, 1n, 'the retry is answered from the snapshot');
      await m.close();
    } finally {
      await cleanup();
    }
  });
});
