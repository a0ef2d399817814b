/**
 * A leader append may take its records as a promise (a transactional batch waiting for the
 * coordinator's KIP-890 verification) and keeps its place in the partition's order while it waits.
 * When that promise fails while an earlier append is still pending, or when the append is refused
 * before it is awaited, the failure belongs to that produce alone: it must not surface as an
 * unhandled rejection, which crashes a `samsa broker` process (found by bench/java/eos-trial.sh: a
 * leader killed its own process with "Unable to verify the partition has been added to the
 * transaction (19)" while a coordinator moved). Likewise records still being recompressed that a
 * failed verification drops unawaited.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type LeaderAndIsr, Partition } from '../../../src/broker/partitions/partition.js';
import { PartitionError } from '../../../src/broker/partitions/partition-error.js';
import { ManualClock } from '../../../src/common/clock.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/log/log-config.js';
import { LogManager } from '../../../src/log/log-manager.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { encodeUncompressedRecordBatch } from '../../../src/protocol/records/index.js';
import { MemoryDisk } from '../../../src/storage/memory-disk.js';
import { verifiedRecords } from '../../../src/broker/partitions/txn-verification.js';

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const OPTS = { requiredAcks: 1, minInsyncReplicas: 1 };

async function leader(state: Partial<LeaderAndIsr> = {}): Promise<Partition> {
  const clock = new ManualClock(1000);
  const logs = await LogManager.open({ dataDir: '/data', defaults: DEFAULT_LOG_CONFIG, disk: new MemoryDisk(), clock, cleaner: false });
  const log = await logs.createLog('t', 0);
  return new Partition('t', 0, TOPIC_ID, 1, log, { leader: 1, leaderEpoch: 0, replicas: [1], isr: [1], partitionEpoch: 0, ...state }, { partitionChanged: () => undefined }, clock.now());
}

const batch = (value: string) => encodeUncompressedRecordBatch({ records: [{ value: Buffer.from(value), timestamp: 1n }] });
const unverified = () => new PartitionError(ErrorCode.NOT_ENOUGH_REPLICAS, 'Unable to verify the partition has been added to the transaction (19)');
/** Lets every pending callback run, including Node's unhandled-rejection check. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('a leader append whose records are a promise', () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => void unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', record);
  });
  afterEach(() => {
    process.off('unhandledRejection', record);
  });

  it('fails alone, without an unhandled rejection, when its records fail while an earlier append is pending', async () => {
    const p = await leader();
    let release!: (b: Buffer) => void;
    const first = p.appendAsLeader(new Promise<Buffer>((resolve) => (release = resolve)), OPTS);
    const second = p.appendAsLeader(Promise.reject(unverified()), OPTS);
    const secondOutcome = second.then(
      () => 'appended',
      (err: unknown) => (err instanceof PartitionError ? err.errorCode : err),
    );
    await settle();
    assert.deepEqual(unhandled, [], 'the failed verification is the produce\'s answer, not an unhandled rejection');
    release(batch('a'));
    assert.equal((await first).baseOffset, 0n);
    assert.equal(await secondOutcome, ErrorCode.NOT_ENOUGH_REPLICAS);
    const third = await p.appendAsLeader(batch('b'), OPTS);
    assert.equal(third.baseOffset, 1n, 'the order goes on after the failed one');
  });

  it('is refused without an unhandled rejection when its records fail after the refusal', async () => {
    const p = await leader({ leader: 2 });
    let fail!: (err: Error) => void;
    const refused = p.appendAsLeader(new Promise<Buffer>((_, reject) => (fail = reject)), OPTS);
    await assert.rejects(refused, (err: unknown) => err instanceof PartitionError && err.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER);
    fail(unverified());
    await settle();
    assert.deepEqual(unhandled, []);
  });
});

describe('a transactional batch whose verification fails', () => {
  it('drops its records still being prepared without an unhandled rejection when they fail too', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const p = await leader();
      const verifier = { verify: () => Promise.resolve(ErrorCode.NOT_ENOUGH_REPLICAS) };
      let fail!: (err: Error) => void;
      const recompressing = new Promise<Buffer>((_, reject) => (fail = reject));
      const producer = { producerId: 7n, producerEpoch: 0, isTransactional: true };
      const { records, verification } = verifiedRecords(verifier, p, recompressing, producer, 'tx', 9);
      const appended = p.appendAsLeader(records, { ...OPTS, verification });
      await assert.rejects(appended, (err: unknown) => err instanceof PartitionError && err.errorCode === ErrorCode.NOT_ENOUGH_REPLICAS);
      fail(new Error('corrupt compressed records'));
      await settle();
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
