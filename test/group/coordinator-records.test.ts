import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CoordinatorRecord, decodeCoordinatorRecord, encodeRecordKey, encodeRecordValue, javaStringHashCode, partitionForGroup } from '../../src/group/index.js';
import { Writer } from '../../src/protocol/primitives/writer.js';

const hex = (b: Buffer | null): string => (b === null ? 'null' : b.toString('hex'));

describe('__consumer_offsets record formats (Kafka OffsetCommitKey/Value, GroupMetadataKey/Value, the consumer group records)', () => {
  it('writes an offset commit as key type 1 and value v3, byte for byte', () => {
    const r: CoordinatorRecord = { type: 'offset', group: 'g', topic: 't', partition: 3, value: { offset: 42n, leaderEpoch: 7, metadata: 'm', commitTimestamp: 1000n, expireTimestamp: -1n } };
    assert.equal(hex(encodeRecordKey(r)), '0001' + '000167' + '000174' + '00000003');
    assert.equal(hex(encodeRecordValue(r)), '0003' + '000000000000002a' + '00000007' + '00016d' + '00000000000003e8');
  });

  it('writes value v1 when the commit carried its own retention, as Kafka does', () => {
    const r: CoordinatorRecord = { type: 'offset', group: 'g', topic: 't', partition: 0, value: { offset: 1n, leaderEpoch: 5, metadata: '', commitTimestamp: 10n, expireTimestamp: 20n } };
    assert.equal(hex(encodeRecordValue(r)), '0001' + '0000000000000001' + '0000' + '000000000000000a' + '0000000000000014');
    const back = decodeCoordinatorRecord(encodeRecordKey(r), encodeRecordValue(r));
    assert.deepEqual(back, { ...r, value: { ...r.value!, leaderEpoch: -1 } });
  });

  it('writes group metadata as key type 2 and value v3, and reads it back', () => {
    const r: CoordinatorRecord = {
      type: 'group',
      group: 'grp',
      value: {
        protocolType: 'consumer',
        generation: 4,
        protocol: 'range',
        leader: 'm1',
        currentStateTimestamp: 99n,
        members: [{ memberId: 'm1', groupInstanceId: 'i1', clientId: 'c', clientHost: '/127.0.0.1', rebalanceTimeout: 300, sessionTimeout: 100, subscription: Buffer.from([1, 2]), assignment: Buffer.from([3]) }],
      },
    };
    assert.equal(hex(encodeRecordKey(r)), '0002' + '0003677270');
    const value = encodeRecordValue(r)!;
    assert.equal(value.readInt16BE(0), 3);
    assert.deepEqual(decodeCoordinatorRecord(encodeRecordKey(r), value), r);
  });

  it('reads tombstones, key type 0 and older value versions', () => {
    const key0 = Buffer.from('0000' + '000167' + '000174' + '00000001', 'hex');
    assert.deepEqual(decodeCoordinatorRecord(key0, null), { type: 'offset', group: 'g', topic: 't', partition: 1, value: null });
    const v0 = Buffer.from('0000' + '0000000000000005' + '00026d64' + '0000000000000007', 'hex');
    assert.deepEqual(decodeCoordinatorRecord(key0, v0), { type: 'offset', group: 'g', topic: 't', partition: 1, value: { offset: 5n, leaderEpoch: -1, metadata: 'md', commitTimestamp: 7n, expireTimestamp: -1n } });
    // GroupMetadataValue v0: no rebalance timeout (it defaults to the session timeout), no instance id, no timestamp.
    const w = new Writer(64);
    w.writeInt16(0);
    w.writeString('consumer', false);
    w.writeInt32(2);
    w.writeNullableString('range', false);
    w.writeNullableString('a', false);
    w.writeInt32(1);
    w.writeString('a', false);
    w.writeString('cid', false);
    w.writeString('/h', false);
    w.writeInt32(6000);
    w.writeBytes(Buffer.from([9]), false);
    w.writeBytes(Buffer.alloc(0), false);
    const decoded = decodeCoordinatorRecord(Buffer.from('0002000167', 'hex'), w.toBuffer());
    assert.deepEqual(decoded, {
      type: 'group',
      group: 'g',
      value: { protocolType: 'consumer', generation: 2, protocol: 'range', leader: 'a', currentStateTimestamp: -1n, members: [{ memberId: 'a', groupInstanceId: null, clientId: 'cid', clientHost: '/h', rebalanceTimeout: 6000, sessionTimeout: 6000, subscription: Buffer.from([9]), assignment: Buffer.alloc(0) }] },
    });
  });

  it('reads the flexible v4 values', () => {
    const w = new Writer(64);
    w.writeInt16(4);
    w.writeInt64(8n);
    w.writeInt32(2);
    w.writeString('x', true);
    w.writeInt64(3n);
    w.writeUVarint(1); // one tagged field, skipped
    w.writeUVarint(9);
    w.writeUVarint(2);
    w.writeRaw(Buffer.from([0, 0]));
    const key = encodeRecordKey({ type: 'offset', group: 'g', topic: 't', partition: 0, value: null });
    assert.deepEqual(decodeCoordinatorRecord(key, w.toBuffer())?.type === 'offset' && decodeCoordinatorRecord(key, w.toBuffer())!.value, { offset: 8n, leaderEpoch: 2, metadata: 'x', commitTimestamp: 3n, expireTimestamp: -1n });
  });

  it("writes a KIP-848 member's current assignment as key type 8 and value v0, and reads it back", () => {
    const r: CoordinatorRecord = {
      type: 'consumer-group',
      group: 'g',
      recordType: 8,
      key: { groupId: 'g', memberId: 'm' },
      value: { version: 0, data: { memberEpoch: 3, previousMemberEpoch: 2, state: 1, assignedPartitions: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [0, 2] }], partitionsPendingRevocation: [] } },
    };
    const key = encodeRecordKey(r);
    // Kafka's key: int16 type 8, then group id and member id as int16-length strings.
    assert.equal(key.toString('hex'), '0008' + '0001' + Buffer.from('g').toString('hex') + '0001' + Buffer.from('m').toString('hex'));
    const back = decodeCoordinatorRecord(key, encodeRecordValue(r));
    assert.equal(back?.type, 'consumer-group');
    assert.deepEqual(JSON.parse(JSON.stringify(back)), JSON.parse(JSON.stringify(r)));
    assert.deepEqual(decodeCoordinatorRecord(key, null), { ...r, value: null });
  });

  it('skips record types it does not keep and refuses garbage', () => {
    // Type 9: a share group's partition metadata.
    assert.equal(decodeCoordinatorRecord(Buffer.from('0009000167', 'hex'), Buffer.from('00', 'hex')), undefined);
    assert.throws(() => decodeCoordinatorRecord(Buffer.from('0001ff', 'hex'), null));
    assert.throws(() => decodeCoordinatorRecord(Buffer.from('0002000167', 'hex'), Buffer.from('0009', 'hex')));
    assert.throws(() => decodeCoordinatorRecord(null, null));
  });
});

describe('partitionForGroup', () => {
  it("matches Java's String.hashCode", () => {
    assert.equal(javaStringHashCode(''), 0);
    assert.equal(javaStringHashCode('hello'), 99162322);
    assert.equal(javaStringHashCode('test-group'), 627841412); // values checked with java's String.hashCode
    // Famous for hashing to Integer.MIN_VALUE, which Kafka's Utils.abs maps to 0.
    assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
    assert.equal(javaStringHashCode('日本'), 835047);
  });

  it("places groups as Kafka's abs(hashCode) % partitions", () => {
    assert.equal(partitionForGroup('polygenelubricants', 50), 0);
    assert.equal(partitionForGroup('hello', 50), 99162322 % 50);
    assert.equal(partitionForGroup('test-group', 50), 627841412 % 50);
    assert.equal(partitionForGroup('anything', 1), 0);
  });
});
