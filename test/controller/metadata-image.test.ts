/**
 * The metadata image replays Kafka's metadata records as Kafka's MetadataDelta does, and the image
 * written as records (a snapshot) replays into an equal image.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigResourceType } from '../../src/controller/image/image-types.js';
import { encodeImage, imageDigest } from '../../src/controller/image/image-records.js';
import { MetadataDelta } from '../../src/controller/image/metadata-delta.js';
import { MetadataImage } from '../../src/controller/image/metadata-image.js';
import { MetadataLoader } from '../../src/controller/image/metadata-loader.js';
import { MetadataRecordType as T, type MetadataRecordInput } from '../../src/protocol/metadata/index.js';
import { decodeMetadataRecord, encodeMetadataRecord } from '../../src/protocol/metadata-record-serde.js';
import { imageRecords } from '../helpers/metadata-image.js';

const TOPIC = 'AAAAAAAAAAAAAAAAAAAAAg';

function replay(records: readonly MetadataRecordInput[], image = new MetadataImage(), delta = new MetadataDelta()): MetadataImage {
  for (const r of records) image.apply(decodeMetadataRecord(encodeMetadataRecord(r)), delta);
  return image;
}

function fromSnapshot(image: MetadataImage): MetadataImage {
  const copy = new MetadataImage();
  for (const r of encodeImage(image)) copy.apply(decodeMetadataRecord(r));
  return copy;
}

const partition = (p: number, replicas: number[], leader = replicas[0]!): MetadataRecordInput => ({
  apiKey: T.PartitionRecord,
  data: { partitionId: p, topicId: TOPIC, replicas, isr: replicas, removingReplicas: [], addingReplicas: [], leader, leaderEpoch: 0, partitionEpoch: 0 },
});

describe('metadata image', () => {
  it('builds topics, partitions and configs, and notes what changed', () => {
    const delta = new MetadataDelta();
    const image = replay(
      [
        { apiKey: T.TopicRecord, data: { name: 'orders', topicId: TOPIC } },
        partition(0, [1, 2]),
        partition(1, [2, 3]),
        { apiKey: T.ConfigRecord, data: { resourceType: ConfigResourceType.TOPIC, resourceName: 'orders', name: 'retention.ms', value: '1000' } },
      ],
      new MetadataImage(),
      delta,
    );
    const t = image.topic('orders')!;
    assert.equal(t.id, TOPIC);
    assert.equal(t.partitionCount, 2);
    assert.equal(t.replicationFactor, 2);
    assert.deepEqual(image.topicById(TOPIC)?.name, 'orders');
    assert.deepEqual(image.topicConfigs('orders'), { 'retention.ms': '1000' });
    assert.equal(image.collidingTopic('orders'), undefined);
    assert.deepEqual([...delta.createdTopics], [TOPIC]);
    assert.deepEqual([...delta.changedPartitions.get(TOPIC)!], [0, 1]);
    assert.deepEqual([...delta.changedTopicConfigs], ['orders']);
    assert.equal(image.partitionCount, 2);
  });

  it("applies a PartitionChangeRecord as Kafka merges it: a new leader bumps the leader epoch, every change the partition epoch", () => {
    const image = replay([{ apiKey: T.TopicRecord, data: { name: 'o', topicId: TOPIC } }, partition(0, [1, 2, 3])]);
    replay([{ apiKey: T.PartitionChangeRecord, data: { partitionId: 0, topicId: TOPIC, isr: [1, 2] } }], image);
    let p = image.partition('o', 0)!;
    assert.deepEqual([p.leader, p.leaderEpoch, p.partitionEpoch, p.isr], [1, 0, 1, [1, 2]]);
    replay([{ apiKey: T.PartitionChangeRecord, data: { partitionId: 0, topicId: TOPIC, leader: 2 } }], image);
    p = image.partition('o', 0)!;
    assert.deepEqual([p.leader, p.leaderEpoch, p.partitionEpoch, p.replicas], [2, 1, 2, [1, 2, 3]]);
  });

  it('removes a topic with its configs; a name may then be taken again', () => {
    const image = replay([
      { apiKey: T.TopicRecord, data: { name: 'a.b', topicId: TOPIC } },
      partition(0, [1]),
      { apiKey: T.ConfigRecord, data: { resourceType: ConfigResourceType.TOPIC, resourceName: 'a.b', name: 'cleanup.policy', value: 'compact' } },
    ]);
    assert.equal(image.collidingTopic('a_b'), 'a.b');
    const delta = new MetadataDelta();
    replay([{ apiKey: T.RemoveTopicRecord, data: { topicId: TOPIC } }], image, delta);
    assert.equal(image.topic('a.b'), undefined);
    assert.deepEqual(image.topicConfigs('a.b'), {});
    assert.equal(image.collidingTopic('a_b'), undefined);
    assert.equal(delta.removedTopics.get(TOPIC)?.partitions.length, 1);
    assert.equal(image.partitionCount, 0);
  });

  it('registers, fences, unfences and unregisters brokers by epoch', () => {
    const image = replay(imageRecords({ brokers: [{ id: 1 }, { id: 2, rack: 'r2' }], topics: [] }));
    assert.deepEqual(image.unfencedBrokers().map((b) => b.id), [1, 2]);
    replay([{ apiKey: T.FenceBrokerRecord, data: { id: 2, epoch: 2n } }], image);
    assert.deepEqual(image.unfencedBrokers().map((b) => b.id), [1]);
    // A record of another registration (an older epoch) changes nothing.
    replay([{ apiKey: T.UnfenceBrokerRecord, data: { id: 2, epoch: 99n } }], image);
    assert.equal(image.broker(2)!.fenced, true);
    replay([{ apiKey: T.BrokerRegistrationChangeRecord, data: { brokerId: 2, brokerEpoch: 2n, fenced: -1, inControlledShutdown: 1 } }], image);
    assert.deepEqual([image.broker(2)!.fenced, image.broker(2)!.inControlledShutdown, image.broker(2)!.rack], [false, true, 'r2']);
    replay([{ apiKey: T.UnregisterBrokerRecord, data: { brokerId: 1, brokerEpoch: 1n } }], image);
    assert.deepEqual(image.brokers().map((b) => b.id), [2]);
  });

  it('keeps the producer id high-water mark and feature levels', () => {
    const image = replay([
      { apiKey: T.ProducerIdsRecord, data: { brokerId: 1, brokerEpoch: 1n, nextProducerId: 2000n } },
      { apiKey: T.ProducerIdsRecord, data: { brokerId: 1, brokerEpoch: 1n, nextProducerId: 1000n } },
      { apiKey: T.FeatureLevelRecord, data: { name: 'metadata.version', featureLevel: 25 } },
    ]);
    assert.equal(image.nextProducerId, 2000n);
    assert.equal(image.feature('metadata.version'), 25);
  });

  it('written as records, replays into an equal image; equal images, equal digests', () => {
    const image = replay([
      ...imageRecords({ brokers: [{ id: 1 }, { id: 2, rack: 'east', fenced: true }, { id: 3 }], topics: [{ name: 'x', partitions: 3, replicationFactor: 2 }, { name: 'y', partitions: 1 }] }),
      { apiKey: T.ConfigRecord, data: { resourceType: ConfigResourceType.TOPIC, resourceName: 'x', name: 'retention.ms', value: '5' } },
      { apiKey: T.ProducerIdsRecord, data: { brokerId: 1, brokerEpoch: 1n, nextProducerId: 5000n } },
      { apiKey: T.FeatureLevelRecord, data: { name: 'metadata.version', featureLevel: 25 } },
    ]);
    const copy = fromSnapshot(image);
    assert.equal(imageDigest(copy), imageDigest(image));
    assert.deepEqual(copy.topic('x'), image.topic('x'));
    assert.deepEqual(copy.brokers(), image.brokers());
    assert.deepEqual(copy.topicConfigs('x'), { 'retention.ms': '5' });
    assert.equal(copy.nextProducerId, 5000n);
    replay([{ apiKey: T.FenceBrokerRecord, data: { id: 1, epoch: 1n } }], copy);
    assert.notEqual(imageDigest(copy), imageDigest(image));
    const clone = image.clone();
    assert.equal(imageDigest(clone), imageDigest(image));
    replay([{ apiKey: T.RemoveTopicRecord, data: { topicId: image.topic('y')!.id } }], clone);
    assert.ok(image.topic('y'), 'a clone shares nothing mutable');
  });

  it('keeps ACLs, SCRAM credentials and client quotas from their records, and writes them back in snapshots', () => {
    const acl = (id: string, principal: string, permissionType = 3) => ({ apiKey: T.AccessControlEntryRecord, data: { id, resourceType: 2, resourceName: 'orders', patternType: 3, principal, host: '*', operation: 3, permissionType } }) as const;
    const scram = (name: string, mechanism: number, iterations: number) => ({ apiKey: T.UserScramCredentialRecord, data: { name, mechanism, salt: Buffer.from('salt'), storedKey: Buffer.alloc(32, 1), serverKey: Buffer.alloc(32, 2), iterations } }) as const;
    const quota = (entity: { entityType: string; entityName: string | null }[], key: string, value: number, remove = false) => ({ apiKey: T.ClientQuotaRecord, data: { entity, key, value, remove } }) as const;
    const delta = new MetadataDelta();
    const image = replay(
      [
        acl('AAAAAAAAAAAAAAAAAAAAAQ', 'User:alice'),
        acl('AAAAAAAAAAAAAAAAAAAAAw', 'User:bob', 2),
        acl('AAAAAAAAAAAAAAAAAAAAAg', 'User:carol'),
        { apiKey: T.RemoveAccessControlEntryRecord, data: { id: 'AAAAAAAAAAAAAAAAAAAAAg' } },
        scram('alice', 1, 4096),
        scram('alice', 2, 8192),
        scram('alice', 1, 10000),
        scram('bob', 1, 4096),
        { apiKey: T.RemoveUserScramCredentialRecord, data: { name: 'bob', mechanism: 1 } },
        // Components in either order name the same entity.
        quota([{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: 'app' }], 'producer_byte_rate', 1024),
        quota([{ entityType: 'client-id', entityName: 'app' }, { entityType: 'user', entityName: 'alice' }], 'consumer_byte_rate', 2048),
        quota([{ entityType: 'user', entityName: null }], 'request_percentage', 50),
        quota([{ entityType: 'user', entityName: null }], 'request_percentage', 0, true),
      ],
      undefined,
      delta,
    );
    assert.ok(delta.aclsChanged && delta.scramChanged && delta.quotasChanged && !delta.isEmpty);
    assert.deepEqual([...image.security.acls()].map((a) => [a.principal, a.permissionType]).sort(), [['User:alice', 3], ['User:bob', 2]]);
    assert.equal(image.security.scramCredential('alice', 1)?.iterations, 10000, 'a credential replaces the one before it');
    assert.equal(image.security.scramCredential('alice', 2)?.iterations, 8192);
    assert.equal(image.security.scramCredential('bob', 1), undefined);
    assert.deepEqual(
      [...image.security.quotas()].map((q) => [q.entity.map((c) => `${c.entityType}=${c.entityName}`).join(','), Object.fromEntries(q.values)]),
      [['client-id=app,user=alice', { producer_byte_rate: 1024, consumer_byte_rate: 2048 }]],
      'a quota whose last key is removed leaves no entity behind',
    );

    const copy = fromSnapshot(image);
    assert.equal(imageDigest(copy), imageDigest(image));
    assert.deepEqual([...copy.security.acls()].sort((a, b) => (a.id < b.id ? -1 : 1)), [...image.security.acls()].sort((a, b) => (a.id < b.id ? -1 : 1)));
    assert.deepEqual(copy.security.scramCredential('alice', 2), image.security.scramCredential('alice', 2));
    const clone = image.clone();
    replay([{ apiKey: T.RemoveAccessControlEntryRecord, data: { id: 'AAAAAAAAAAAAAAAAAAAAAQ' } }, quota([{ entityType: 'client-id', entityName: 'app' }, { entityType: 'user', entityName: 'alice' }], 'consumer_byte_rate', 1)], clone);
    assert.equal([...image.security.acls()].length, 2, 'a clone shares no ACLs');
    assert.equal([...image.security.quotas()][0]!.values.get('consumer_byte_rate'), 2048, 'nor quotas');
    assert.notEqual(imageDigest(clone), imageDigest(image));
  });

  it('the loader replays committed batches and snapshots, telling publishers what changed', () => {
    const loader = new MetadataLoader();
    const seen: { offset: number; fromSnapshot: boolean; created: number }[] = [];
    loader.installPublisher({ onMetadataUpdate: (u) => seen.push({ offset: u.offset, fromSnapshot: u.fromSnapshot, created: u.delta.createdTopics.size }) });
    const recs = imageRecords({ brokers: [{ id: 1 }], topics: [{ name: 'z', partitions: 2 }] }).map(encodeMetadataRecord);
    loader.handleCommit({ baseOffset: 0, lastOffset: recs.length - 1, epoch: 1, appendTimestamp: 0, records: recs });
    assert.equal(loader.image.topic('z')?.partitionCount, 2);
    const snapshot = loader.snapshotRecords();
    const other = new MetadataLoader();
    other.handleLoadSnapshot({ id: { offset: recs.length, epoch: 1 }, records: snapshot, lastContainedLogTimestamp: 0 });
    assert.equal(imageDigest(other.image), imageDigest(loader.image));
    assert.equal(other.image.appliedOffset, recs.length);
    assert.deepEqual(seen, [{ offset: recs.length, fromSnapshot: false, created: 1 }]);
  });
});
