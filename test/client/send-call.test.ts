/**
 * SendCall: the one promise of a producer's `send` call, settled by its records' answers in any
 * order (partitions answer independently): metadata in the call's order once every record is
 * acknowledged, the first failure otherwise, and nothing after the call was abandoned.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SendCall } from '../../src/client/producer/partition-queue.js';
import type { RecordMetadata } from '../../src/client/producer/producer-types.js';

const meta = (offset: bigint): RecordMetadata => ({ topic: 't', partition: 0, offset, logAppendTime: -1n });

function call(count: number) {
  let settled: { ok: RecordMetadata[] } | { err: Error } | undefined;
  const c = new SendCall(
    count,
    (ok) => (settled = { ok }),
    (err) => (settled = { err }),
  );
  return { c, settled: () => settled };
}

describe('SendCall', () => {
  it('resolves at once for no records', () => {
    const { settled } = call(0);
    assert.deepEqual(settled(), { ok: [] });
  });

  it("resolves once every record is acknowledged, with each one's metadata at its place in the call", () => {
    const { c, settled } = call(3);
    c.acknowledged(2, meta(9n));
    c.acknowledged(0, meta(4n));
    assert.equal(settled(), undefined, 'not before the last answer');
    c.acknowledged(1, meta(7n));
    assert.deepEqual(settled(), { ok: [meta(4n), meta(7n), meta(9n)] });
  });

  it('rejects with the first failure and ignores what comes after', () => {
    const { c, settled } = call(3);
    c.acknowledged(0, meta(1n));
    const first = new Error('first');
    c.failed(first);
    c.failed(new Error('second'));
    c.acknowledged(1, meta(2n));
    c.acknowledged(2, meta(3n));
    assert.deepEqual(settled(), { err: first });
  });

  it('settles nothing once abandoned (the call failed before all its records were queued)', () => {
    const { c, settled } = call(2);
    c.abandon();
    c.acknowledged(0, meta(1n));
    c.failed(new Error('late'));
    c.acknowledged(1, meta(2n));
    assert.equal(settled(), undefined);
  });
});
