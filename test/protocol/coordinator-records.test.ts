/**
 * The generated coordinator record codecs and their key/value framing. The group coordinator's
 * own hand-written codec (src/group/coordinator-records.ts, tested against Kafka's formats) is the
 * oracle for the __consumer_offsets records both know; the record list comes from the generated
 * registry, never from the specs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CoordinatorRecord as GroupRecord, encodeRecordKey, encodeRecordValue } from '../../src/group/coordinator-records.js';
import { decodeCoordinatorRecord, encodeCoordinatorKey, encodeCoordinatorValue } from '../../src/protocol/coordinator-record-serde.js';
import {
  COORDINATOR_RECORD_TYPES,
  GroupMetadataRecordType,
  OffsetCommitRecordType,
  TransactionLogRecordType,
  type TransactionLogValueInput,
  coordinatorRecordType,
} from '../../src/protocol/coordinator/index.js';
import { DecodeError } from '../../src/protocol/samsa-error.js';
import { prng } from './message-samples.js';

const OFFSETS = '__consumer_offsets';

describe('coordinator records', () => {
  it('the registry pairs every key with its value, and record types do not overlap within a topic', () => {
    assert.ok(COORDINATOR_RECORD_TYPES.length >= 18);
    for (const t of COORDINATOR_RECORD_TYPES) {
      assert.equal(t.key.name, `${t.name}Key`);
      assert.equal(t.value.name, `${t.name}Value`);
      assert.equal(t.key.minVersion, t.minType);
      for (let type = t.minType; type <= t.maxType; type++) assert.equal(coordinatorRecordType(t.topic, type), t, `${t.topic} type ${type}`);
    }
    assert.equal(coordinatorRecordType(OFFSETS, 1), OffsetCommitRecordType);
    assert.equal(coordinatorRecordType(OFFSETS, 2), GroupMetadataRecordType);
    assert.equal(coordinatorRecordType('__transaction_state', 0), TransactionLogRecordType);
    assert.equal(coordinatorRecordType('__share_group_state', 0)?.name, 'ShareSnapshot');
    assert.equal(coordinatorRecordType(OFFSETS, 99), undefined);
  });

  it('decodes the offset commits the group coordinator writes (v1 with expiry, v3 without)', () => {
    const base = { type: 'offset', group: 'g', topic: 'orders', partition: 3 } as const;
    const withExpiry: GroupRecord = { ...base, value: { offset: 42n, leaderEpoch: -1, metadata: 'm', commitTimestamp: 1000n, expireTimestamp: 2000n } };
    const plain: GroupRecord = { ...base, value: { offset: 43n, leaderEpoch: 5, metadata: '', commitTimestamp: 1001n, expireTimestamp: -1n } };
    const a = decodeCoordinatorRecord(OFFSETS, encodeRecordKey(withExpiry), encodeRecordValue(withExpiry));
    assert.equal(a.descriptor, OffsetCommitRecordType);
    assert.deepEqual(a.key, { group: 'g', topic: 'orders', partition: 3 });
    assert.equal(a.value?.version, 1);
    assert.deepEqual(a.value?.data, { offset: 42n, leaderEpoch: -1, metadata: 'm', commitTimestamp: 1000n, expireTimestamp: 2000n });
    const b = decodeCoordinatorRecord(OFFSETS, encodeRecordKey(plain), encodeRecordValue(plain));
    assert.equal(b.value?.version, 3);
    assert.equal((b.value?.data as { leaderEpoch: number }).leaderEpoch, 5);
    // And the generated codec writes the same bytes the hand-written one does.
    assert.deepEqual(encodeCoordinatorKey(OFFSETS, 1, b.key), encodeRecordKey(plain));
    assert.deepEqual(encodeCoordinatorValue(OffsetCommitRecordType, 3, b.value!.data), encodeRecordValue(plain));
  });

  it('decodes group metadata and tombstones as the group coordinator writes them', () => {
    const rec: GroupRecord = {
      type: 'group',
      group: 'g',
      value: {
        protocolType: 'consumer', generation: 4, protocol: 'range', leader: 'm1', currentStateTimestamp: 77n,
        members: [{ memberId: 'm1', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', rebalanceTimeout: 300000, sessionTimeout: 45000, subscription: Buffer.from([1, 2]), assignment: Buffer.from([3]) }],
      },
    };
    const d = decodeCoordinatorRecord(OFFSETS, encodeRecordKey(rec), encodeRecordValue(rec));
    assert.equal(d.descriptor, GroupMetadataRecordType);
    assert.equal(d.value?.version, 3);
    assert.deepEqual(encodeCoordinatorValue(GroupMetadataRecordType, 3, d.value!.data), encodeRecordValue(rec));
    const tomb = decodeCoordinatorRecord(OFFSETS, encodeRecordKey({ ...rec, value: null }), null);
    assert.equal(tomb.value, null);
  });

  it('round-trips a transaction log record at every value version', () => {
    const value: TransactionLogValueInput = { producerId: 9n, producerEpoch: 2, transactionTimeoutMs: 60000, transactionStatus: 1, transactionPartitions: [{ topic: 'orders', partitionIds: [0, 2] }], transactionLastUpdateTimestampMs: 5n, transactionStartTimestampMs: 4n };
    const topic = '__transaction_state';
    const key = encodeCoordinatorKey(topic, 0, { transactionalId: 'tx-1' });
    for (let v = TransactionLogRecordType.value.minVersion; v <= TransactionLogRecordType.value.maxVersion; v++) {
      const bytes = encodeCoordinatorValue(TransactionLogRecordType, v, value);
      const d = decodeCoordinatorRecord(topic, key, bytes);
      assert.deepEqual(d.key, { transactionalId: 'tx-1' });
      assert.equal(d.value?.version, v);
      assert.deepEqual(encodeCoordinatorValue(TransactionLogRecordType, v, d.value!.data), bytes);
    }
  });

  it('refuses unknown types and trailing bytes with a DecodeError', () => {
    const key = Buffer.from([0, 99]);
    assert.throws(() => decodeCoordinatorRecord(OFFSETS, key, null), DecodeError);
    const good = encodeCoordinatorKey(OFFSETS, 2, { group: 'g' });
    assert.throws(() => decodeCoordinatorRecord(OFFSETS, Buffer.concat([good, Buffer.from([0])]), null), /after the GroupMetadataKey/);
  });

  it('decodes random bytes of every registered record type to a value or a DecodeError, and decoded values re-encode', () => {
    const rand = prng(99);
    let decodedValues = 0;
    for (const t of COORDINATOR_RECORD_TYPES) {
      for (let i = 0; i < 300; i++) {
        const type = t.minType + Math.floor(rand() * (t.maxType - t.minType + 1));
        const version = t.value.minVersion + Math.floor(rand() * (t.value.maxVersion - t.value.minVersion + 1));
        const body = Buffer.from(Array.from({ length: Math.floor(rand() * 40) }, () => (rand() < 0.5 ? 0 : Math.floor(rand() * 256))));
        const key = Buffer.concat([Buffer.from([type >> 8, type & 0xff]), body.subarray(0, Math.floor(rand() * body.length))]);
        const value = Buffer.concat([Buffer.from([version >> 8, version & 0xff]), body]);
        try {
          const d = decodeCoordinatorRecord(t.topic, key, value);
          decodedValues++;
          assert.deepEqual(decodeCoordinatorRecord(t.topic, encodeCoordinatorKey(t.topic, type, d.key), encodeCoordinatorValue(t, version, d.value!.data)), d);
        } catch (err) {
          assert.ok(err instanceof DecodeError, `${t.name} v${version}: ${String(err)}`);
        }
      }
    }
    assert.ok(decodedValues > 0);
  });
});

