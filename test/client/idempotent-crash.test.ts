/**
 * The idempotent producer keeps writing while its broker (a child process, fsync before ack) is
 * killed with SIGKILL twice and restarted on the same port: every send resolves, and the log
 * holds every record exactly once, each key's records in the order they were sent. kafkajs reads
 * it back up to the log end offsets. Sends are outstanding at each kill (asserted). The control,
 * executed: without idempotence a batch the broker wrote but never acknowledged is retried and
 * written again (test/client/idempotent-producer.test.ts, "a lost answer is retried and written
 * once; without idempotence the same loss writes it twice", deterministic through a proxy that
 * loses the answer).
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SamsaClient } from '../../src/client/index.js';
import { readToLogEnd } from '../helpers/read-to-log-end.js';
import { childBroker, freePort, tempDir } from '../helpers/test-broker.js';

const KEYS = 10;
const SENDS = 400;
const PER_SEND = 100;
/** Values are padded to this size so that batches are still being written when the broker dies. */
const VALUE_BYTES = 1000;

describe('idempotent producer through broker crashes', { timeout: 180_000 }, () => {
  it('two kill -9 mid-stream: every send resolves, every record once, each key in order', async () => {
    const dir = await tempDir();
    const port = await freePort();
    const args = ['--port', String(port), '-o', 'samsa.log.fsync.before.ack=true'];
    let broker = await childBroker(dir, args);
    const client = new SamsaClient({ bootstrapServers: [broker.bootstrap], requestTimeoutMs: 5000, retry: { retries: 30, initialBackoffMs: 50 } });
    try {
      await client.admin().createTopics([{ name: 'crash', partitions: 2 }]);
      const producer = client.producer({ retries: 200, retryBackoffMs: 50, timeoutMs: 5000, batchSize: 16 * 1024, lingerMs: 1 });
      let kills = 0;
      let issued = 0;
      let outstanding = 0;
      const outstandingAtKills: number[] = [];
      const killer = (async () => {
        // Once a quarter, then three quarters, of the sends are issued, at a moment some are unanswered.
        for (const at of [SENDS / 4, (SENDS * 3) / 4]) {
          for (let i = 0; i < 10_000 && (issued < at || outstanding === 0); i++) await sleep(1);
          outstandingAtKills.push(outstanding);
          await broker.kill('SIGKILL');
          kills++;
          broker = await childBroker(dir, args);
        }
      })();
      const sends: Promise<unknown>[] = [];
      for (let s = 0; s < SENDS; s++) {
        const records = Array.from({ length: PER_SEND }, (_, j) => {
          const n = s * PER_SEND + j;
          return { key: `k${n % KEYS}`, value: String(n).padEnd(VALUE_BYTES) };
        });
        issued++;
        outstanding++;
        sends.push(producer.send('crash', records).finally(() => outstanding--));
        await sleep(3);
      }
      await killer;
      await Promise.all(sends);
      assert.equal(kills, 2);
      assert.ok(outstandingAtKills.every((n) => n > 0), `sends outstanding at each kill: ${outstandingAtKills.join(', ')}`);
      // Read up to the log end offsets: a record written twice is in `got`, however late it arrives.
      const got = (await readToLogEnd(broker.bootstrap, 'crash', 'crash-witness')).map((r) => ({ key: r.key!, value: Number(r.value.trimEnd()) }));
      assert.equal(got.length, SENDS * PER_SEND, 'nothing written twice');
      assert.equal(new Set(got.map((r) => r.value)).size, SENDS * PER_SEND, 'every record once');
      const last = new Map<string, number>();
      for (const r of got) {
        assert.ok(r.value > (last.get(r.key) ?? -1), `${r.key}: ${r.value} after ${last.get(r.key)}`);
        last.set(r.key, r.value);
      }
    } finally {
      await client.close();
      await broker.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
