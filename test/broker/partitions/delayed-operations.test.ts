/**
 * The partition layer's purgatories, through real clients against in-memory brokers:
 * - an acks=all produce waits until the high watermark covers it, i.e. until every in-sync
 *   replica has it (a second in-sync replica is simulated by setting the partition's leadership
 *   and reporting its fetch position), and answers REQUEST_TIMED_OUT, NOT_LEADER_OR_FOLLOWER (the
 *   leadership moved, or the partition left this broker) or NOT_ENOUGH_REPLICAS_AFTER_APPEND when
 *   that does not happen;
 * - a long-poll fetch is woken by any writer, here the group coordinator appending a commit to
 *   __consumer_offsets for a commit, not only by a produce request.
 * The brokers run on a manual clock that never moves unless a test moves it, so nothing here
 * completes by a timer: a wait ends only because something woke it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import type { BrokerContext } from '../../../src/broker/broker-context.js';
import { type RunningBroker, startBroker } from '../../../src/broker/broker.js';
import type { Partition } from '../../../src/broker/partitions/partition.js';
import { ManualClock } from '../../../src/common/clock.js';
import { partitionForGroup } from '../../../src/group/partition-for.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { FetchApi, OffsetCommitApi, ProduceApi } from '../../../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch } from '../../../src/protocol/records/record-batch.js';
import { awaitGroupCoordinator } from '../../helpers/group-coordinator.js';
import { RawClient } from '../../helpers/raw-client.js';

const internals = (b: RunningBroker) => b as unknown as BrokerContext;

/** Waits (bounded) until `cond` holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await sleep(10);
  assert.ok(cond(), `timed out waiting until ${what}`);
}

function produce(client: RawClient, topic: string, opts: { acks?: number; timeoutMs?: number } = {}) {
  const records = encodeUncompressedRecordBatch({ records: [{ value: Buffer.from('v'), timestamp: BigInt(Date.now()) }] });
  return client
    .send(ProduceApi, 9, { transactionalId: null, acks: opts.acks ?? -1, timeoutMs: opts.timeoutMs ?? 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] })
    .then((r) => r.responses[0]!.partitionResponses[0]!);
}

describe('purgatories of the partition layer', { timeout: 60_000 }, () => {
  const clock = new ManualClock(Date.now());
  let broker: RunningBroker;
  let kafka: Kafka;
  let raw: RawClient;

  before(async () => {
    broker = await startBroker({ host: '127.0.0.1', port: 0, storage: 'memory', clock, logLevel: process.env['SAMSA_TEST_LOG'] ?? 'silent', config: { 'offsets.topic.num.partitions': 4 } });
    kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'purgatory-test', logLevel: logLevel.NOTHING });
    raw = await RawClient.connect(broker.port);
  });
  after(async () => {
    raw.close();
    await broker.close();
  });

  async function topicWithFollower(topic: string, config: Record<string, string> = {}): Promise<Partition> {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }] });
    await admin.disconnect();
    const p = internals(broker).replicaManager.getPartition(topic, 0)!;
    p.updateLeadership({ leader: broker.nodeId, leaderEpoch: 0, replicas: [broker.nodeId, 2], isr: [broker.nodeId, 2] });
    return p;
  }

  it('answers an acks=all produce (kafkajs) once every in-sync replica has it', async () => {
    const p = await topicWithFollower('wait-for-follower');
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    let answered = false;
    const sent = producer.send({ topic: 'wait-for-follower', acks: -1, timeout: 30_000, messages: [{ value: 'one' }] }).then((r) => {
      answered = true;
      return r;
    });
    await until(() => p.log.acknowledgedEnd === 1n, 'the leader has the record');
    await sleep(50);
    assert.equal(answered, false, 'not answered while the follower lacks the record');
    assert.equal(p.highWatermark, 0n);
    const admin = kafka.admin();
    await admin.connect();
    assert.deepEqual(
      (await admin.fetchTopicOffsets('wait-for-follower')).map((o) => o.high),
      ['0'],
      'consumers do not see it yet',
    );
    p.updateFollowerFetchState(2, 1n);
    const [result] = await sent;
    assert.equal(result!.errorCode, 0);
    assert.equal(result!.baseOffset, '0');
    assert.equal(p.highWatermark, 1n);
    assert.deepEqual(
      (await admin.fetchTopicOffsets('wait-for-follower')).map((o) => o.high),
      ['1'],
    );
    await admin.disconnect();
    await producer.disconnect();
  });

  it('answers acks=1 from the leader alone', async () => {
    const p = await topicWithFollower('leader-only');
    const r = await produce(raw, 'leader-only', { acks: 1 });
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(p.highWatermark, 0n, 'the follower still lacks it');
  });

  it('answers REQUEST_TIMED_OUT when the followers do not catch up within the timeout', async () => {
    await topicWithFollower('times-out');
    const answer = produce(raw, 'times-out', { timeoutMs: 5000 });
    await sleep(50);
    clock.advance(5000);
    assert.equal((await answer).errorCode, ErrorCode.REQUEST_TIMED_OUT);
  });

  it('answers NOT_LEADER_OR_FOLLOWER when leadership moves away while the produce waits', async () => {
    const p = await topicWithFollower('leader-moves');
    const answer = produce(raw, 'leader-moves');
    await until(() => p.log.acknowledgedEnd === 1n, 'the leader has the record');
    p.updateLeadership({ leader: 2, leaderEpoch: 1, replicas: [broker.nodeId, 2], isr: [2] });
    assert.equal((await answer).errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('answers NOT_LEADER_OR_FOLLOWER at once when this broker stops holding the partition while the produce waits (a reassignment moved it away)', async () => {
    const p = await topicWithFollower('leader-removed');
    const answer = produce(raw, 'leader-removed');
    await until(() => p.log.acknowledgedEnd === 1n, 'the leader has the record');
    // What the metadata publisher does when the broker is no longer a replica: the partition's
    // last leadership still names this broker, which must not keep the produce waiting.
    await internals(broker).replicaManager.removePartition('leader-removed', 0);
    const r = await Promise.race([answer, sleep(5000).then(() => undefined)]);
    assert.equal(r?.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'answered, not left waiting for its timeout');
  });

  it('answers NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below min.insync.replicas, NOT_ENOUGH_REPLICAS before', async () => {
    const p = await topicWithFollower('isr-shrinks', { 'min.insync.replicas': '2' });
    const answer = produce(raw, 'isr-shrinks');
    await until(() => p.log.acknowledgedEnd === 1n, 'the leader has the record');
    p.updateLeadership({ leader: broker.nodeId, leaderEpoch: 0, replicas: [broker.nodeId, 2], isr: [broker.nodeId] });
    const r = await answer;
    assert.equal(r.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    assert.equal(r.baseOffset, 0n, 'the record was written');
    const refused = await produce(raw, 'isr-shrinks');
    assert.equal(refused.errorCode, ErrorCode.NOT_ENOUGH_REPLICAS);
    assert.equal(p.log.logEndOffset, 1n, 'nothing appended');
  });

  it('wakes a long-poll fetch when the group coordinator appends, not only on produce', async () => {
    const group = 'woken-by-a-commit';
    const topic = '__consumer_offsets';
    await awaitGroupCoordinator(raw, group);
    const partition = partitionForGroup(group, 4);
    const offsets = internals(broker).replicaManager.getPartition(topic, partition)!;
    const fetchOffset = offsets.highWatermark;
    const fetched = raw.send(FetchApi, 12, {
      replicaId: -1,
      maxWaitMs: 60_000,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'committed', numPartitions: 1 }] });
    await admin.disconnect();
    await sleep(50);
    assert.equal(internals(broker).replicaManager.fetchPurgatory.size, 1, 'the fetch waits');
    // A commit from outside the group (generation -1), as admin tools make: the coordinator appends it.
    const committer = await RawClient.connect(broker.port);
    const commit = await committer.send(OffsetCommitApi, 8, {
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: 'committed', partitions: [{ partitionIndex: 0, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    committer.close();
    assert.equal(commit.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    const r = await Promise.race([fetched, sleep(20_000).then(() => assert.fail('the fetch was not woken by the commit'))]);
    const data = r.responses[0]!.partitions[0]!;
    assert.equal(data.errorCode, ErrorCode.NONE);
    assert.ok(data.records && data.records.length > 0, 'the commit record is returned');
    assert.ok(data.highWatermark > fetchOffset);
  });
});
