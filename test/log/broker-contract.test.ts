/**
 * The broker codes against narrow views of the log layer (src/broker/partition-logs.ts and
 * topic-manager.ts). This fails to compile if LogManager or PartitionLog stop satisfying them,
 * and checks at run time that the error the fetch handler looks for is the one reads throw.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { LogsView, PartitionLogView } from '../../src/broker/partition-logs.js';
import type { PartitionStore } from '../../src/broker/topic-manager.js';
import { batch, withLog } from './helpers.js';

it('LogManager and PartitionLog satisfy the views the broker uses', async () => {
  await withLog({}, async (log, { manager }) => {
    const logs: LogsView = manager;
    const store: PartitionStore = manager;
    const view: PartitionLogView = log;
    assert.equal(logs.getLog('t', 0), view);
    await store.createLog('u', 0, log.config);
    await view.append(batch(['a']));
    await assert.rejects(view.read(5n, 100), (e: { code?: string }) => e.code === 'SAMSA_OFFSET_OUT_OF_RANGE');
    assert.equal(typeof view.sizeInBytes, 'number');
  });
});
