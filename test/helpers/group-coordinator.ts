/**
 * Waits until a group's coordinator is available. `__consumer_offsets` is created lazily, on the
 * first FindCoordinator for a group (as Kafka does), which answers COORDINATOR_NOT_AVAILABLE until
 * the topic exists and its partition is loaded; tests that need the topic ask as a client would.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { FindCoordinatorApi } from '../../src/protocol/messages/index.js';
import type { RawClient } from './raw-client.js';

/** Asks for `group`'s coordinator (bounded: 1,000 tries 10 ms apart) until it answers; returns its node id. */
export async function awaitGroupCoordinator(client: RawClient, group: string): Promise<number> {
  let last = -1;
  for (let i = 0; i < 1000; i++) {
    const c = (await client.send(FindCoordinatorApi, 4, { keyType: 0, coordinatorKeys: [group] })).coordinators[0]!;
    if (c.errorCode === ErrorCode.NONE) return c.nodeId;
    last = c.errorCode;
    await sleep(10);
  }
  assert.fail(`no coordinator for group ${group} (last error ${last})`);
}
