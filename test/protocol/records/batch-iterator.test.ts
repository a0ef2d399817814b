import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type BatchSpan,
  InvalidBatchError,
  MAGIC_OFFSET,
  encodeUncompressedRecordBatch,
  iterateBatches,
} from '../../../src/protocol/records/index.js';

function batches(): Buffer[] {
  return [0n, 1n, 3n].map((baseOffset, i) =>
    encodeUncompressedRecordBatch({ baseOffset, records: Array.from({ length: i + 1 }, (_, j) => ({ value: Buffer.alloc(10 * j + 1, i) })) }),
  );
}

function summary(spans: Iterable<BatchSpan>): Array<[boolean, number, number | null]> {
  return [...spans].map((s) => [s.complete, s.position, s.sizeInBytes]);
}

describe('iterateBatches', () => {
  it('yields each batch of a concatenation with its position, size and header', () => {
    const bs = batches();
    const all = Buffer.concat(bs);
    const spans = [...iterateBatches(all)];
    assert.equal(spans.length, 3);
    let pos = 0;
    spans.forEach((s, i) => {
      assert.ok(s.complete);
      assert.equal(s.position, pos);
      assert.equal(s.sizeInBytes, bs[i]!.length);
      assert.equal(s.header.recordCount, i + 1);
      pos += bs[i]!.length;
    });
    assert.deepEqual([...iterateBatches(Buffer.alloc(0))], []);
  });

  it('reports a truncated trailing batch at every cut point, after the complete ones', () => {
    const bs = batches();
    const all = Buffer.concat(bs);
    const starts = [0, bs[0]!.length, bs[0]!.length + bs[1]!.length];
    for (let cut = 0; cut <= all.length; cut++) {
      const spans = [...iterateBatches(all.subarray(0, cut))];
      const complete = spans.filter((s) => s.complete);
      const expectedComplete = starts.filter((s, i) => s + bs[i]!.length <= cut).length;
      assert.equal(complete.length, expectedComplete, `cut ${cut}`);
      const last = spans[spans.length - 1];
      const atBoundary = cut === all.length || starts.includes(cut);
      if (atBoundary) {
        assert.ok(last === undefined || last.complete, `cut ${cut} is a batch boundary`);
      } else {
        assert.ok(last && !last.complete, `cut ${cut} leaves a partial batch`);
        assert.equal(last.position, starts[expectedComplete]);
        assert.equal(last.available, cut - last.position);
        assert.equal(last.sizeInBytes, last.available >= 12 ? bs[expectedComplete]!.length : null);
      }
    }
  });

  it('iterates a sub-range', () => {
    const bs = batches();
    const all = Buffer.concat([Buffer.alloc(5), ...bs]);
    assert.deepEqual(summary(iterateBatches(all, 5, 5 + bs[0]!.length + 3)), [
      [true, 5, bs[0]!.length],
      [false, 5 + bs[0]!.length, null],
    ]);
  });

  it('throws InvalidBatchError on a wrong magic or an impossible length, even mid-stream', () => {
    const bs = batches();
    const badMagic = Buffer.concat(bs);
    badMagic[bs[0]!.length + MAGIC_OFFSET] = 1;
    const it = iterateBatches(badMagic);
    assert.ok(it.next().value?.complete);
    assert.throws(() => it.next(), { reason: 'unsupported-magic' });
    const badLength = Buffer.from(bs[0]!);
    badLength.writeInt32BE(10, 8);
    assert.throws(() => [...iterateBatches(badLength)], { reason: 'invalid-batch-length' });
    assert.throws(() => [...iterateBatches(badLength, 0, badLength.length + 1)], InvalidBatchError, 'a range past the buffer');
  });
});
