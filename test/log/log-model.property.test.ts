/**
 * Random sequences of append / roll / retention / compaction / truncate / DeleteRecords / read /
 * reopen / crash on one log, checked after every step against an in-memory model of what was
 * acknowledged:
 * - offsets increase, and every record read is one that was appended, at its offset, unchanged;
 * - without compaction, every acknowledged record from the log start offset on is readable;
 * - with compaction, the latest record of every key is readable, and below the cleaner's
 *   checkpoint each key appears at most once;
 * - the leader epoch entries describe the batches in the log (appends are stamped with an epoch
 *   that a newLeaderEpoch step raises), whatever crashes and reopens came between.
 * PROPERTY_RUNS (default 30) sets the number of sequences.
 */
import { it } from 'node:test';
import fc from 'fast-check';
import { Harness, opArb } from './log-model.js';

// Found by the property with seed -1993556293: records deleted up to the log end, the log truncated
// there, a crash: recovery moved the leader epoch entry to the start offset of an empty log.
const DELETED_TO_END_THEN_CRASH = [
  { op: 'append', keys: [0] },
  { op: 'append', keys: [0, 0] },
  { op: 'deleteRecords', fraction: 1 / 3 },
  { op: 'truncate', back: 1 },
  { op: 'crash' },
  { op: 'append', keys: [0] },
  { op: 'append', keys: [0] },
  { op: 'truncate', back: 0 },
  { op: 'read', fraction: 0, maxBytes: 1 },
];

it('a log emptied by DeleteRecords and truncation recovers from a crash with no leader epoch entry past its end', async () => {
  const h = new Harness(false);
  await h.open();
  for (const o of DELETED_TO_END_THEN_CRASH) {
    await h.run(o as Parameters<Harness['run']>[0]);
    await h.checkInvariants();
  }
  await h.cleaner.stop();
  await h.manager.close();
});

for (const compact of [false, true]) {
  it(`random operation sequences keep the log consistent with the model (${compact ? 'compact' : 'delete'})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), async (ops) => {
        const h = new Harness(compact);
        await h.open();
        for (const o of ops) {
          await h.run(o);
          await h.checkInvariants();
        }
        await h.cleaner.stop();
        await h.manager.close();
      }),
      { numRuns: Number(process.env['PROPERTY_RUNS'] ?? 30), ...(process.env['PROPERTY_SEED'] ? { seed: Number(process.env['PROPERTY_SEED']) } : {}) },
    );
  });
}
