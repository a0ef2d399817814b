/**
 * Requests the handler fuzz (handler-fuzz.test.ts) found the broker mishandling, one case each,
 * sent the way a client could: through kafkajs where it can send the case, else RawClient.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { Kafka, PartitionAssigners, logLevel } from 'kafkajs';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ApiKey, BeginQuorumEpochApi, DescribeQuorumApi, ElectLeadersApi, EndQuorumEpochApi, FindCoordinatorApi, JoinGroupApi, MetadataApi, OffsetCommitApi, OffsetFetchApi } from '../../src/protocol/messages/index.js';
import { eventually } from '../helpers/eventually.js';
import { RawClient } from '../helpers/raw-client.js';
import { startBroker } from '../../src/broker/broker.js';
import { freePort, testBroker } from '../helpers/test-broker.js';

describe('hostile values the handler fuzz found', { timeout: 60_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let kafka: Kafka;
  before(async () => {
    broker = await testBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
    kafka = new Kafka({ clientId: 'hostile-values', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });
  after(() => broker.stop());

  it("deletes a topic of the longest legal name (249 characters) from disk, not only from the metadata", async () => {
    const topic = 'x'.repeat(249);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      await eventually('the partition directories', 5000, async () => (await readdir(broker.dataDir)).filter((n) => n.startsWith(topic)).length === 2);
      await admin.deleteTopics({ topics: [topic] });
      // `<topic>-0.<unique>-delete` was over 255 characters: the rename failed and the directories stayed.
      await eventually('the partition directories to be gone', 5000, async () => (await readdir(broker.dataDir)).every((n) => !n.startsWith('xxxxxxxxxx')));
    } finally {
      await admin.disconnect();
    }
  });

  it('answers a Metadata v10-11 request naming a topic by id with INVALID_REQUEST, as Kafka (ids are v12+)', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'by-id', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const raw = await RawClient.connect(broker.port);
    try {
      const all = await raw.send(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      const topicId = all.topics.find((t) => t.name === 'by-id')!.topicId;
      for (const version of [10, 11]) {
        // The answer at these versions has no null name to give: the broker closed the connection on an encoding error.
        const res = await raw.send(MetadataApi, version, { topics: [{ name: null, topicId }, { name: 'by-id', topicId }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
        assert.deepEqual(res.topics.map((t) => [t.name, t.errorCode]), [['', ErrorCode.INVALID_REQUEST], ['by-id', ErrorCode.INVALID_REQUEST]], `v${version}`);
      }
      const v12 = await raw.send(MetadataApi, 12, { topics: [{ name: null, topicId }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      assert.deepEqual(v12.topics.map((t) => [t.name, t.errorCode]), [['by-id', ErrorCode.NONE]]);
    } finally {
      raw.close();
    }
  });

  it('commits an offset whose retention (OffsetCommit v2-v4) is near int64 max, instead of UNKNOWN_SERVER_ERROR', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const raw = await RawClient.connect(broker.port);
    try {
      await eventually('a group coordinator', 10_000, async () => (await raw.send(FindCoordinatorApi, 2, { key: 'kept', keyType: 0 })).errorCode === ErrorCode.NONE);
      // now + retention overflowed the offset record's int64 expiry: the write threw and the commit answered -1.
      const commit = await raw.send(OffsetCommitApi, 2, { groupId: 'kept', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: (1n << 63n) - 1n, topics: [{ name: 'kept', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: null }] }] });
      assert.equal(commit.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
      const fetched = await raw.send(OffsetFetchApi, 1, { groupId: 'kept', topics: [{ name: 'kept', partitionIndexes: [0] }] });
      assert.equal(fetched.topics[0]!.partitions[0]!.committedOffset, 5n);
    } finally {
      raw.close();
    }
  });

  it('gives whole-request error answers (a forward that timed out, an injected fault) in a form each version can carry', async () => {
    // ElectLeaders v0 has no top-level error code (seen when a forward to the controller timed out
    // in a cluster); JoinGroup before v7 no null protocol name; Metadata before v12 no null topic name.
    // Each failed to encode, and the broker closed the connection instead of answering.
    const raw = await RawClient.connect(broker.port);
    try {
      broker.faults.inject({ apiKey: ApiKey.ElectLeaders, times: 1 }, { errorCode: ErrorCode.REQUEST_TIMED_OUT });
      const elect = await raw.send(ElectLeadersApi, 0, { topicPartitions: [{ topic: 't', partitions: [0] }], timeoutMs: 1000 });
      assert.deepEqual(elect.replicaElectionResults[0]!.partitionResult.map((p) => p.errorCode), [ErrorCode.REQUEST_TIMED_OUT]);
      broker.faults.inject({ apiKey: ApiKey.JoinGroup, times: 1 }, { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS });
      const join = await raw.send(JoinGroupApi, 5, { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [] });
      assert.deepEqual([join.errorCode, join.protocolName], [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, '']);
      broker.faults.inject({ apiKey: ApiKey.Metadata, times: 1 }, { errorCode: ErrorCode.REQUEST_TIMED_OUT });
      const md = await raw.send(MetadataApi, 11, { topics: [{ name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      assert.deepEqual(md.topics.map((t) => [t.name, t.errorCode]), [['', ErrorCode.REQUEST_TIMED_OUT]]);
    } finally {
      broker.faults.clear();
      raw.close();
    }
  });

  it('refuses BeginQuorumEpoch and EndQuorumEpoch from a node that is not a voter, as Kafka, instead of failing its raft client', async () => {
    const port = await freePort();
    const controller = await startBroker({
      storage: 'memory',
      logLevel: 'silent',
      config: { 'process.roles': 'controller', 'controller.quorum.voters': `1@127.0.0.1:${port}`, 'controller.listener.names': 'CONTROLLER', listeners: `CONTROLLER://127.0.0.1:${port}` },
    });
    const raw = await RawClient.connect(port);
    try {
      const quorum = () => raw.send(DescribeQuorumApi, 2, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
      const epoch = (await quorum()).topics[0]!.partitions[0]!.leaderEpoch;
      // Node 7 claiming the leader's own epoch broke a raft invariant: the raft client failed, and the controller with it.
      const partition = (leaderId: number) => ({ partitionIndex: 0, leaderId, leaderEpoch: epoch });
      const begin = await raw.send(BeginQuorumEpochApi, 1, { clusterId: null, voterId: 1, topics: [{ topicName: '__cluster_metadata', partitions: [partition(7)] }], leaderEndpoints: [] });
      assert.equal(begin.topics[0]!.partitions[0]!.errorCode, ErrorCode.INCONSISTENT_VOTER_SET);
      const negative = await raw.send(BeginQuorumEpochApi, 1, { clusterId: null, voterId: 1, topics: [{ topicName: '__cluster_metadata', partitions: [partition(-5)] }], leaderEndpoints: [] });
      assert.equal(negative.topics[0]!.partitions[0]!.errorCode, ErrorCode.INVALID_REQUEST);
      const end = await raw.send(EndQuorumEpochApi, 1, { clusterId: null, topics: [{ topicName: '__cluster_metadata', partitions: [partition(7)] }], leaderEndpoints: [] });
      assert.equal(end.topics[0]!.partitions[0]!.errorCode, ErrorCode.INCONSISTENT_VOTER_SET);
      const after = (await quorum()).topics[0]!.partitions[0]!;
      assert.deepEqual([after.errorCode, after.leaderId, after.leaderEpoch], [ErrorCode.NONE, 1, epoch]);
    } finally {
      raw.close();
      await controller.close();
    }
  });

  it('lets a member name the same protocol twice in its JoinGroup (kafkajs with an assigner given twice) join and consume', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'twice', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'twice', messages: [{ value: 'v' }] });
    await producer.disconnect();
    // The protocol was counted twice for one member: no protocol matched, and the JoinGroup never got its answer.
    const consumer = kafka.consumer({ groupId: 'twice', partitionAssigners: [PartitionAssigners.roundRobin, PartitionAssigners.roundRobin] });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: 'twice', fromBeginning: true });
      let got = 0;
      await consumer.run({ eachMessage: async () => void got++ });
      await eventually('the record consumed', 15_000, () => got === 1);
    } finally {
      await consumer.disconnect();
    }
  });
});
