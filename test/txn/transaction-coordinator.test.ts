/**
 * The transaction coordinator on a manual clock, an in-memory __transaction_state and a marker
 * sender the test controls: producer ids and epochs (fencing, KIP-360 retries), the state machine
 * (Ongoing, PrepareCommit/Abort, Complete*), CONCURRENT_TRANSACTIONS while markers are out, the
 * abort of an open transaction by a new producer and by its timeout (with the epoch bumped),
 * expiry of idle ids, verification, list/describe, the records in Kafka's format, and a reload
 * that resumes a prepared transaction.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Logger, pino } from 'pino';
import { ManualClock } from '../../src/common/clock.js';
import { MemoryOffsetsStore } from '../../src/group/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { decodeRecordBatch } from '../../src/protocol/records/index.js';
import { TransactionCoordinator, type TxnConfig, type TxnMarker, TxnState, decodeTxnRecord, partitionKey, txnConfig } from '../../src/txn/index.js';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A marker sender that records what it was asked and answers NONE, or holds answers until released. */
class Markers {
  readonly sent: TxnMarker[] = [];
  private held: (() => void)[] | undefined;
  failWith: number | undefined;
  /** Thrown by send (a leader that cannot be reached), when set. */
  throwWith: Error | undefined;

  hold(): void {
    this.held = [];
  }

  release(): void {
    const h = this.held ?? [];
    this.held = undefined;
    for (const r of h) r();
  }

  async send(markers: readonly TxnMarker[]): Promise<Map<string, number>[]> {
    this.sent.push(...markers);
    if (this.throwWith) throw this.throwWith;
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    const code = this.failWith ?? ErrorCode.NONE;
    return markers.map((m) => new Map(m.partitions.map((p) => [partitionKey(p.topic, p.partition), code])));
  }
}

async function open(opts: { clock?: ManualClock; store?: MemoryOffsetsStore; markers?: Markers; config?: Partial<TxnConfig>; logger?: Logger } = {}) {
  const clock = opts.clock ?? new ManualClock(1_000_000);
  const store = opts.store ?? new MemoryOffsetsStore();
  const markers = opts.markers ?? new Markers();
  let next = 1000n;
  const config = txnConfig({ 'transaction.state.log.num.partitions': 3, ...opts.config });
  const c = new TransactionCoordinator({ clock, logger: opts.logger ?? pino({ level: 'silent' }), store, config, generateProducerId: async () => next++, markers, retryBackoffMs: 100 });
  for (let p = 0; p < 3; p++) await c.onElection(p, 0);
  return { c, clock, store, markers };
}

const T = { topic: 't', partition: 0 };

describe('transaction coordinator', () => {
  it('gives a new id a producer id at epoch 0 and bumps the epoch on every InitProducerId, fencing the previous producer', async () => {
    const { c } = await open();
    const first = await c.initProducerId({ transactionalId: 'a', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    assert.deepEqual(first, { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 0 });
    const second = await c.initProducerId({ transactionalId: 'a', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    assert.deepEqual(second, { errorCode: ErrorCode.NONE, producerId: 1000n, producerEpoch: 1 });
    const id = { transactionalId: 'a', producerId: 1000n };
    assert.equal(await c.addPartitions({ ...id, producerEpoch: 0 }, [T]), ErrorCode.PRODUCER_FENCED, 'the first producer is fenced');
    assert.equal(await c.addPartitions({ ...id, producerId: 9n, producerEpoch: 1 }, [T]), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    assert.equal(await c.addPartitions({ transactionalId: 'unknown', producerId: 1000n, producerEpoch: 1 }, [T]), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    // KIP-360: the producer at epoch 1 retries with its id and epoch and gets 2; a retry of that call (epoch 1 again) gets 2 without a bump.
    assert.equal((await c.initProducerId({ transactionalId: 'a', transactionTimeoutMs: 60000, producerId: 1000n, producerEpoch: 1 })).producerEpoch, 2);
    assert.equal((await c.initProducerId({ transactionalId: 'a', transactionTimeoutMs: 60000, producerId: 1000n, producerEpoch: 1 })).producerEpoch, 2);
    assert.equal((await c.initProducerId({ transactionalId: 'a', transactionTimeoutMs: 60000, producerId: 1000n, producerEpoch: 0 })).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal((await c.initProducerId({ transactionalId: 'a', transactionTimeoutMs: 900001, producerId: -1n, producerEpoch: -1 })).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assert.equal((await c.initProducerId({ transactionalId: '', transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 })).errorCode, ErrorCode.INVALID_REQUEST);
    c.close();
  });

  it('commits: Ongoing, PrepareCommit answered, markers to every partition, then CompleteCommit; CONCURRENT_TRANSACTIONS meanwhile', async () => {
    const { c, markers, clock } = await open();
    const { producerId, producerEpoch } = await c.initProducerId({ transactionalId: 'a', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    const id = { transactionalId: 'a', producerId, producerEpoch };
    assert.equal(await c.addPartitions(id, [T, { topic: 't', partition: 1 }]), ErrorCode.NONE);
    assert.equal(await c.addPartitions(id, [T]), ErrorCode.NONE, 'already in: answered at once');
    assert.deepEqual(c.verifyPartitions(id, [T, { topic: 'u', partition: 0 }]), new Map([[partitionKey('t', 0), ErrorCode.NONE], [partitionKey('u', 0), ErrorCode.TRANSACTION_ABORTABLE]]));
    assert.equal(c.describeTransactions(['a'])[0]!.transactionState, 'Ongoing');
    markers.hold();
    assert.equal(await c.endTxn({ ...id, committed: true }), ErrorCode.NONE, 'answered once PrepareCommit is durable');
    await settle();
    assert.equal(c.describeTransactions(['a'])[0]!.transactionState, 'PrepareCommit');
    const waiting = c.addPartitions(id, [T]);
    await settle();
    clock.advance(500);
    assert.equal(await waiting, ErrorCode.CONCURRENT_TRANSACTIONS, 'AddPartitionsToTxn waits at most 500 ms for the completion');
    assert.equal((await c.initProducerId({ transactionalId: 'a', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 })).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(await c.endTxn({ ...id, committed: true }), ErrorCode.CONCURRENT_TRANSACTIONS, 'a retried commit waits');
    assert.equal(await c.endTxn({ ...id, committed: false }), ErrorCode.INVALID_TXN_STATE);
    assert.deepEqual(markers.sent.map((m) => [m.result, m.producerEpoch, m.partitions.length]), [['commit', 0, 2]]);
    markers.release();
    await settle();
    assert.equal(c.describeTransactions(['a'])[0]!.transactionState, 'CompleteCommit');
    assert.equal(await c.endTxn({ ...id, committed: true }), ErrorCode.NONE, 'a retry after completion');
    assert.equal(await c.endTxn({ ...id, committed: false }), ErrorCode.INVALID_TXN_STATE);

    // The next transaction's AddPartitionsToTxn, arriving while the markers are out, waits for them and starts it.
    assert.equal(await c.endTxn({ ...id, committed: true }), ErrorCode.NONE);
    markers.hold();
    assert.equal(await c.addPartitions(id, [T]), ErrorCode.NONE);
    assert.equal(await c.endTxn({ ...id, committed: true }), ErrorCode.NONE);
    await settle();
    const next = c.addPartitions(id, [T]);
    await settle();
    assert.equal(c.describeTransactions(['a'])[0]!.transactionState, 'PrepareCommit');
    markers.release();
    assert.equal(await next, ErrorCode.NONE);
    assert.equal(c.describeTransactions(['a'])[0]!.transactionState, 'Ongoing');
    c.close();
  });

  it('retries markers that fail, and completes once they land', async () => {
    const { c, markers, clock } = await open();
    const { producerId, producerEpoch } = await c.initProducerId({ transactionalId: 'a', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    await c.addPartitions({ transactionalId: 'a', producerId, producerEpoch }, [T]);
    markers.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    await c.endTxn({ transactionalId: 'a', producerId, producerEpoch, committed: false });
    await settle();
    clock.advance(100);
    await settle();
    assert.equal(markers.sent.length, 2, 'sent again after the backoff');
    assert.equal(c.describeTransactions(['a'])[0]!.transactionState, 'PrepareAbort');
    markers.failWith = undefined;
    clock.advance(100);
    await settle();
    assert.equal(c.describeTransactions(['a'])[0]!.transactionState, 'CompleteAbort');
    c.close();
  });

  it('logs each retriable marker failure at debug, and warns once when markers are still not written after 30 s', async () => {
    const lines: { level: number; msg: string; code?: number; partitions?: string[] }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const { c, markers, clock } = await open({ logger });
    const { producerId, producerEpoch } = await c.initProducerId({ transactionalId: 'a', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    await c.addPartitions({ transactionalId: 'a', producerId, producerEpoch }, [T]);
    markers.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    await c.endTxn({ transactionalId: 'a', producerId, producerEpoch, committed: true });
    await settle();
    const retried = lines.filter((l) => l.msg.startsWith('writing a transaction marker failed'));
    assert.equal(retried.length, 1);
    assert.equal(retried[0]!.code, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const stuck = () => lines.filter((l) => l.msg.startsWith('transaction markers still not written'));
    // The leader unreachable for a while: each failed send at debug, like a retriable code.
    markers.throwWith = new Error('connection to 127.0.0.1:1 failed: read ECONNRESET');
    for (let i = 0; i < 5; i++) {
      clock.advance(100);
      await settle();
    }
    markers.throwWith = undefined;
    const unreachable = lines.filter((l) => l.msg.startsWith('sending transaction markers failed'));
    assert.equal(unreachable.length, 5);
    assert.ok(unreachable.every((l) => l.level === 20), 'at debug');
    for (let i = 0; i < 294; i++) {
      clock.advance(100);
      await settle();
    }
    assert.equal(stuck().length, 0, 'no warning before 30 s of retries');
    for (let i = 0; i < 20; i++) {
      clock.advance(100);
      await settle();
    }
    assert.equal(stuck().length, 1, 'one warning, not one per round');
    assert.deepEqual(stuck()[0]!.partitions, ['t-0']);
    assert.ok(markers.sent.length > 300, 'still retrying');
    markers.failWith = undefined;
    clock.advance(100);
    await settle();
    assert.equal(c.describeTransactions(['a'])[0]!.transactionState, 'CompleteCommit');
    c.close();
  });

  it('a new producer with the id aborts the open transaction with a bumped epoch, then gets the next one', async () => {
    const { c, markers } = await open();
    const first = await c.initProducerId({ transactionalId: 'a', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    await c.addPartitions({ transactionalId: 'a', producerId: first.producerId, producerEpoch: 0 }, [T]);
    const retry = await c.initProducerId({ transactionalId: 'a', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    assert.equal(retry.errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    await settle();
    assert.deepEqual(markers.sent.map((m) => [m.result, m.producerEpoch]), [['abort', 1]], 'the abort markers fence epoch 0');
    const second = await c.initProducerId({ transactionalId: 'a', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    assert.deepEqual([second.errorCode, second.producerEpoch], [ErrorCode.NONE, 2]);
    assert.equal(await c.endTxn({ transactionalId: 'a', producerId: first.producerId, producerEpoch: 0, committed: true }), ErrorCode.PRODUCER_FENCED);
    c.close();
  });

  it('aborts a transaction open past its timeout, fencing its producer, and removes ids idle past transactional.id.expiration.ms', async () => {
    const { c, markers, clock } = await open({ config: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1000, 'transactional.id.expiration.ms': 60_000, 'transaction.remove.expired.transaction.cleanup.interval.ms': 10_000 } });
    const { producerId, producerEpoch } = await c.initProducerId({ transactionalId: 'slow', transactionTimeoutMs: 5000, producerId: -1n, producerEpoch: -1 });
    await c.addPartitions({ transactionalId: 'slow', producerId, producerEpoch }, [T]);
    clock.advance(4000);
    await settle();
    assert.equal(markers.sent.length, 0, 'not yet past its timeout');
    clock.advance(2000);
    await settle();
    assert.deepEqual(markers.sent.map((m) => [m.transactionalId, m.result, m.producerEpoch]), [['slow', 'abort', 1]]);
    assert.equal(c.describeTransactions(['slow'])[0]!.transactionState, 'CompleteAbort');
    assert.equal(await c.addPartitions({ transactionalId: 'slow', producerId, producerEpoch }, [T]), ErrorCode.PRODUCER_FENCED, 'the slow producer is fenced');
    clock.advance(70_000);
    await settle();
    assert.equal(c.describeTransactions(['slow'])[0]!.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, 'expired');
    c.close();
  });

  it('keeps its state in __transaction_state in Kafka\'s format, and a reload resumes a prepared transaction', async () => {
    const markers = new Markers();
    const { c, store, clock } = await open({ markers });
    const { producerId, producerEpoch } = await c.initProducerId({ transactionalId: 'a', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    await c.addPartitions({ transactionalId: 'a', producerId, producerEpoch }, [T, { topic: 'u', partition: 3 }]);
    markers.hold();
    await c.endTxn({ transactionalId: 'a', producerId, producerEpoch, committed: true });
    c.close();
    const partition = c.partitionFor('a');
    const batches = store.partitions.get(partition)!;
    const states: number[] = [];
    for (const b of batches) {
      for (const r of (await decodeRecordBatch(b, 0, { maxUncompressedBytes: 1 << 20 })).records) {
        assert.equal(r.key!.readInt16BE(0), 0, 'TransactionLogKey, type 0');
        assert.equal(r.value!.readInt16BE(0), 0, 'TransactionLogValue version 0');
        const rec = decodeTxnRecord(r.key, r.value);
        assert.equal(rec.transactionalId, 'a');
        states.push(rec.value!.state);
      }
    }
    assert.deepEqual(states, [TxnState.Empty, TxnState.Ongoing, TxnState.PrepareCommit]);
    // Another coordinator takes the partition: it finds PrepareCommit and sends the markers itself.
    const again = new Markers();
    const { c: c2 } = await open({ store, markers: again, clock });
    await settle();
    assert.deepEqual(again.sent.map((m) => [m.result, m.partitions.map((p) => `${p.topic}-${p.partition}`).sort()]), [['commit', ['t-0', 'u-3']]]);
    assert.equal(c2.describeTransactions(['a'])[0]!.transactionState, 'CompleteCommit');
    assert.deepEqual(c2.listTransactions([], []).transactions.map((t) => [t.transactionalId, t.transactionState]), [['a', 'CompleteCommit']]);
    assert.deepEqual(c2.listTransactions(['Ongoing', 'Bogus'], []), { unknownStateFilters: ['Bogus'], transactions: [] });
    c2.onResignation(partition);
    assert.equal(c2.describeTransactions(['a'])[0]!.errorCode, ErrorCode.NOT_COORDINATOR, 'the partition moved away');
    markers.release();
    c2.close();
  });
});
