/**
 * The CRC thread's verdicts (src/client/consumer/crc-thread.ts): per byte range, how far the
 * batches were intact and where the first CRC mismatch is, with a truncated tail and a range that
 * starts mid-frame; the frame is transferred (detached here) and comes back byte for byte.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkOnCrcThread, crcThreadAvailable } from '../../src/client/consumer/crc-thread.js';
import { crc32c } from '../../src/protocol/primitives/crc32c.js';
import { ATTRIBUTES_OFFSET, encodeUncompressedRecordBatch } from '../../src/protocol/records/index.js';

const batch = (baseOffset: bigint) => encodeUncompressedRecordBatch({ baseOffset, records: Array.from({ length: 20 }, (_, i) => ({ value: Buffer.alloc(300, i) })) });

describe('CRC thread', { skip: crcThreadAvailable() ? false : 'no native CRC-32C here' }, () => {
  it('reports intact batches up to the first mismatch, per range, and gives the frame back unchanged', async () => {
    const batches = [batch(0n), batch(20n), batch(40n), batch(60n)];
    const starts = batches.map((_, i) => batches.slice(0, i).reduce((n, b) => n + b.length, 0));
    const tail = batch(80n).subarray(0, 100); // a truncated batch, as a fetch answer may end
    const frameBuf = Buffer.allocUnsafeSlow(starts[3]! + batches[3]!.length + tail.length);
    Buffer.concat([...batches, tail]).copy(frameBuf);
    const corruptAt = starts[1]! + 200;
    frameBuf[corruptAt] = frameBuf[corruptAt]! ^ 0x5a;
    const expected = Buffer.from(frameBuf);
    const computed = crc32c(expected.subarray(starts[1]! + ATTRIBUTES_OFFSET, starts[2]!));

    const back = await checkOnCrcThread(frameBuf.buffer as ArrayBuffer, [
      [0, frameBuf.length],
      [starts[2]!, frameBuf.length],
      [starts[3]!, starts[3]! + batches[3]!.length],
    ]);
    assert.equal(frameBuf.buffer.byteLength, 0, 'the frame was transferred, not copied');
    assert.ok(Buffer.from(back.frame).equals(expected), 'the frame comes back byte for byte');
    assert.deepEqual(back.verdicts, [
      { goodEnd: starts[1], mismatchAt: starts[1], computed },
      { goodEnd: starts[3]! + batches[3]!.length, mismatchAt: -1, computed: 0 },
      { goodEnd: starts[3]! + batches[3]!.length, mismatchAt: -1, computed: 0 },
    ]);
  });

  it('stops at bytes that are not a v2 batch (the consumer reports them itself)', async () => {
    const good = batch(0n);
    const frameBuf = Buffer.allocUnsafeSlow(good.length * 2);
    good.copy(frameBuf, 0);
    good.copy(frameBuf, good.length);
    frameBuf[good.length + 16] = 1; // magic 1
    const back = await checkOnCrcThread(frameBuf.buffer as ArrayBuffer, [[0, good.length * 2]]);
    assert.deepEqual(back.verdicts, [{ goodEnd: good.length, mismatchAt: -1, computed: 0 }]);
  });
});
