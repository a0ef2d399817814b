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
