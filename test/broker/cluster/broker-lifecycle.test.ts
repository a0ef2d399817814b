/**
 * BrokerLifecycleManager's registration while the controller still holds a session of the id's
 * previous incarnation (DUPLICATE_BROKER_REGISTRATION, expected after a crash until the session
 * times out): it retries every heartbeat interval, said once at info and then at debug, not a
 * warning every interval.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { BrokerLifecycleManager } from '../../../src/broker/cluster/broker-lifecycle.js';
import { ManualClock } from '../../../src/common/clock.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';

test('a registration refused as a duplicate is retried each heartbeat interval, said once at info, then at debug', async () => {
  const clock = new ManualClock(1000);
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  let refusals = 3;
  const sent: number[] = [];
  const lifecycle = new BrokerLifecycleManager({
    nodeId: 2,
    clusterId: 'c',
    incarnationId: 'i',
    rack: null,
    endpoints: () => [],
    logDirs: [],
    channel: {
      send: (async () => {
        sent.push(clock.now());
        return refusals-- > 0 ? { errorCode: ErrorCode.DUPLICATE_BROKER_REGISTRATION, brokerEpoch: -1n } : { errorCode: ErrorCode.NONE, brokerEpoch: 7n };
      }) as never,
    },
    clock,
    heartbeatIntervalMs: 2000,
    requestTimeoutMs: 1000,
    metadataOffset: () => 8,
    whenMetadataAt: async () => undefined,
    logger,
  });
  const started = lifecycle.start();
  for (let i = 0; i < 10 && sent.length < 4; i++) {
    await new Promise((r) => setImmediate(r));
    clock.advance(2000);
  }
  await started;
  assert.deepEqual(sent, [1000, 3000, 5000, 7000]);
  assert.equal(lifecycle.brokerEpoch, 7n);
  const duplicates = lines.filter((l) => /still has a session/.test(l.msg)).map((l) => l.level);
  assert.deepEqual(duplicates, [30, 20, 20], 'info once, then debug');
});
