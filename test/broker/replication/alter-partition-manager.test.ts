/**
 * The AlterPartition manager batches ISR changes: the changes proposed together (one ISR check
 * over many partitions) go in one request, grouped by topic id; those proposed while it is in
 * flight go in the next; each partition's answer settles its own pending change. A change whose
 * answer never came stays pending (the high watermark keeps waiting for the proposed member) and
 * is sent again until the controller answers, since the controller may have made it; only an
 * answer that it was not made forgets it. The partition simulation found the case where
 * forgetting it lost records below a high watermark (docs/cluster.md).
 */
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import pino from 'pino';
import { AlterPartitionManager, type IsrChangeTarget } from '../../../src/broker/replication/alter-partition-manager.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { ManualClock } from '../../../src/common/clock.js';
import { type LeaderAndIsr, Partition } from '../../../src/broker/partitions/partition.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/log/log-config.js';
import { LogManager } from '../../../src/log/log-manager.js';
import { encodeUncompressedRecordBatch } from '../../../src/protocol/records/index.js';
import { MemoryDisk } from '../../../src/storage/memory-disk.js';
import type { ApiDescriptor } from '../../../src/protocol/api-descriptor.js';

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
    const clock = new ManualClock();
    const sent: Sent[] = [];
    const answers: ((res: unknown) => void)[] = [];
    const manager = new AlterPartitionManager({
      brokerId: 1,
      brokerEpoch: () => 42n,
      timeoutMs: 1000,
      logger: pino({ level: 'silent' }),
      clock,
      retryBackoffMs: 50,
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
    assert.deepEqual(a1.pending, [1, 3], 'the partition moved on (perhaps by this change): pending until the metadata brings its state');
    assert.equal(b0.pending, undefined, 'already so (same partition epoch): nothing will come');
    assert.equal(sent.length, 2, 'the change proposed meanwhile went next');
    assert.deepEqual(sent[1]!.topics.map((t) => t.topicId), ['CCCC']);
    answers[1]!({ errorCode: ErrorCode.NOT_CONTROLLER, topics: [] });
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(c0.pending, [1, 2], 'no verdict: still pending');
    assert.equal(sent.length, 2, 'not before the backoff');
    clock.advance(50);
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(sent.length, 3, 'sent again');
    assert.deepEqual(sent[2]!.topics.map((t) => t.topicId), ['CCCC']);
    answers[2]!({ errorCode: ErrorCode.NONE, topics: [{ topicId: 'CCCC', partitions: [{ ...ok(0, -1), errorCode: ErrorCode.INELIGIBLE_REPLICA }] }] });
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(c0.pending, undefined, 'refused: forgotten');
  });
});

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

/** What the channel is asked to send, and how each send ends (an answer code, or no answer). */
class ScriptedChannel {
  readonly sent: { newIsr: number[]; partitionEpoch: number }[] = [];
  constructor(private readonly outcomes: (number | 'no answer')[]) {}

  send<Req, ReqIn, Res, ResIn>(_api: ApiDescriptor<Req, ReqIn, Res, ResIn>, body: ReqIn): Promise<Res> {
    const p = (body as { topics: { partitions: { newIsr: number[]; partitionEpoch: number }[] }[] }).topics[0]!.partitions[0]!;
    this.sent.push({ newIsr: p.newIsr, partitionEpoch: p.partitionEpoch });
    const outcome = this.outcomes.shift() ?? 'no answer';
    if (outcome === 'no answer') return Promise.reject(new Error('request timed out'));
    const res = { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics: [{ topicId: TOPIC_ID, partitions: [{ partitionIndex: 0, errorCode: outcome, leaderId: 1, leaderEpoch: 0, isr: [], leaderRecoveryState: 0, partitionEpoch: -1 }] }] };
    return Promise.resolve(res as Res);
  }
}

async function setUp(outcomes: (number | 'no answer')[]) {
  const clock = new ManualClock(1000);
  const logs = await LogManager.open({ dataDir: '/data', defaults: DEFAULT_LOG_CONFIG, disk: new MemoryDisk(), clock, cleaner: false });
  const log = await logs.createLog('t', 0);
  const state: LeaderAndIsr = { leader: 1, leaderEpoch: 0, replicas: [1, 2], isr: [1], partitionEpoch: 3 };
  const p = new Partition('t', 0, TOPIC_ID, 1, log, state, { partitionChanged: () => undefined }, clock.now());
  const channel = new ScriptedChannel(outcomes);
  const manager = new AlterPartitionManager({ brokerId: 1, brokerEpoch: () => 5n, channel, timeoutMs: 100, logger: pino({ level: 'silent' }), clock, retryBackoffMs: 50 });
  const append = (n: number) => p.appendAsLeader(encodeUncompressedRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${i}`), timestamp: 1n })) }), { requiredAcks: 1, minInsyncReplicas: 1 });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { clock, logs, p, channel, manager, append, settle };
}

test('an ISR expansion left unanswered stays pending, holds the high watermark, and is sent again', async () => {
  const { clock, logs, p, channel, manager, append, settle } = await setUp(['no answer', 'no answer']);
  await append(2);
  // Follower 2 caught up: the leader proposes it for the ISR.
  p.updateFollowerFetchState(2, 2n, clock.now());
  const isr = p.isrToExpand(2);
  assert.deepEqual(isr, [1, 2]);
  manager.submit(p, isr!);
  await settle();
  assert.deepEqual(p.pendingIsrChange, [1, 2], 'the change the controller may have made is still pending');
  // More records; the follower has not fetched them: the high watermark must wait for it.
  await append(3);
  assert.equal(p.highWatermark, 2n, 'the high watermark does not pass a member the controller may have added');
  clock.advance(50);
  await settle();
  assert.equal(channel.sent.length, 2, 'the same change is sent again');
  assert.deepEqual(channel.sent[1], { newIsr: [1, 2], partitionEpoch: 3 });
  // The metadata brings the change: it is no longer pending, and nothing is sent any more.
  p.updateLeadership({ leader: 1, leaderEpoch: 0, replicas: [1, 2], isr: [1, 2], partitionEpoch: 4 }, clock.now());
  assert.equal(p.pendingIsrChange, undefined);
  clock.advance(500);
  await settle();
  assert.equal(channel.sent.length, 2);
  assert.equal(p.highWatermark, 2n);
  p.updateFollowerFetchState(2, 5n, clock.now());
  assert.equal(p.highWatermark, 5n);
  manager.close();
  await logs.close();
});

test('an answer that the partition moved on keeps the change pending until the metadata comes; a refusal forgets it', async () => {
  const moved = await setUp([ErrorCode.INVALID_UPDATE_VERSION]);
  await moved.append(1);
  moved.p.updateFollowerFetchState(2, 1n, moved.clock.now());
  moved.manager.submit(moved.p, [1, 2]);
  await moved.settle();
  assert.deepEqual(moved.p.pendingIsrChange, [1, 2]);
  moved.clock.advance(500);
  await moved.settle();
  assert.equal(moved.channel.sent.length, 1, 'not sent again: the metadata will say what happened');
  await moved.logs.close();

  const refused = await setUp([ErrorCode.INELIGIBLE_REPLICA]);
  await refused.append(1);
  refused.manager.submit(refused.p, [1, 2]);
  await refused.settle();
  assert.equal(refused.p.pendingIsrChange, undefined, 'the controller said it did not make the change');
  await refused.logs.close();
});
