/**
 * The in-memory test broker: `startBroker({ storage: 'memory' })` and `samsa broker --storage
 * memory` serve real clients and touch no file system; hundreds started and closed in one process
 * leave no handles, timers or memory behind.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../../src/broker/broker.js';
import { kcat } from '../helpers/kcat.js';
import { SAMSA_BIN, tempDir } from '../helpers/test-broker.js';
import { gc } from '../helpers/memory.js';

describe('in-memory broker', { timeout: 120_000 }, () => {
  it('serves kafkajs and writes nothing to the file system', async () => {
    const parent = await tempDir();
    const dataDir = join(parent, 'never-created');
    const broker = await startBroker({ host: '127.0.0.1', port: 0, storage: 'memory', dataDir, logLevel: 'silent' });
    try {
      const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'memory-test', logLevel: logLevel.NOTHING });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'in-memory', messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${i % 7}`, value: `v${i}` })) });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: 'memory-group' });
      await consumer.connect();
      await consumer.subscribe({ topic: 'in-memory', fromBeginning: true });
      const values: string[] = [];
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) => {
              values.push(message.value!.toString());
              if (values.length === 100) resolve();
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
      assert.deepEqual(values.sort(), Array.from({ length: 100 }, (_, i) => `v${i}`).sort());
      assert.equal(broker.dataDir, dataDir);
      assert.equal(existsSync(dataDir), false, 'the data directory exists only in memory');
    } finally {
      await broker.close();
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('samsa broker --storage memory serves kcat and leaves no data directory', async () => {
    const parent = await tempDir();
    const dataDir = join(parent, 'never-created');
    const child = spawn(process.execPath, [SAMSA_BIN(), 'broker', '--port', '0', '--storage', 'memory', '--data-dir', dataDir, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const bootstrap = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += String(d);
          const m = / ready on (\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      await kcat(['-b', bootstrap, '-P', '-t', 'mem', '-p', '0'], 'a\nb\nc\n');
      const read = await kcat(['-b', bootstrap, '-C', '-t', 'mem', '-p', '0', '-o', 'beginning', '-c', '3', '-e']);
      assert.deepEqual(read.split('\n').filter(Boolean), ['a', 'b', 'c']);
      assert.equal(existsSync(dataDir), false);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('starts and closes 200 brokers in one process without leaking handles, timers or memory', async () => {
    const cycle = async () => {
      const b = await startBroker({ host: '127.0.0.1', port: 0, storage: 'memory', logLevel: 'silent' });
      await b.close();
    };
    // Closed listeners leave the active list a few ticks after their close callback.
    const settled = async (atMost: number) => {
      for (let i = 0; i < 100 && process.getActiveResourcesInfo().length > atMost; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      return process.getActiveResourcesInfo().length;
    };
    for (let i = 0; i < 20; i++) await cycle();
    const resources = await settled(0);
    gc();
    const heap = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200; i++) await cycle();
    assert.equal(await settled(resources), resources, `active resources: ${process.getActiveResourcesInfo().join(', ')}`);
    gc();
    const grown = process.memoryUsage().heapUsed - heap;
    // A leak of one broker's structures (50 partitions, a group coordinator) per cycle would be tens of MB.
    assert.ok(grown < 8 * 1024 * 1024, `heap grew ${(grown / 1048576).toFixed(1)} MB over 200 brokers`);
  });
});
