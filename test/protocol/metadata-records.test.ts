/**
 * The generated metadata record codecs and Kafka's record framing in `__cluster_metadata`. Samples
 * are typed against the generated input types, so a generator change that renames or drops a field
 * fails to compile; the record list comes from the generated registry, never from the specs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMetadataRecord, encodeMetadataRecord } from '../../src/protocol/metadata-record-serde.js';
import { METADATA_RECORD_TYPES, type MetadataRecordInput, MetadataRecordType, metadataRecordType } from '../../src/protocol/metadata/index.js';
import { DecodeError, EncodeError } from '../../src/protocol/samsa-error.js';
import { prng } from './message-samples.js';

const uuid = (fill: number) => Buffer.alloc(16, fill).toString('base64url');
const T = MetadataRecordType;

/** At least one sample per record type, and one per version where versions differ in fields. */
const SAMPLES: MetadataRecordInput[] = [
  { apiKey: T.RegisterBrokerRecord, version: 0, data: { brokerId: 1, incarnationId: uuid(1), brokerEpoch: 7n, endPoints: [{ name: 'PLAINTEXT', host: 'h1', port: 9092, securityProtocol: 0 }], features: [{ name: 'metadata.version', minSupportedVersion: 1, maxSupportedVersion: 21 }], rack: null, fenced: true } },
  { apiKey: T.RegisterBrokerRecord, version: 3, data: { brokerId: 2, isMigratingZkBroker: false, incarnationId: uuid(2), brokerEpoch: 9n, endPoints: [], features: [], rack: 'r1', fenced: false, inControlledShutdown: true, logDirs: [uuid(3), uuid(4)] } },
  { apiKey: T.UnregisterBrokerRecord, data: { brokerId: 3, brokerEpoch: 11n } },
  { apiKey: T.TopicRecord, data: { name: 'orders', topicId: uuid(5) } },
  { apiKey: T.PartitionRecord, version: 0, data: { partitionId: 0, topicId: uuid(5), replicas: [1, 2, 3], isr: [1, 2], removingReplicas: [], addingReplicas: [], leader: 1, leaderEpoch: 0, partitionEpoch: 0 } },
  { apiKey: T.PartitionRecord, version: 2, data: { partitionId: 4, topicId: uuid(5), replicas: [1], isr: [1], removingReplicas: [2], addingReplicas: [3], leader: 1, leaderRecoveryState: 1, leaderEpoch: 5, partitionEpoch: 6, directories: [uuid(7)], eligibleLeaderReplicas: [2], lastKnownElr: null } },
  { apiKey: T.ConfigRecord, data: { resourceType: 2, resourceName: 'orders', name: 'retention.ms', value: '1000' } },
  { apiKey: T.ConfigRecord, data: { resourceType: 4, resourceName: '1', name: 'log.retention.ms', value: null } },
  { apiKey: T.PartitionChangeRecord, version: 0, data: { partitionId: 1, topicId: uuid(5), isr: [1, 3], leader: 3 } },
  { apiKey: T.PartitionChangeRecord, version: 2, data: { partitionId: 1, topicId: uuid(5), leader: -2, replicas: [1, 2], directories: [uuid(8), uuid(9)], eligibleLeaderReplicas: [], lastKnownElr: [1] } },
  { apiKey: T.FenceBrokerRecord, data: { id: 2, epoch: 12n } },
  { apiKey: T.UnfenceBrokerRecord, data: { id: 2, epoch: 12n } },
  { apiKey: T.RemoveTopicRecord, data: { topicId: uuid(5) } },
  { apiKey: T.DelegationTokenRecord, data: { owner: 'User:a', requester: 'User:b', renewers: ['User:c'], issueTimestamp: 1n, maxTimestamp: 2n, expirationTimestamp: 3n, tokenId: 't1' } },
  { apiKey: T.UserScramCredentialRecord, data: { name: 'alice', mechanism: 1, salt: Buffer.from('salt'), storedKey: Buffer.from('sk'), serverKey: Buffer.from('vk'), iterations: 4096 } },
  { apiKey: T.FeatureLevelRecord, data: { name: 'metadata.version', featureLevel: 21 } },
  { apiKey: T.ClientQuotaRecord, data: { entity: [{ entityType: 'user', entityName: null }], key: 'producer_byte_rate', value: 1024.5, remove: false } },
  { apiKey: T.ProducerIdsRecord, data: { brokerId: 1, brokerEpoch: 4n, nextProducerId: 2000n } },
  { apiKey: T.BrokerRegistrationChangeRecord, version: 0, data: { brokerId: 1, brokerEpoch: 4n, fenced: 1 } },
  { apiKey: T.BrokerRegistrationChangeRecord, version: 2, data: { brokerId: 1, brokerEpoch: 4n, fenced: -1, inControlledShutdown: 1, logDirs: [uuid(10)] } },
  { apiKey: T.AccessControlEntryRecord, data: { id: uuid(11), resourceType: 2, resourceName: 'orders', patternType: 3, principal: 'User:a', host: '*', operation: 3, permissionType: 3 } },
  { apiKey: T.RemoveAccessControlEntryRecord, data: { id: uuid(11) } },
  { apiKey: T.NoOpRecord, data: {} },
  { apiKey: T.ZkMigrationStateRecord, data: { zkMigrationState: 0 } },
  { apiKey: T.RemoveUserScramCredentialRecord, data: { name: 'alice', mechanism: 1 } },
  { apiKey: T.BeginTransactionRecord, data: { name: 'tx' } },
  { apiKey: T.EndTransactionRecord, data: {} },
  { apiKey: T.AbortTransactionRecord, data: { reason: null } },
  { apiKey: T.RemoveDelegationTokenRecord, data: { tokenId: 't1' } },
  { apiKey: T.RegisterControllerRecord, data: { controllerId: 3000, incarnationId: uuid(12), zkMigrationReady: false, endPoints: [{ name: 'CONTROLLER', host: 'c', port: 9093, securityProtocol: 0 }], features: [{ name: 'kraft.version', minSupportedVersion: 0, maxSupportedVersion: 1 }] } },
];

/** Every field the sample gives has the same value in the decoded record. */
function assertContains(actual: unknown, expected: unknown, path: string): void {
  if (expected !== null && typeof expected === 'object' && !Buffer.isBuffer(expected)) {
    assert.ok(actual !== null && typeof actual === 'object', `${path}: expected an object`);
    for (const [k, v] of Object.entries(expected)) assertContains((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    return;
  }
  assert.deepStrictEqual(actual, expected, path);
}

describe('metadata records', () => {
  it('the registry holds every record type once, with codecs, in API key order', () => {
    const keys = METADATA_RECORD_TYPES.map((t) => t.apiKey);
    assert.deepEqual(keys, [...keys].sort((a, b) => a - b));
    assert.equal(new Set(keys).size, keys.length);
    assert.deepEqual(Object.values(T), keys);
    for (const t of METADATA_RECORD_TYPES) {
      assert.equal(metadataRecordType(t.apiKey), t);
      assert.equal(T[t.name as keyof typeof T], t.apiKey);
      assert.ok(t.minVersion <= t.maxVersion, t.name);
    }
    for (const name of ['TopicRecord', 'PartitionRecord', 'PartitionChangeRecord', 'RegisterBrokerRecord', 'FenceBrokerRecord', 'UnfenceBrokerRecord', 'ConfigRecord', 'ProducerIdsRecord', 'FeatureLevelRecord', 'RemoveTopicRecord', 'BrokerRegistrationChangeRecord']) {
      assert.ok(name in T, `${name} registered`);
    }
  });

  it('every record type has a sample, and the highest version of each is sampled', () => {
    for (const t of METADATA_RECORD_TYPES) {
      const versions = SAMPLES.filter((s) => s.apiKey === t.apiKey).map((s) => s.version ?? t.maxVersion);
      assert.ok(versions.includes(t.maxVersion), `${t.name} v${t.maxVersion} has a sample`);
    }
  });

  for (const sample of SAMPLES) {
    const type = metadataRecordType(sample.apiKey)!;
    it(`${type.name} v${sample.version ?? type.maxVersion} round-trips through the frame`, () => {
      const bytes = encodeMetadataRecord(sample);
      const decoded = decodeMetadataRecord(bytes);
      assert.equal(decoded.apiKey, sample.apiKey);
      assert.equal(decoded.version, sample.version ?? type.maxVersion);
      assertContains(decoded.data, sample.data, type.name);
      assert.deepStrictEqual(encodeMetadataRecord(decoded), bytes, 're-encoding the decoded record gives the same bytes');
    });
  }

  it('frames a record as Kafka does: frame version 1, type, version as unsigned varints, then the record', () => {
    const topicId = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    const bytes = encodeMetadataRecord({ apiKey: T.TopicRecord, data: { name: 'orders', topicId: topicId.toString('base64url') } });
    const expected = Buffer.concat([Buffer.from([1, 2, 0, 7]), Buffer.from('orders'), topicId, Buffer.from([0])]);
    assert.deepStrictEqual(bytes, expected);
    // NoOpRecord (type 20) has no fields: the frame and an empty tagged-field section.
    const r = decodeMetadataRecord(Buffer.from([1, 0x14, 0, 0]));
    assert.equal(r.apiKey, T.NoOpRecord);
  });

  it('refuses frame version 0, unknown frame versions and types, and trailing bytes', () => {
    assert.throws(() => decodeMetadataRecord(Buffer.from([0, 2, 0])), /frame version 0/);
    assert.throws(() => decodeMetadataRecord(Buffer.from([2, 2, 0])), /frame version 2/);
    assert.throws(() => decodeMetadataRecord(Buffer.from([1, 6, 0])), /unknown metadata record type 6/);
    assert.throws(() => decodeMetadataRecord(Buffer.from([1, 0x14, 0, 0, 9])), /garbage/);
    assert.throws(() => decodeMetadataRecord(Buffer.from([1, 2, 1, 0])), DecodeError, 'TopicRecord has no v1');
  });

  it('refuses to drop a field the chosen version lacks', () => {
    const data = { partitionId: 0, topicId: uuid(1), replicas: [1], isr: [1], removingReplicas: [], addingReplicas: [], directories: [uuid(2)] };
    assert.throws(() => encodeMetadataRecord({ apiKey: T.PartitionRecord, version: 0, data }), EncodeError);
    assert.ok(encodeMetadataRecord({ apiKey: T.PartitionRecord, version: 1, data }).length > 0);
  });

  it('decodes random and mutated bytes to a record or a DecodeError, never anything else', () => {
    const rand = prng(1234);
    const valid = SAMPLES.map((s) => encodeMetadataRecord(s));
    for (let i = 0; i < 3000; i++) {
      const base = valid[i % valid.length]!;
      const b = Buffer.from(base.subarray(0, Math.floor(rand() * (base.length + 1))));
      for (let j = 0; j < 2 && b.length > 0; j++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      try {
        decodeMetadataRecord(b);
      } catch (err) {
        assert.ok(err instanceof DecodeError, `case ${i}: ${String(err)}`);
      }
    }
  });
});
