/**
 * The partition layer codes against a narrow view of the log (PartitionLogPort in
 * src/broker/partitions/partition.ts). This fails to compile if PartitionLog stops satisfying it,
 * and checks at run time that the error the fetch path looks for is the one reads throw.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { PartitionLogPort } from '../../src/broker/partitions/partition.js';
import { batch, withLog } from './helpers.js';

it('PartitionLog satisfies the view the partition layer uses', async () => {
  await withLog({}, async (log) => {
    const view: PartitionLogPort = log;
    await view.append(batch(['a']));
    await assert.rejects(view.read(5n, 100), (e: { code?: string }) => e.code === 'SAMSA_OFFSET_OUT_OF_RANGE');
    assert.equal(typeof view.sizeInBytes, 'number');
  });
});
