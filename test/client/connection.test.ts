/**
 * The client's connections: a broker restarted under the producer's feet is reconnected to and the
 * send retried (nothing lost, nothing twice), and a broker that never answers fails the request
 * after its timeout (SAMSA_REQUEST_TIMEOUT) instead of hanging.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { describe, it } from 'node:test';
import { SamsaClient, SamsaClientError } from '../../src/client/index.js';
import { childBroker, freePort, tempDir } from '../helpers/test-broker.js';

describe('client connections', { timeout: 60_000 }, () => {
  it('reconnects to a restarted broker and retries the send', async () => {
    const dir = await tempDir();
    const port = await freePort();
    let broker = await childBroker(dir, ['--port', String(port)]);
    // Short request timeouts: a request caught by the restart is given up on and retried well within
    // the test's time. (This test used to hang about one run in five: the producer's retry timer
    // fired a millisecond early by Date.now(), found the batch still backing off, and nothing woke
    // it again.)
    const client = new SamsaClient({ bootstrapServers: [broker.bootstrap], requestTimeoutMs: 5000, retry: { retries: 10, initialBackoffMs: 50 } });
    try {
      await client.admin().createTopics([{ name: 'survive', partitions: 1 }]);
      const producer = client.producer({ retries: 20, retryBackoffMs: 100, timeoutMs: 5000 });
      await producer.send('survive', { value: 'before' });
      await broker.kill('SIGTERM');
      const during = producer.send('survive', { value: 'during' });
      broker = await childBroker(dir, ['--port', String(port)]);
      await during;
      await producer.send('survive', { value: 'after' });
      const c = client.consumer({ autoOffsetReset: 'earliest', maxWaitMs: 100 });
      c.assign([{ topic: 'survive', partition: 0 }]);
      const got: string[] = [];
      for await (const r of c) if (got.push(r.value!.toString()) === 3) break;
      await c.close();
      assert.deepEqual(got, ['before', 'during', 'after']);
    } finally {
      await client.close();
      await broker.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails a request the broker never answers after its timeout', async () => {
    const silent = createServer((socket) => socket.on('data', () => {})).listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    const client = new SamsaClient({ bootstrapServers: [`127.0.0.1:${(silent.address() as AddressInfo).port}`], requestTimeoutMs: 300, retry: { retries: 1, initialBackoffMs: 10 } });
    const started = Date.now();
    try {
      await assert.rejects(client.admin().listTopics(), (err: unknown) => err instanceof SamsaClientError && (err.cause as SamsaClientError).code === 'SAMSA_REQUEST_TIMEOUT' && /not answered within its timeout/.test(err.message));
      assert.ok(Date.now() - started < 5000);
    } finally {
      await client.close();
      silent.close();
    }
  });
});
