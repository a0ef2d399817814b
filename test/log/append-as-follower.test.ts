/**
 * PartitionLog.appendAsFollower (replication): a follower appends the leader's batches as they are
 * — offsets, leader epochs, producer ids and sequences — so its producer state and leader-epoch
 * cache follow the leader's; batches below its log end, or failing their CRC, are refused (gaps,
 * as a compacted log has, are not).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeUncompressedRecordBatch } from '../../src/protocol/records/index.js';
import { batch, withLog } from './helpers.js';

function idempotent(pid: bigint, seq: number, count = 1): Buffer {
  return encodeUncompressedRecordBatch({ producerId: pid, producerEpoch: 0, baseSequence: seq, records: Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`p${seq + i}`), timestamp: 1_700_000_000_000n })) });
}

describe('appendAsFollower', () => {
  it('keeps the leader\'s offsets, epochs and producer state, and refuses what does not continue the log', async () => {
    await withLog({}, async (leader) => {
      await withLog({}, async (follower) => {
        await leader.append(batch(['a', 'b']), { leaderEpoch: 3 });
        await leader.append(idempotent(42n, 0, 2), { leaderEpoch: 3 });
        await leader.append(idempotent(42n, 2, 1), { leaderEpoch: 5 });
        const all = Buffer.concat((await leader.read(0n, 1 << 20)).chunks);
        const r = await follower.appendAsFollower(all);
        assert.deepEqual([r.baseOffset, r.lastOffset], [0n, 4n]);
        assert.equal(follower.logEndOffset, 5n);
        assert.deepEqual(Buffer.concat((await follower.read(0n, 1 << 20)).chunks), all, 'the same bytes');
        assert.deepEqual(follower.epochEntries(), leader.epochEntries());
        assert.deepEqual(follower.epochEntries().map((e) => [e.epoch, e.startOffset]), [[3, 0n], [5, 4n]]);
        // The producer state came along: the follower, leading, knows a retry and the next sequence.
        const retry = await follower.append(idempotent(42n, 2, 1), { leaderEpoch: 6 });
        assert.equal(retry.baseOffset, 4n, 'a retry of a replicated batch is answered with its offsets');
        assert.equal((await follower.append(idempotent(42n, 3, 1), { leaderEpoch: 6 })).baseOffset, 5n);
        // Not at the log end, or corrupt: refused.
        await assert.rejects(follower.appendAsFollower(all), /below the log end offset|not at the log end/);
        await leader.append(batch(['c']), { leaderEpoch: 5 });
        const next = Buffer.concat((await leader.read(5n, 1 << 20)).chunks);
        next[next.length - 1]! ^= 0xff;
        await withLog({}, async (other) => {
          await other.appendAsFollower(all);
          await assert.rejects(other.appendAsFollower(next), /CRC/);
        });
      });
    });
  });
});
