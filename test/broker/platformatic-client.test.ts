/**
 * @platformatic/kafka (a pure-JS client sending Kafka 4-era API versions: Fetch v17, Produce v11,
 * Metadata v12, flexible versions throughout) against an in-process broker: what it reads from
 * ApiVersions, every codec it has with headers and null keys and values, a transaction read back
 * read_committed, a classic consumer group, and the ACLs its admin creates.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AclOperations,
  AclPermissionTypes,
  Admin,
  Consumer,
  FetchIsolationLevels,
  type Message,
  Producer,
  ResourcePatternTypes,
  ResourceTypes,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { eventually } from '../helpers/eventually.js';
import { testBroker } from '../helpers/test-broker.js';

/** Consumes `topic` from the earliest offset in a new group until `n` messages came, or 10 s passed. */
async function consume<K = string, V = string>(bootstrap: string, topic: string, n: number, options: { isolationLevel?: number; raw?: boolean } = {}): Promise<Message<K, V, unknown, unknown>[]> {
  const consumer = new Consumer<K, V, unknown, unknown>({
    clientId: 'platformatic-test',
    groupId: `group-${topic}`,
    bootstrapBrokers: [bootstrap],
    maxWaitTime: 100,
    ...(options.isolationLevel === undefined ? {} : { isolationLevel: options.isolationLevel }),
    ...(options.raw ? {} : { deserializers: stringDeserializers as never }),
  });
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
    const got: Message<K, V, unknown, unknown>[] = [];
    const timer = setTimeout(() => void stream.close(), 10_000);
    for await (const m of stream) {
      got.push(m);
      if (got.length >= n) break;
    }
    clearTimeout(timer);
    return got;
  } finally {
    await consumer.close(true);
  }
}

describe('@platformatic/kafka', () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let admin: Admin;
  before(async () => {
    broker = await testBroker({
      config: {
        'group.initial.rebalance.delay.ms': 0,
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'super.users': 'User:ANONYMOUS',
      },
    });
    admin = new Admin({ clientId: 'platformatic-test', bootstrapBrokers: [broker.bootstrap] });
  });
  after(async () => {
    await admin.close();
    await broker.stop();
  });

  it('reads Produce v0-11 in ApiVersions, listed from v0 as Kafka 4 lists it (KAFKA-18659)', async () => {
    const produce = (await admin.listApis()).find((api) => api.name === 'Produce');
    assert.deepEqual([produce?.minVersion, produce?.maxVersion], [0, 11]);
  });

  it('produces with every codec it has, with headers, and null keys and values, and consumes them back', async () => {
    await admin.createTopics({ topics: ['codecs'], partitions: 2 });
    const codecs = ['none', 'gzip', 'snappy', 'lz4'] as const;
    for (const codec of codecs) {
      const producer = new Producer<string, string, string, string>({ clientId: 'platformatic-test', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, ...(codec === 'none' ? {} : { compression: codec }) });
      try {
        await producer.send({ messages: Array.from({ length: 5 }, (_, i) => ({ topic: 'codecs', partition: i % 2, key: `${codec}-${i}`, value: `value ${i}`, headers: new Map([['codec', codec], ['empty', '']]) })) });
      } finally {
        await producer.close();
      }
    }
    const got = await consume(broker.bootstrap, 'codecs', 20);
    assert.equal(got.length, 20);
    const lz4 = got.find((m) => m.key === 'lz4-3');
    assert.equal(lz4?.value, 'value 3');
    assert.deepEqual([...lz4!.headers], [['codec', 'lz4'], ['empty', '']]);

    await admin.createTopics({ topics: ['nulls'], partitions: 1 });
    const raw = new Producer({ clientId: 'platformatic-test', bootstrapBrokers: [broker.bootstrap] });
    try {
      await raw.send({ messages: [{ topic: 'nulls' }, { topic: 'nulls', key: Buffer.from('k') }, { topic: 'nulls', value: Buffer.alloc(0) }] });
    } finally {
      await raw.close();
    }
    // Without deserializers a null key or value comes back undefined, an empty one as an empty buffer.
    const nulls = await consume<Buffer | undefined, Buffer | undefined>(broker.bootstrap, 'nulls', 3, { raw: true });
    assert.deepEqual(nulls.map((m) => [m.key === undefined ? null : String(m.key), m.value === undefined ? null : m.value.length]), [[null, null], ['k', null], [null, 0]]);
  });

  it('commits a transaction and aborts another; read_committed reads only the committed records', async () => {
    await admin.createTopics({ topics: ['txn'], partitions: 1 });
    const producer = new Producer<string, string, string, string>({ clientId: 'platformatic-test', bootstrapBrokers: [broker.bootstrap], idempotent: true, transactionalId: 'platformatic-txn', serializers: stringSerializers });
    try {
      for (const [values, commit] of [[['c1', 'c2'], true], [['aborted'], false], [['c3'], true]] as const) {
        const txn = await producer.beginTransaction();
        await txn.send({ messages: values.map((value) => ({ topic: 'txn', value })) });
        await (commit ? txn.commit() : txn.abort());
      }
    } finally {
      await producer.close();
    }
    const committed = await consume(broker.bootstrap, 'txn', 3, { isolationLevel: FetchIsolationLevels.READ_COMMITTED });
    assert.deepEqual(committed.map((m) => m.value), ['c1', 'c2', 'c3']);
  });

  it('splits partitions between the members of a classic group, and gives them all to the one left', async () => {
    await admin.createTopics({ topics: ['grouped'], partitions: 4 });
    const member = () => new Consumer({ clientId: 'platformatic-test', groupId: 'grouped', bootstrapBrokers: [broker.bootstrap], maxWaitTime: 100, heartbeatInterval: 200, sessionTimeout: 6000, rebalanceTimeout: 6000 });
    const partitionsOf = (c: Consumer) => (c.assignments ?? []).flatMap((a) => a.partitions).sort();
    const [a, b] = [member(), member()];
    try {
      await a.consume({ topics: ['grouped'], mode: 'earliest' });
      await b.consume({ topics: ['grouped'], mode: 'earliest' });
      await eventually('two partitions each', 10_000, () => partitionsOf(a).length === 2 && partitionsOf(b).length === 2);
      assert.deepEqual([...partitionsOf(a), ...partitionsOf(b)].sort(), [0, 1, 2, 3]);
      await b.close(true);
      await eventually('all four to the one left', 10_000, () => partitionsOf(a).length === 4);
      const group = (await admin.describeGroups({ groups: ['grouped'] })).get('grouped');
      assert.deepEqual([group?.state, group?.protocol, group?.members.size], ['STABLE', 'roundrobin', 1]);
    } finally {
      await Promise.all([a.close(true), b.close(true)]);
    }
  });

  it('creates, describes and deletes an ACL whose operation its resource type has no use for (WRITE on a group), as Kafka does', async () => {
    const acl = { resourceType: ResourceTypes.GROUP, resourceName: 'test-group', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:test-user2', host: '192.168.1.1', operation: AclOperations.WRITE, permissionType: AclPermissionTypes.DENY };
    await admin.createAcls({ creations: [acl] });
    const filter = { ...acl, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperations.ANY, permissionType: AclPermissionTypes.ANY };
    const described = await admin.describeAcls({ filter });
    assert.deepEqual(described.map((r) => [r.resourceName, r.acls.map((a) => [a.principal, a.operation, a.permissionType])]), [['test-group', [['User:test-user2', AclOperations.WRITE, AclPermissionTypes.DENY]]]]);
    const deleted = await admin.deleteAcls({ filters: [filter] });
    assert.equal(deleted.length, 1);
  });
});
