/**
 * ACLs end to end with the StandardAuthorizer: CreateAcls, DescribeAcls and DeleteAcls (and their
 * persistence), then principals refused topic by topic and group by group with Kafka's error codes,
 * DENY beating ALLOW, a follower's fetch needing CLUSTER_ACTION, elections and reassignments needing ALTER on the cluster, topics hidden from Metadata, super users, KIP-430 authorized operations, and
 * SECURITY_DISABLED without an authorizer.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { KafkaProtocolError, SamsaClient } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ConsumerGroupDescribeApi, ConsumerGroupHeartbeatApi, DescribeGroupsApi, FetchApi, MetadataApi, ProduceApi, SaslAuthenticateApi, SaslHandshakeApi } from '../../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch } from '../../src/protocol/records/index.js';
import { ZERO_UUID } from '../../src/protocol/primitives/codec-support.js';
import { awaitGroupCoordinator } from '../helpers/group-coordinator.js';
import { RawClient } from '../helpers/raw-client.js';
import { PLAIN_USERS, type SecureBroker, secureBroker } from '../helpers/secure-broker.js';
import { tempDir } from '../helpers/test-broker.js';

const refused = (code: number) => (e: Error) => e instanceof KafkaProtocolError && e.errorCode === code;
const bit = (op: number) => 1 << op;

async function rawLogin(port: number, user: keyof typeof PLAIN_USERS): Promise<RawClient> {
  const raw = await RawClient.connect(port);
  await raw.send(SaslHandshakeApi, 1, { mechanism: 'PLAIN' });
  const r = await raw.send(SaslAuthenticateApi, 2, { authBytes: Buffer.from(`\u0000${user}\u0000${PLAIN_USERS[user]}`) });
  assert.equal(r.errorCode, ErrorCode.NONE);
  return raw;
}

describe('ACLs', { timeout: 120_000 }, () => {
  let sb: SecureBroker;
  let client: (user: keyof typeof PLAIN_USERS) => SamsaClient;
  const opened: SamsaClient[] = [];
  before(async () => {
    sb = await secureBroker({ authorizer: true });
    client = (user) => {
      const c = new SamsaClient({ bootstrapServers: [sb.address.SASL_PLAINTEXT], clientId: user, sasl: { mechanism: 'PLAIN', username: user, password: PLAIN_USERS[user] }, retry: { retries: 1, initialBackoffMs: 10 } });
      opened.push(c);
      return c;
    };
    const admin = sb.admin.admin();
    await admin.createTopics([{ name: 'orders', partitions: 1 }, { name: 'secret', partitions: 1 }, { name: 'alice-1', partitions: 1 }]);
    await admin.createAcls([
      { resourceType: 'topic', resourceName: 'orders', principal: 'User:alice', operation: 'write', permission: 'allow' },
      { resourceType: 'topic', resourceName: 'orders', principal: 'User:*', operation: 'read', permission: 'allow' },
      { resourceType: 'topic', resourceName: 'orders', principal: 'User:bob', operation: 'read', permission: 'deny' },
      { resourceType: 'topic', resourceName: 'alice-', patternType: 'prefixed', principal: 'User:alice', operation: 'all', permission: 'allow' },
      { resourceType: 'group', resourceName: 'billing', principal: 'User:alice', operation: 'read', permission: 'allow' },
    ]);
    // __consumer_offsets is created on the first FindCoordinator; every test here sees it.
    const raw = await rawLogin(sb.port.SASL_PLAINTEXT, 'admin');
    try {
      await awaitGroupCoordinator(raw, 'billing');
    } finally {
      raw.close();
    }
  });
  after(async () => {
    for (const c of opened) await c.close();
    await sb.stop();
  });

  it('creates, describes (by filter) and deletes ACLs, validating them as Kafka does', async () => {
    const admin = sb.admin.admin();
    assert.equal((await admin.describeAcls()).length, 5);
    const forOrders = await admin.describeAcls({ resourceType: 'topic', resourceName: 'orders', patternType: 'match' });
    assert.equal(forOrders.length, 3);
    assert.deepEqual(await admin.describeAcls({ principal: 'User:bob' }), [{ resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:bob', host: '*', operation: 'READ', permission: 'DENY' }]);
    await assert.rejects(admin.createAcls([{ resourceType: 'cluster', resourceName: 'mine', principal: 'User:a', operation: 'alter', permission: 'allow' }]), refused(ErrorCode.INVALID_REQUEST));
    await assert.rejects(admin.createAcls([{ resourceType: 'topic', resourceName: 'x', principal: 'alice', operation: 'read', permission: 'allow' }]), refused(ErrorCode.INVALID_REQUEST));
    await admin.createAcls([{ resourceType: 'topic', resourceName: 'tmp', principal: 'User:eve', operation: 'read', permission: 'allow' }]);
    const deleted = await admin.deleteAcls([{ principal: 'User:eve' }]);
    assert.deepEqual(deleted.map((a) => a.resourceName), ['tmp']);
    assert.equal((await admin.describeAcls()).length, 5);
  });

  it('refuses leader elections and partition reassignments to a principal without ALTER (or DESCRIBE) on the cluster', async () => {
    const alice = client('alice').admin();
    await assert.rejects(alice.electLeaders('preferred', [{ topic: 'alice-1', partition: 0 }]), refused(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    await assert.rejects(alice.alterPartitionReassignments([{ topic: 'alice-1', partition: 0, replicas: null }]), refused(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    await assert.rejects(alice.listPartitionReassignments(), refused(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    assert.deepEqual(await client('admin').admin().listPartitionReassignments(), [], 'a super user is let through to the controller');
  });

  it('refuses ACL changes to a principal without ALTER on the cluster', async () => {
    await assert.rejects(client('alice').admin().createAcls([{ resourceType: 'topic', resourceName: 'secret', principal: 'User:alice', operation: 'read', permission: 'allow' }]), refused(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    await assert.rejects(client('alice').admin().describeAcls(), refused(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
  });

  it('hides topics a principal may not describe, and refuses them by name', async () => {
    assert.deepEqual(await client('alice').admin().listTopics({ includeInternal: true }), ['alice-1', 'orders']);
    assert.deepEqual(await client('admin').admin().listTopics({ includeInternal: true }), ['__consumer_offsets', 'alice-1', 'orders', 'secret']);
    const raw = await rawLogin(sb.port.SASL_PLAINTEXT, 'alice');
    const meta = await raw.send(MetadataApi, 12, { topics: [{ name: 'secret', topicId: ZERO_UUID }, { name: 'no-such-topic', topicId: ZERO_UUID }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: true });
    assert.deepEqual(
      meta.topics.map((t) => [t.name, t.errorCode]),
      [
        ['secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
        ['no-such-topic', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      ],
      'an unknown topic is refused too: its existence is not disclosed',
    );
    raw.close();
  });

  it('refuses produce and fetch topic by topic, with TOPIC_AUTHORIZATION_FAILED', async () => {
    const raw = await rawLogin(sb.port.SASL_PLAINTEXT, 'alice');
    const records = encodeUncompressedRecordBatch({ records: [{ value: Buffer.from('x') }] });
    const res = await raw.send(ProduceApi, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'orders', partitionData: [{ index: 0, records }] }, { name: 'secret', partitionData: [{ index: 0, records }] }] });
    assert.deepEqual(res.responses.map((t) => [t.name, t.partitionResponses[0]!.errorCode]), [['orders', ErrorCode.NONE], ['secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
    const f = await raw.send(FetchApi, 12, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: ['orders', 'secret'].map((topic) => ({ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] })) });
    assert.deepEqual(f.responses.map((t) => [t.topic, t.partitions[0]!.errorCode, (t.partitions[0]!.records?.length ?? 0) > 0]), [['orders', ErrorCode.NONE, true], ['secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED, false]]);
    raw.close();
    await assert.rejects(client('alice').producer().send('secret', { value: 'no' }), refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
  });

  it("refuses a follower's fetch (a replica id) without CLUSTER_ACTION, and serves it to a super user", async () => {
    const follower = (raw: RawClient) =>
      raw.send(FetchApi, 12, { replicaId: 7, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic: 'orders', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
    const alice = await rawLogin(sb.port.SASL_PLAINTEXT, 'alice');
    assert.equal((await follower(alice)).responses[0]!.partitions[0]!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'READ on the topic is not enough');
    alice.close();
    const admin = await rawLogin(sb.port.SASL_PLAINTEXT, 'admin');
    // Node 7 holds no replica here, but the request is authorized: the answer is the partition's, not a refusal.
    assert.notEqual((await follower(admin)).responses[0]!.partitions[0]!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    admin.close();
  });

  it('lets a DENY beat an ALLOW: bob is denied what User:* is allowed', async () => {
    const consume = async (user: 'alice' | 'bob') => {
      const c = client(user).consumer({ autoOffsetReset: 'earliest' });
      c.assign([{ topic: 'orders', partition: 0 }]);
      try {
        for await (const r of c) return r.value!.toString();
      } finally {
        await c.close();
      }
      return '';
    };
    assert.equal(await consume('alice'), 'x');
    await assert.rejects(consume('bob'), refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
  });

  it('refuses groups group by group, with GROUP_AUTHORIZATION_FAILED', async () => {
    const join = async (groupId: string) => {
      const c = client('alice').consumer({ groupId, autoOffsetReset: 'earliest' });
      c.subscribe(['orders']);
      try {
        for await (const r of c) return r.value!.toString();
      } finally {
        await c.close();
      }
      return '';
    };
    assert.equal(await join('billing'), 'x');
    await assert.rejects(join('other'), refused(ErrorCode.GROUP_AUTHORIZATION_FAILED));
    await assert.rejects(client('alice').admin().fetchOffsets('other'), refused(ErrorCode.GROUP_AUTHORIZATION_FAILED));
    assert.deepEqual((await client('alice').admin().listGroups()).map((g) => g.groupId), ['billing'], 'only the groups alice may describe are listed');
  });

  it('refuses KIP-848 consumer groups group by group, and subscriptions to topics the member may not describe', async () => {
    const raw = await rawLogin(sb.port.SASL_PLAINTEXT, 'alice');
    try {
      const join = (groupId: string, topic: string) => raw.send(ConsumerGroupHeartbeatApi, 0, { groupId, memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 10_000, subscribedTopicNames: [topic], topicPartitions: [] });
      assert.equal((await join('other', 'alice-1')).errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      assert.equal((await join('billing', 'secret')).errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      const joined = await join('billing', 'alice-1');
      assert.equal(joined.errorCode, ErrorCode.NONE);
      assert.equal(joined.assignment?.topicPartitions[0]?.partitions.length, 1);
      const described = await raw.send(ConsumerGroupDescribeApi, 0, { groupIds: ['billing', 'other'], includeAuthorizedOperations: false });
      assert.deepEqual(described.groups.map((g) => g.errorCode), [ErrorCode.NONE, ErrorCode.GROUP_AUTHORIZATION_FAILED]);
      const left = await raw.send(ConsumerGroupHeartbeatApi, 0, { groupId: 'billing', memberId: joined.memberId!, memberEpoch: -1 });
      assert.equal(left.errorCode, ErrorCode.NONE);
    } finally {
      raw.close();
    }
  });

  it("answers the principal's authorized operations (KIP-430)", async () => {
    const raw = await rawLogin(sb.port.SASL_PLAINTEXT, 'alice');
    const meta = await raw.send(MetadataApi, 10, { topics: [{ name: 'orders', topicId: ZERO_UUID }, { name: 'alice-1', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
    assert.equal(meta.topics[0]!.topicAuthorizedOperations, bit(3) | bit(4) | bit(8), 'orders: READ (User:*), WRITE, and DESCRIBE they imply');
    assert.equal(meta.topics[1]!.topicAuthorizedOperations, [3, 4, 5, 6, 7, 8, 10, 11].reduce((a, op) => a | bit(op), 0), 'alice-1: ALL through the prefix');
    assert.equal(meta.clusterAuthorizedOperations, 0);
    const groups = await raw.send(DescribeGroupsApi, 5, { groups: ['billing', 'other'], includeAuthorizedOperations: true });
    assert.equal(groups.groups[0]!.authorizedOperations, bit(3) | bit(8));
    assert.equal(groups.groups[1]!.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    raw.close();
  });

  it('needs CREATE, DELETE, ALTER and the config operations for admin requests', async () => {
    const alice = client('alice').admin();
    await assert.rejects(alice.createTopics([{ name: 'mine', partitions: 1 }]), refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
    await alice.createTopics([{ name: 'alice-2', partitions: 1 }]);
    await alice.createPartitions('alice-2', 2);
    await assert.rejects(alice.createPartitions('orders', 2), refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
    await assert.rejects(alice.describeConfigs({ topic: 'orders' }), refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
    await assert.rejects(alice.describeConfigs({ broker: 1 }), refused(ErrorCode.CLUSTER_AUTHORIZATION_FAILED));
    await assert.rejects(alice.deleteTopics(['orders']), refused(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
    await alice.deleteTopics(['alice-2']);
  });
});

describe('ACLs persist and need an authorizer', { timeout: 60_000 }, () => {
  it('keeps ACLs across a restart', async () => {
    const dataDir = await tempDir();
    const first = await secureBroker({ authorizer: true, options: { dataDir } });
    await first.admin.admin().createAcls([{ resourceType: 'group', resourceName: 'g-', patternType: 'prefixed', principal: 'User:alice', operation: 'read', permission: 'allow' }]);
    const certs = first.certs;
    await first.admin.close();
    await first.broker.close();
    const second = await secureBroker({ authorizer: true, certs, options: { dataDir } });
    try {
      assert.deepEqual(await second.admin.admin().describeAcls(), [{ resourceType: 'GROUP', resourceName: 'g-', patternType: 'PREFIXED', principal: 'User:alice', host: '*', operation: 'READ', permission: 'ALLOW' }]);
    } finally {
      await second.stop();
      await certs.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('answers SECURITY_DISABLED without an authorizer, and lets everyone do everything', async () => {
    const sb = await secureBroker();
    try {
      await assert.rejects(sb.admin.admin().describeAcls(), refused(ErrorCode.SECURITY_DISABLED));
      await assert.rejects(sb.admin.admin().createAcls([{ resourceType: 'topic', resourceName: 'x', principal: 'User:a', operation: 'read', permission: 'allow' }]), refused(ErrorCode.SECURITY_DISABLED));
      const bob = new SamsaClient({ bootstrapServers: [sb.address.SASL_PLAINTEXT], sasl: { mechanism: 'PLAIN', username: 'bob', password: PLAIN_USERS.bob } });
      await bob.admin().createTopics([{ name: 'anything', partitions: 1 }]);
      await bob.close();
    } finally {
      await sb.stop();
    }
  });
});
