/**
 * Bad group requests on the wire, sent beside a live kafkajs group: invalid group ids and session
 * timeouts, oversized protocol and commit metadata, unknown members, wrong generations and a
 * malformed JoinGroup each get Kafka's answer (or a closed connection), and the live group keeps
 * its generation, members and assignment and goes on consuming.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { HeartbeatApi } from '../../src/protocol/messages/12-heartbeat.js';
import { JoinGroupApi } from '../../src/protocol/messages/11-join-group.js';
import { OffsetCommitApi } from '../../src/protocol/messages/08-offset-commit.js';
import { SyncGroupApi } from '../../src/protocol/messages/14-sync-group.js';
import { RawClient } from '../helpers/raw-client.js';
import { testBroker } from '../helpers/test-broker.js';
import { GROUP_TEST_CONFIG, startConsumer, waitFor } from '../group/kafkajs-helpers.js';
import { subscription } from '../group/helpers.js';

describe('bad group requests beside a live group', { timeout: 60_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let kafka: Kafka;
  before(async () => {
    broker = await testBroker({ config: GROUP_TEST_CONFIG });
    kafka = new Kafka({ clientId: 'bad-group-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });
  after(() => broker.stop());

  it("answers each with Kafka's error code and leaves the live group as it was", async () => {
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    await admin.createTopics({ topics: [{ topic: 'live', numPartitions: 2 }] });
    const live = await startConsumer(kafka, 'live', 'live');
    const raw = await RawClient.connect(broker.port);
    try {
      await waitFor('the live group to be Stable', async () => (await admin.describeGroups(['live'])).groups[0]!.state === 'Stable');
      const before = (await admin.describeGroups(['live'])).groups[0]!;
      const memberId = before.members[0]!.memberId;

      const join = (over: object) =>
        raw.send(JoinGroupApi, 5, { groupId: 'live', sessionTimeoutMs: 6000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'RoundRobinAssigner', metadata: subscription(['live']) }], ...over });
      assert.equal((await join({ groupId: '' })).errorCode, ErrorCode.INVALID_GROUP_ID);
      assert.equal((await join({ sessionTimeoutMs: 1 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
      assert.equal((await join({ memberId: 'ghost' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
      const range = [{ name: 'range', metadata: subscription(['live']) }];
      assert.equal((await join({ protocols: range })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'the live group speaks kafkajs\'s assignor only');
      const oversized = [{ name: 'range', metadata: Buffer.alloc(1024 * 1024 + 1) }];
      assert.equal((await join({ groupId: 'other', protocols: oversized })).errorCode, ErrorCode.INVALID_REQUEST);

      const heartbeat = (over: object) => raw.send(HeartbeatApi, 3, { groupId: 'live', generationId: 1_000_000, memberId, groupInstanceId: null, ...over });
      assert.equal((await heartbeat({})).errorCode, ErrorCode.ILLEGAL_GENERATION);
      assert.equal((await heartbeat({ memberId: 'ghost' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
      assert.equal((await heartbeat({ groupId: '' })).errorCode, ErrorCode.INVALID_GROUP_ID);
      const sync = await raw.send(SyncGroupApi, 3, { groupId: 'live', generationId: 1, memberId: 'ghost', groupInstanceId: null, assignments: [] });
      assert.equal(sync.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);

      const commit = (groupId: string, generation: number, member: string, metadata: string) =>
        raw.send(OffsetCommitApi, 7, { groupId, generationIdOrMemberEpoch: generation, memberId: member, groupInstanceId: null, topics: [{ name: 'live', partitions: [{ partitionIndex: 0, committedOffset: 0n, committedMetadata: metadata }] }] });
      const errorOf = async (r: ReturnType<typeof commit>) => (await r).topics[0]!.partitions[0]!.errorCode;
      const offsetsBefore = await admin.fetchOffsets({ groupId: 'live', topics: ['live'] });
      assert.equal(await errorOf(commit('live', 1_000_000, memberId, '')), ErrorCode.ILLEGAL_GENERATION);
      assert.equal(await errorOf(commit('live', -1, '', '')), ErrorCode.UNKNOWN_MEMBER_ID, 'a standalone commit into a group with members');
      assert.equal(await errorOf(commit('solo', -1, '', 'x'.repeat(5000))), ErrorCode.OFFSET_METADATA_TOO_LARGE);
      assert.deepEqual(await admin.fetchOffsets({ groupId: 'live', topics: ['live'] }), offsetsBefore, 'refused commits changed no offset');
      assert.deepEqual(await admin.fetchOffsets({ groupId: 'solo', topics: ['live'] }), [{ topic: 'live', partitions: [{ partition: 0, offset: '-1', metadata: null }, { partition: 1, offset: '-1', metadata: null }] }]);

      // A JoinGroup cut short: the broker closes that connection only.
      const bad = await RawClient.connect(broker.port);
      const frame = Buffer.alloc(4 + 14);
      frame.writeInt32BE(14, 0);
      frame.writeInt16BE(11, 4); // JoinGroup
      frame.writeInt16BE(5, 6);
      frame.writeInt32BE(99, 8);
      frame.writeInt16BE(-1, 12); // null client id, then a group id that claims 200 bytes
      frame.writeInt16BE(200, 14);
      bad.write(frame);
      await bad.closed;

      const after = (await admin.describeGroups(['live'])).groups[0]!;
      assert.equal(after.state, 'Stable');
      assert.deepEqual(after.members.map((m) => [m.memberId, m.memberAssignment]), before.members.map((m) => [m.memberId, m.memberAssignment]));
      await producer.send({ topic: 'live', messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
      await waitFor('the live group to consume all 50', () => live.got.values.length >= 50);
    } finally {
      raw.close();
      await live.consumer.disconnect();
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
