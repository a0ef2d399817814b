import assert from 'node:assert/strict';
import { it } from 'node:test';
import { generateAll, staleFiles } from '../../codegen/generate.js';

it('committed generated codecs match what the generator writes from the specs', () => {
  const stale = staleFiles(generateAll());
  assert.deepEqual(stale, [], `out of date (run npm run codegen): ${stale.join(', ')}`);
});
