/**
 * The AlterPartition manager batches ISR changes: the changes proposed together (one ISR check
 * over many partitions) go in one request, grouped by topic id; those proposed while it is in
 * flight go in the next; each partition's answer settles its own pending change.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { AlterPartitionManager, type IsrChangeTarget } from '../../../src/broker/replication/alter-partition-manager.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';

interface Sent {
  topics: { topicId: string; partitions: { partitionIndex: number; newIsr: number[]; leaderEpoch: number; partitionEpoch: number }[] }[];
}

function partition(topicId: string, index: number): IsrChangeTarget & { pending: readonly number[] | undefined } {
  const p = {
    key: `${topicId}-${index}`,
    topic: `t-${topicId}`,
    partition: index,
    topicId,
    leaderAndIsr: { leader: 1, leaderEpoch: 3, partitionEpoch: 7, replicas: [1, 2, 3], isr: [1, 2, 3] },
    pending: undefined as readonly number[] | undefined,
    get pendingIsrChange() {
      return p.pending;
    },
    setPendingIsr(isr: readonly number[] | undefined) {
      p.pending = isr;
    },
  };
  return p as unknown as IsrChangeTarget & { pending: readonly number[] | undefined };
}

describe('AlterPartition manager', () => {
  it('sends the changes proposed together in one request, those proposed while it is in flight in the next', async () => {
    const sent: Sent[] = [];
    const answers: ((res: unknown) => void)[] = [];
    const manager = new AlterPartitionManager({
      brokerId: 1,
      brokerEpoch: () => 42n,
      timeoutMs: 1000,
      logger: pino({ level: 'silent' }),
      channel: {
        send: ((_api: unknown, body: Sent) => {
          sent.push(body);
          return new Promise((resolve) => answers.push(resolve));
        }) as never,
      },
    });
    const a0 = partition('AAAA', 0);
    const a1 = partition('AAAA', 1);
    const b0 = partition('BBBB', 0);
    manager.submit(a0, [1, 2]);
    manager.submit(a1, [1, 3]);
    manager.submit(b0, [1, 2]);
    manager.submit(a0, [1]);
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(sent.length, 1, 'one request');
    assert.deepEqual(
      sent[0]!.topics.map((t) => [t.topicId, t.partitions.map((p) => [p.partitionIndex, p.newIsr, p.leaderEpoch, p.partitionEpoch])]),
      [
        ['AAAA', [[0, [1, 2], 3, 7], [1, [1, 3], 3, 7]]],
        ['BBBB', [[0, [1, 2], 3, 7]]],
      ],
      'grouped by topic; a partition with a change pending proposes no other',
    );
    const c0 = partition('CCCC', 0);
    manager.submit(c0, [1, 2]);
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(sent.length, 1, 'nothing more while the first is in flight');
    const ok = (partitionIndex: number, partitionEpoch: number) => ({ partitionIndex, errorCode: ErrorCode.NONE, leaderId: 1, leaderEpoch: 3, isr: [], leaderRecoveryState: 0, partitionEpoch });
    answers[0]!({
      errorCode: ErrorCode.NONE,
      topics: [
        { topicId: 'AAAA', partitions: [ok(0, 8), { ...ok(1, -1), errorCode: ErrorCode.INVALID_UPDATE_VERSION }] },
        { topicId: 'BBBB', partitions: [ok(0, 7)] },
      ],
    });
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(a0.pending, [1, 2], 'written: pending until the metadata brings it');
    assert.equal(a1.pending, undefined, 'refused: forgotten');
    assert.equal(b0.pending, undefined, 'already so (same partition epoch): nothing will come');
    assert.equal(sent.length, 2, 'the change proposed meanwhile went next');
    assert.deepEqual(sent[1]!.topics.map((t) => t.topicId), ['CCCC']);
    answers[1]!({ errorCode: ErrorCode.NOT_CONTROLLER, topics: [] });
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(c0.pending, undefined);
  });
});
