/**
 * Keyed records land where every other Kafka client puts them: murmur2 equals the Java client's
 * Utils.murmur2 on Kafka's own test vectors, and the partition chosen equals kafkajs's
 * DefaultPartitioner (Java-compatible) for many keys and partition counts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Partitioners } from 'kafkajs';
import { StickyPartitions, murmur2, partitionForKey } from '../../src/client/partitioner.js';
import { seededRandom } from '../../src/common/random.js';

// Kafka's UtilsTest.testMurmur2.
const JAVA_VECTORS: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

describe('default partitioner', () => {
  it("murmur2 equals the Java client's on Kafka's test vectors", () => {
    for (const [key, hash] of JAVA_VECTORS) assert.equal(murmur2(Buffer.from(key)), hash, key);
  });

  it("picks the partition kafkajs's Java-compatible partitioner picks, for 2,000 keys and 1-100 partitions", () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const n of [1, 3, 7, 12, 100]) {
      const partitionMetadata = Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
      for (let i = 0; i < 2000; i++) {
        const key = i % 3 === 0 ? `user-${i}` : i % 3 === 1 ? String(i * 7919) : `ключ-${i}-🔑`;
        const expected = kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } });
        assert.equal(partitionForKey(Buffer.from(key), n), expected, `${key} over ${n}`);
      }
    }
  });

  it('keeps unkeyed records on one partition until its batch is sent, then moves on', () => {
    const sticky = new StickyPartitions(seededRandom(7));
    const first = sticky.partition('t', 6);
    for (let i = 0; i < 50; i++) assert.equal(sticky.partition('t', 6), first);
    sticky.batchSent('t', first, 6);
    assert.notEqual(sticky.partition('t', 6), first);
  });

  it('draws its sticky partitions from the Random it is given', () => {
    const draws = [0.5, 0.9, 0.1];
    const sticky = new StickyPartitions(() => draws.shift()!);
    assert.equal(sticky.partition('t', 6), 3); // floor(0.5 * 6)
    sticky.batchSent('t', 3, 6);
    assert.equal(sticky.partition('t', 6), 5); // floor(0.9 * 5) = 4, past the old partition: 5
    sticky.batchSent('t', 5, 6);
    assert.equal(sticky.partition('t', 6), 0); // floor(0.1 * 5)
    assert.equal(draws.length, 0);
    // The same seed gives the same walk over the partitions.
    const walk = (seed: number) => {
      const s = new StickyPartitions(seededRandom(seed));
      return Array.from({ length: 20 }, () => {
        const p = s.partition('t', 8);
        s.batchSent('t', p, 8);
        return p;
      });
    };
    assert.deepEqual(walk(42), walk(42));
    assert.notDeepEqual(walk(42), walk(43));
  });
});
