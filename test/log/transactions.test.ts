/**
 * Transactions in the log: producer state tracking open transactions, the first unstable offset
 * (and so the last stable offset), transaction markers and their checks, KIP-890 verification
 * guards, the `.txnindex` (Kafka's format) written at the marker, read back, rebuilt after a crash
 * and cut by truncation, and the cleaner keeping the index entries of the markers it keeps.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/common/clock.js';
import { LogCleaner } from '../../src/log/cleaner/log-cleaner.js';
import { LogManager } from '../../src/log/log-manager.js';
import type { PartitionLog } from '../../src/log/partition-log.js';
import { PRODUCER_ID_EXPIRATION_MS, ProducerStateError } from '../../src/log/producer-state.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ControlRecordType, encodeUncompressedRecordBatch, endTxnMarkerRecord } from '../../src/protocol/records/index.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { batch, config, decodeChunks, readAll, withLog } from './helpers.js';

const TS = 1_700_000_000_000n;

function txn(pid: bigint, epoch: number, seq: number, values: string[], key?: string): Buffer {
  return encodeUncompressedRecordBatch({
    isTransactional: true,
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: seq,
    records: values.map((v) => ({ value: Buffer.from(v), timestamp: TS, ...(key !== undefined ? { key: Buffer.from(key) } : {}) })),
  });
}

function marker(pid: bigint, epoch: number, type: ControlRecordType, coordinatorEpoch = 0): Buffer {
  return encodeUncompressedRecordBatch({ isTransactional: true, isControlBatch: true, producerId: pid, producerEpoch: epoch, records: [endTxnMarkerRecord(type, coordinatorEpoch, TS)] });
}

const writeMarker = (log: PartitionLog, pid: bigint, epoch: number, type: ControlRecordType, coordinatorEpoch = 0) =>
  log.append(marker(pid, epoch, type, coordinatorEpoch), { origin: 'coordinator' });

/** As the partition layer does once the high watermark covers the log. */
const replicated = (log: PartitionLog) => log.onHighWatermarkUpdated(log.acknowledgedEnd);

async function refusal(p: Promise<unknown>): Promise<number> {
  const err = await p.then(
    () => assert.fail('the append was accepted'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProducerStateError, String(err));
  return err.errorCode;
}

describe('transactions in the log', () => {
  it('the first unstable offset is the oldest open transaction, and a marker counts only once the high watermark passes it', async () => {
    await withLog({}, async (log) => {
      assert.equal(log.firstUnstableOffset, undefined);
      await log.append(txn(1n, 0, 0, ['a', 'b'])); // 0-1
      await log.append(batch(['plain'])); // 2
      await log.append(txn(2n, 0, 0, ['c'])); // 3
      replicated(log);
      assert.equal(log.firstUnstableOffset, 0n);
      await writeMarker(log, 1n, 0, ControlRecordType.Commit); // 4
      assert.equal(log.firstUnstableOffset, 0n, 'the marker is not below the high watermark yet');
      replicated(log);
      assert.equal(log.firstUnstableOffset, 3n, "producer 2's transaction is still open");
      await writeMarker(log, 2n, 0, ControlRecordType.Abort); // 5
      replicated(log);
      assert.equal(log.firstUnstableOffset, undefined);
      assert.deepEqual(await log.collectAbortedTransactions(0n, 6n), [{ producerId: 2n, firstOffset: 3n, lastOffset: 5n, lastStableOffset: 6n }]);
      assert.deepEqual(await log.collectAbortedTransactions(0n, 3n), [], 'a range before the transaction holds none');
      assert.deepEqual(await log.collectAbortedTransactions(6n, 10n), [], 'a range after its marker holds none');
    });
  });

  it('writes the aborted transaction to the marker segment\'s .txnindex in Kafka\'s format, with the last stable offset of that moment', async () => {
    await withLog({}, async (log, { dir, manager }) => {
      await log.append(txn(1n, 0, 0, ['x'])); // 0
      await log.append(txn(2n, 0, 0, ['y'])); // 1
      await writeMarker(log, 2n, 0, ControlRecordType.Abort); // 2: producer 1 still open at 0
      await manager.close();
      const bytes = await readFile(join(dir, 't-0', '00000000000000000000.txnindex'));
      const expected = Buffer.alloc(34);
      expected.writeInt16BE(0, 0);
      expected.writeBigInt64BE(2n, 2);
      expected.writeBigInt64BE(1n, 10);
      expected.writeBigInt64BE(2n, 18);
      expected.writeBigInt64BE(0n, 26);
      assert.deepEqual(bytes, expected);
      const again = await LogManager.open({ dataDir: dir, defaults: config(), clock: new ManualClock(Number(TS)), cleaner: false });
      const reopened = again.getLog('t', 0)!;
      assert.deepEqual(await reopened.collectAbortedTransactions(0n, 3n), [{ producerId: 2n, firstOffset: 1n, lastOffset: 2n, lastStableOffset: 0n }]);
      replicated(reopened);
      assert.equal(reopened.firstUnstableOffset, 0n, "producer 1's open transaction came back from the snapshot");
      await again.close();
    });
  });

  it('refuses a plain batch inside a transaction, fenced markers, and data of a fenced epoch', async () => {
    await withLog({}, async (log) => {
      await log.append(txn(1n, 3, 0, ['a']));
      const plain = encodeUncompressedRecordBatch({ producerId: 1n, producerEpoch: 3, baseSequence: 1, records: [{ value: Buffer.from('p'), timestamp: TS }] });
      assert.equal(await refusal(log.append(plain)), ErrorCode.INVALID_TXN_STATE);
      assert.equal(await refusal(writeMarker(log, 1n, 2, ControlRecordType.Commit)), ErrorCode.INVALID_PRODUCER_EPOCH);
      await writeMarker(log, 1n, 3, ControlRecordType.Commit, 5);
      await log.append(txn(1n, 3, 1, ['b']));
      assert.equal(await refusal(writeMarker(log, 1n, 3, ControlRecordType.Abort, 4)), ErrorCode.TRANSACTION_COORDINATOR_FENCED);
      // A coordinator fencing the producer aborts with a newer epoch; the old epoch's data is refused after.
      await writeMarker(log, 1n, 4, ControlRecordType.Abort, 5);
      assert.equal(await refusal(log.append(txn(1n, 3, 2, ['late']))), ErrorCode.INVALID_PRODUCER_EPOCH);
      assert.equal((await log.append(txn(1n, 4, 0, ['new epoch']))).baseOffset, log.logEndOffset - 1n);
    });
  });

  it('a retry of a transactional batch after its marker, and across a segment roll, is answered with its offsets and written once', async () => {
    await withLog({ segmentBytes: 300 }, async (log) => {
      const first = txn(1n, 0, 0, ['a', 'b']);
      const retry = Buffer.from(first); // append patches its buffer in place: the retry is the bytes the producer sent
      assert.equal((await log.append(first)).baseOffset, 0n);
      await writeMarker(log, 1n, 0, ControlRecordType.Abort); // 2
      // The answer was lost; the producer sends the batch again after the abort, same epoch and sequence.
      assert.deepEqual(await log.append(retry), { baseOffset: 0n, lastOffset: 1n, logAppendTime: -1n, logStartOffset: 0n });
      assert.equal(log.hasOngoingTransaction(1n, 0), false, 'the retry does not reopen the aborted transaction');
      // The next transaction's batch, then enough batches of others to roll segments past it.
      const next = txn(1n, 0, 2, ['c']);
      const nextRetry = Buffer.from(next);
      assert.equal((await log.append(next)).baseOffset, 3n);
      await writeMarker(log, 1n, 0, ControlRecordType.Commit); // 4
      for (let i = 0; i < 6; i++) await log.append(batch([`other-${i}`.padEnd(60, '.')]));
      assert.ok(log.segments.length > 1 && log.segments.at(-1)!.baseOffset > 4n, 'the batch is in an older segment');
      assert.equal((await log.append(nextRetry)).baseOffset, 3n);
      replicated(log);
      const ours = (await readAll(log)).filter((r) => ['a', 'b', 'c'].includes(r.value ?? '')).map((r) => `${r.offset}:${r.value}`);
      assert.deepEqual(ours, ['0:a', '1:b', '3:c'], 'each record once');
    });
  });

  it('KIP-890: a transactional batch starting a transaction needs the guard taken before verification, which a marker spends', async () => {
    await withLog({}, async (log) => {
      const unguarded = { guard: undefined };
      assert.equal(await refusal(log.append(txn(1n, 0, 0, ['a']), { verification: unguarded })), ErrorCode.INVALID_TXN_STATE);
      const guard = log.verificationGuard(1n, 0);
      // The transaction is aborted while the produce waits: the marker spends the guard.
      await writeMarker(log, 1n, 0, ControlRecordType.Abort);
      assert.equal(await refusal(log.append(txn(1n, 0, 0, ['a']), { verification: { guard } })), ErrorCode.INVALID_TXN_STATE, 'no hanging transaction');
      const fresh = log.verificationGuard(1n, 0);
      await log.append(txn(1n, 0, 0, ['a']), { verification: { guard: fresh } });
      assert.ok(log.hasOngoingTransaction(1n, 0));
      // Inside the open transaction no guard is needed.
      await log.append(txn(1n, 0, 1, ['b']), { verification: unguarded });
      assert.deepEqual(log.activeProducers().map((p) => [p.producerId, p.epoch, p.lastSequence, p.currentTxnStartOffset]), [[1n, 0, 1, 1n]]);
    });
  });

  it('KIP-890: a guard no append or marker spent is forgotten after producer.id.expiration.ms', async () => {
    // A produce whose verification fails (it came after its transaction ended, or a batch outside
    // any) leaves its guard; until stop 30 it stayed for the broker's life, one per producer id.
    await withLog({}, async (log, { clock }) => {
      const guard = log.verificationGuard(7n, 0);
      clock.advance(PRODUCER_ID_EXPIRATION_MS - 1000);
      log.removeExpiredProducers();
      assert.equal(log.verificationGuard(7n, 0), guard, 'kept within producer.id.expiration.ms');
      clock.advance(2000);
      log.removeExpiredProducers();
      assert.notEqual(log.verificationGuard(7n, 0), guard, 'forgotten after it');
    });
  });

  it('after a crash, open transactions are replayed and the .txnindex of recovered segments is rebuilt', async () => {
    const mem = new MemoryDisk(() => 0.5);
    const clock = new ManualClock(Number(TS));
    const open = () => LogManager.open({ dataDir: '/data', disk: mem, clock, defaults: config({ segmentBytes: 300 }), cleaner: false });
    const m = await open();
    const log = await m.createLog('t', 0, config({ segmentBytes: 300 }));
    await log.append(txn(1n, 0, 0, ['open-a'])); // 0: producer 1 stays open
    for (let i = 0; i < 4; i++) await log.append(batch([`filler-${i}-${'x'.repeat(60)}`]));
    await log.append(txn(2n, 0, 0, ['aborted'])); // 5
    for (let i = 0; i < 4; i++) await log.append(batch([`more-${i}-${'y'.repeat(60)}`]));
    await writeMarker(log, 2n, 0, ControlRecordType.Abort); // 10
    await log.append(txn(3n, 0, 0, ['committed'])); // 11
    await writeMarker(log, 3n, 0, ControlRecordType.Commit); // 12
    assert.ok(log.segments.length >= 3, `${log.segments.length} segments`);
    const before = await log.collectAbortedTransactions(0n, 13n);
    assert.deepEqual(before, [{ producerId: 2n, firstOffset: 5n, lastOffset: 10n, lastStableOffset: 0n }]);
    await log.flush();
    await m.checkpoint();
    mem.crash();
    const again = await open();
    const recovered = again.getLog('t', 0)!;
    assert.equal(recovered.logEndOffset, 13n);
    assert.deepEqual(await recovered.collectAbortedTransactions(0n, 13n), before);
    replicated(recovered);
    assert.equal(recovered.firstUnstableOffset, 0n);
    assert.ok(recovered.hasOngoingTransaction(1n, 0));
    assert.ok(!recovered.hasOngoingTransaction(2n, 0) && !recovered.hasOngoingTransaction(3n, 0));
    await again.close();
  });

  it('truncating below a marker opens its transaction again and drops its index entry', async () => {
    await withLog({}, async (log) => {
      await log.append(txn(1n, 0, 0, ['a'])); // 0
      await writeMarker(log, 1n, 0, ControlRecordType.Abort); // 1
      replicated(log);
      assert.equal(log.firstUnstableOffset, undefined);
      assert.equal((await log.collectAbortedTransactions(0n, 2n)).length, 1);
      await log.truncateTo(1n);
      assert.equal(log.firstUnstableOffset, 0n);
      assert.deepEqual(await log.collectAbortedTransactions(0n, 2n), []);
    });
  });

  it('the cleaner removes aborted data, keeps its marker with its index entry, and leaves data of an open transaction alone', async () => {
    const COMPACT = { cleanupPolicy: { delete: false, compact: true }, segmentBytes: 400, minCleanableDirtyRatio: 0.01 };
    await withLog(COMPACT, async (log, { manager, dir }) => {
      await log.append(txn(2n, 0, 0, ['aborted'], 'k')); // 0
      await log.append(txn(2n, 0, 1, ['aborted-2'], 'k')); // 1
      await writeMarker(log, 2n, 0, ControlRecordType.Abort); // 2
      await log.append(txn(1n, 0, 0, ['undecided'], 'u')); // 3: stays open
      for (let i = 0; i < 12; i++) await log.append(encodeUncompressedRecordBatch({ records: [{ key: Buffer.from('u'), value: Buffer.from(`newer-${i}-${'z'.repeat(40)}`), timestamp: TS }] }));
      await log.flush();
      replicated(log);
      const env = (manager as unknown as { env: ConstructorParameters<typeof LogCleaner>[0]['env'] }).env;
      const cleaner = new LogCleaner({ env, dataDir: dir, logs: () => manager.allLogs() });
      await cleaner.cleanLogNow(log);
      const values = (await decodeChunks((await log.read(0n, 1 << 20)).chunks)).map((r) => r.value);
      assert.ok(!values.includes('aborted') && !values.includes('aborted-2'), 'aborted data is gone');
      assert.ok(values.includes('undecided'), 'the open transaction bounds cleaning: its key is not deduplicated yet');
      assert.deepEqual(await log.collectAbortedTransactions(0n, 3n), [{ producerId: 2n, firstOffset: 0n, lastOffset: 2n, lastStableOffset: 3n }], 'the kept marker keeps its entry');
      await cleaner.stop();
    });
  });
});
