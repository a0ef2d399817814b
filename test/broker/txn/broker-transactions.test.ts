/**
 * The broker's transaction coordinator follows the leadership of __transaction_state (what the
 * metadata publisher reports): at start it loads the partitions this broker leads, at the
 * partition's leader epoch as coordinator epoch; a partition it loses stops being served (its ids
 * answer NOT_COORDINATOR) and one it gains is loaded from the log, a prepared commit in it
 * completed with markers. Partitions are in-memory logs behind a fake ReplicaManager.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { ManualClock } from '../../../src/common/clock.js';
import { TRANSACTION_STATE_TOPIC } from '../../../src/common/topic-name.js';
import type { ReplicaManager } from '../../../src/broker/partitions/replica-manager.js';
import { BrokerTransactions } from '../../../src/broker/txn/broker-transactions.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { iterateBatches } from '../../../src/protocol/records/index.js';
import { txnConfig } from '../../../src/txn/index.js';
import { imageOf } from '../../helpers/metadata-image.js';

/** One partition of __transaction_state: its batches in memory, its leadership settable. */
class FakePartition {
  readonly batches: Buffer[] = [];
  isLeader = false;
  leaderEpoch = 0;
  readonly logStartOffset = 0n;
  get logEndOffset(): bigint {
    return BigInt(this.batches.length);
  }
  readonly log = {
    read: async (offset: bigint) => ({ chunks: this.batches.slice(Number(offset)) }),
  };
  append(batch: Buffer): void {
    // Each batch takes one offset, as the coordinator writes one record per batch.
    const copy = Buffer.from(batch);
    for (const span of iterateBatches(copy)) copy.writeBigInt64BE(BigInt(this.batches.length), span.position);
    this.batches.push(copy);
  }
}

function setup(nodeId: number, partitions: FakePartition[], sent: string[]) {
  const replicaManager = {
    getPartition: (topic: string, p: number) => (topic === TRANSACTION_STATE_TOPIC ? partitions[p] : undefined),
    appendInternal: async (topic: string, p: number, batch: Buffer) => {
      assert.equal(topic, TRANSACTION_STATE_TOPIC, 'markers go to the other node (interBroker)');
      partitions[p]!.append(batch);
    },
  } as unknown as ReplicaManager;
  const image = imageOf({ brokers: [{ id: 1 }, { id: 2 }], topics: [{ name: TRANSACTION_STATE_TOPIC, partitions: 2, leader: nodeId }, { name: 'data', partitions: 1, leader: 3 - nodeId }] });
  let next = 100n;
  return new BrokerTransactions({
    nodeId,
    config: txnConfig({ 'transaction.state.log.num.partitions': 2 }),
    clock: new ManualClock(1_000_000),
    log: pino({ level: 'silent' }),
    image,
    createTopic: async () => undefined,
    replicaManager,
    groups: () => undefined,
    generateProducerId: async () => next++,
    interBroker: {
      writeTxnMarkers: async (node, markers) => {
        sent.push(...markers.map((m) => `${node}:${m.committed ? 'commit' : 'abort'}:${m.producerEpoch}`));
        return markers.map((m) => new Map(m.partitions.map((p) => [`${p.topic}-${p.partition}`, ErrorCode.NONE])));
      },
      verifyPartition: async () => ErrorCode.NONE,
    },
  });
}

const settle = () => new Promise((r) => setImmediate(r));

describe('broker transactions follow the leadership of __transaction_state', () => {
  it('loads led partitions at start, drops one it loses, and loads (and completes) one it gains', async () => {
    const partitions = [new FakePartition(), new FakePartition()];
    partitions[0]!.isLeader = true;
    const sentA: string[] = [];
    const a = setup(1, partitions, sentA);
    await a.start();
    const c = a.coordinator;
    const id = ['x', 'y', 'z', 'w'].find((s) => c.partitionFor(s) === 0)!;
    const other = ['x', 'y', 'z', 'w'].find((s) => c.partitionFor(s) === 1)!;
    assert.equal(await a.servesOnceLoaded(id), true);
    assert.equal(await a.servesOnceLoaded(other), false, 'partition 1 is not led here');
    const { producerId, producerEpoch, errorCode } = await c.initProducerId({ transactionalId: id, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    assert.equal(errorCode, ErrorCode.NONE);
    const ident = { transactionalId: id, producerId, producerEpoch };
    assert.equal(await c.addPartitions(ident, [{ topic: 'data', partition: 0 }]), ErrorCode.NONE);

    // Leadership of partition 0 moves away: its ids are not served here any more.
    partitions[0]!.isLeader = false;
    a.onLeadershipChange(0, false);
    assert.equal(await c.endTxn({ ...ident, committed: true }), ErrorCode.NOT_COORDINATOR);
    a.close();

    // Another broker gains it at a new leader epoch, loads the open transaction, and serves it.
    partitions[0]!.isLeader = true;
    partitions[0]!.leaderEpoch = 1;
    const sentB: string[] = [];
    const b = setup(2, partitions, sentB);
    b.onLeadershipChange(0, true);
    assert.equal(await b.servesOnceLoaded(id), true);
    assert.equal(b.coordinator.describeTransactions([id])[0]!.transactionState, 'Ongoing');
    assert.equal(await b.coordinator.endTxn({ ...ident, committed: true }), ErrorCode.NONE);
    for (let i = 0; i < 10 && b.coordinator.describeTransactions([id])[0]!.transactionState !== 'CompleteCommit'; i++) await settle();
    assert.equal(b.coordinator.describeTransactions([id])[0]!.transactionState, 'CompleteCommit');
    assert.deepEqual(sentB, ['1:commit:0'], 'the marker went to the data partition leader, node 1, over the network');
    b.close();
  });
});
