/** The leader epoch cache's rules (Kafka's LeaderEpochFileCache) and its checkpoint file format. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeLeaderEpochCheckpoint, encodeLeaderEpochCheckpoint } from '../../src/log/leader-epoch-checkpoint-file.js';
import { type EpochEntry, LeaderEpochCache } from '../../src/log/leader-epoch-cache.js';
import { CheckpointFormatError } from '../../src/log/offset-checkpoint-file.js';

const e = (epoch: number, startOffset: bigint): EpochEntry => ({ epoch, startOffset });

function cacheOf(entries: EpochEntry[]): { cache: LeaderEpochCache; changes: () => number } {
  let n = 0;
  const cache = new LeaderEpochCache(entries, () => n++);
  return { cache, changes: () => n };
}

describe('LeaderEpochCache.assign', () => {
  it('starts an entry for a new epoch only, and reports only real changes', () => {
    const { cache, changes } = cacheOf([]);
    assert.equal(cache.latestEpoch, undefined);
    cache.assign(0, 0n);
    cache.assign(0, 5n);
    cache.assign(0, 9n);
    assert.equal(changes(), 1, 'appends in the latest epoch change nothing');
    cache.assign(2, 10n);
    assert.deepEqual(cache.epochEntries(), [e(0, 0n), e(2, 10n)]);
    assert.equal(cache.latestEpoch, 2);
    assert.equal(changes(), 2);
  });

  it('moves the latest epoch back to an earlier start offset (Kafka: startOffset < latest.startOffset)', () => {
    const { cache } = cacheOf([e(1, 0n), e(2, 10n)]);
    cache.assign(2, 7n);
    assert.deepEqual(cache.epochEntries(), [e(1, 0n), e(2, 7n)]);
  });

  it('removes entries an older epoch or earlier offset contradicts before adding (non-monotonic entries)', () => {
    const { cache } = cacheOf([e(0, 0n), e(2, 10n), e(4, 20n)]);
    cache.assign(3, 15n);
    assert.deepEqual(cache.epochEntries(), [e(0, 0n), e(2, 10n), e(3, 15n)], 'epoch 4 is above 3: removed');
    cache.assign(5, 12n);
    assert.deepEqual(cache.epochEntries(), [e(0, 0n), e(2, 10n), e(5, 12n)], 'epoch 3 started at 15, after 12: removed');
  });

  it('refuses a negative epoch or offset', () => {
    const { cache } = cacheOf([]);
    assert.throws(() => cache.assign(-1, 0n), RangeError);
    assert.throws(() => cache.assign(0, -1n), RangeError);
  });

  it('returns copies: callers cannot change the cache through epochEntries', () => {
    const { cache } = cacheOf([e(1, 0n)]);
    cache.epochEntries().push(e(9, 99n));
    assert.deepEqual(cache.epochEntries(), [e(1, 0n)]);
  });
});

describe('LeaderEpochCache truncation', () => {
  it('truncateFromEnd removes the entries starting at or after the new end', () => {
    const { cache, changes } = cacheOf([e(1, 0n), e(2, 10n), e(3, 20n)]);
    cache.truncateFromEnd(25n);
    assert.equal(changes(), 0, 'nothing starts at or after 25');
    cache.truncateFromEnd(20n);
    assert.deepEqual(cache.epochEntries(), [e(1, 0n), e(2, 10n)]);
    cache.truncateFromEnd(0n);
    assert.deepEqual(cache.epochEntries(), []);
    assert.equal(changes(), 2);
  });

  it('truncateFromStart moves the entry holding the new start up to it and drops earlier ones', () => {
    const { cache, changes } = cacheOf([e(1, 5n), e(2, 10n), e(3, 20n)]);
    cache.truncateFromStart(3n);
    assert.equal(changes(), 0, 'below the first entry: nothing to do');
    cache.truncateFromStart(15n);
    assert.deepEqual(cache.epochEntries(), [e(2, 15n), e(3, 20n)]);
    cache.truncateFromStart(15n);
    assert.equal(changes(), 1, 'the first entry starts there already');
    cache.truncateFromStart(20n);
    assert.deepEqual(cache.epochEntries(), [e(3, 20n)], 'an entry starting exactly at the new start stays (Kafka: exclusive)');
    cache.truncateFromStart(40n);
    assert.deepEqual(cache.epochEntries(), [e(3, 40n)]);
  });

  it('clear forgets everything', () => {
    const { cache, changes } = cacheOf([e(1, 0n)]);
    cache.clear();
    cache.clear();
    assert.deepEqual(cache.epochEntries(), []);
    assert.equal(changes(), 1);
  });
});

describe('LeaderEpochCache.endOffsetFor (OffsetForLeaderEpoch)', () => {
  const { cache } = cacheOf([e(1, 5n), e(3, 10n), e(5, 20n)]);
  const logEnd = 30n;
  const cases: [string, number, number, bigint][] = [
    ['the latest epoch ends at the log end', 5, 5, 30n],
    ['a known epoch ends where the next one starts', 3, 3, 20n],
    ['an unknown epoch between two: the one below it, ending where the one above starts', 4, 3, 20n],
    ['another one between', 2, 1, 10n],
    ['below the first known epoch: itself, ending where the first starts (Kafka)', 0, 0, 5n],
    ['above the latest: undefined', 6, -1, -1n],
    ['the undefined epoch: undefined', -1, -1, -1n],
  ];
  for (const [what, requested, epoch, endOffset] of cases) {
    it(what, () => assert.deepEqual(cache.endOffsetFor(requested, logEnd), { epoch, endOffset }));
  }

  it('an empty cache knows no epoch', () => {
    assert.deepEqual(new LeaderEpochCache().endOffsetFor(0, 10n), { epoch: -1, endOffset: -1n });
  });
});

describe('leader-epoch-checkpoint format (Kafka\'s LeaderEpochCheckpointFile)', () => {
  it('writes the version, the count and one "epoch startOffset" line per entry', () => {
    assert.equal(encodeLeaderEpochCheckpoint([e(0, 0n), e(3, 1520n)]).toString(), '0\n2\n0 0\n3 1520\n');
    assert.equal(encodeLeaderEpochCheckpoint([]).toString(), '0\n0\n');
  });

  it('reads what it writes, and Kafka\'s whitespace', () => {
    const entries = [e(0, 0n), e(7, 9_007_199_254_740_993n)];
    assert.deepEqual(decodeLeaderEpochCheckpoint(encodeLeaderEpochCheckpoint(entries).toString()), entries);
    assert.deepEqual(decodeLeaderEpochCheckpoint('0\n1\n2   40\n'), [e(2, 40n)]);
  });

  for (const [what, text] of [
    ['another version', '1\n0\n'],
    ['fewer entries than declared', '0\n2\n0 0\n'],
    ['more entries than declared', '0\n1\n0 0\n1 5\n'],
    ['a malformed line', '0\n1\n0,0\n'],
    ['a negative offset', '0\n1\n0 -1\n'],
    ['an empty file', ''],
  ] as const) {
    it(`refuses ${what}`, () => assert.throws(() => decodeLeaderEpochCheckpoint(text), CheckpointFormatError));
  }
});
