/**
 * One broker per data directory (Disk.lockDirectory, as Kafka's `.lock`): a second `samsa broker`
 * on a directory in use exits at once with Kafka's "Failed to acquire lock" and leaves the first
 * serving, its records whole and its clean close clean (before the lock, the second broker removed
 * the first's temporary checkpoint files and both wrote the same logs); a broker killed with
 * SIGKILL leaves no stale lock behind. Checked with kafkajs.
 */
import assert from 'node:assert/strict';
import { rm, symlink } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { DirectoryInUseError } from '../../src/storage/index.js';
import { childBroker, tempDir, testBroker } from '../helpers/test-broker.js';

const TOPIC = 'locked';
const kafka = (bootstrap: string) => new Kafka({ clientId: 'lock-test', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });

async function produce(bootstrap: string, from: number, count: number): Promise<void> {
  const producer = kafka(bootstrap).producer();
  await producer.connect();
  try {
    await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })) });
  } finally {
    await producer.disconnect();
  }
}

/** Every value of the topic's partition 0, read from the beginning by a fresh kafkajs consumer group, until `count` arrived. */
async function consumeAll(bootstrap: string, count: number): Promise<string[]> {
  const consumer = kafka(bootstrap).consumer({ groupId: `g-${Math.random().toString(36).slice(2)}` });
  await consumer.connect();
  const values: string[] = [];
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${values.length} of ${count} records in 30 s`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          values.push(String(message.value));
          if (values.length === count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

const expected = (count: number) => Array.from({ length: count }, (_, i) => `v${i}`);

describe('one broker per data directory', { timeout: 180_000 }, () => {
  it('refuses a second samsa broker on a directory in use (also through a symbolic link); the first serves on and closes cleanly; SIGKILL leaves no stale lock', async () => {
    const dir = await tempDir();
    const link = `${dir}-link`;
    await symlink(dir, link);
    const first = await childBroker(dir);
    let restarted: Awaited<ReturnType<typeof childBroker>> | undefined;
    try {
      const admin = kafka(first.bootstrap).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
      await admin.disconnect();
      await produce(first.bootstrap, 0, 100);

      for (const path of [dir, link]) {
        // A second broker that did start is stopped before the assertion fails, not left running.
        const refused = await childBroker(path).then(
          (b) => b.kill('SIGKILL').then(() => undefined),
          (err: Error) => err,
        );
        assert.match(String(refused?.message), /broker exited with 1: samsa: Failed to acquire lock on .*another broker in this or another process is using this directory/);
      }

      await produce(first.bootstrap, 100, 100);
      assert.deepEqual(await consumeAll(first.bootstrap, 200), expected(200));
      assert.equal(await first.kill('SIGTERM'), 0, 'the first broker closes cleanly');

      const second = await childBroker(dir);
      await produce(second.bootstrap, 200, 50);
      await second.kill('SIGKILL');
      // At once: the kernel freed the lock with the killed process.
      restarted = await childBroker(dir);
      assert.deepEqual(await consumeAll(restarted.bootstrap, 250), expected(250));
    } finally {
      await first.kill('SIGKILL');
      await restarted?.kill('SIGKILL');
      await rm(link, { force: true });
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a second broker in the same process until the first is closed', async () => {
    const dir = await tempDir();
    const first = await testBroker({ dataDir: dir });
    try {
      await assert.rejects(testBroker({ dataDir: dir }), (err: unknown) => err instanceof DirectoryInUseError && err.path === dir);
      const admin = kafka(first.bootstrap).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
      assert.deepEqual(await admin.listTopics(), [TOPIC]);
      await admin.disconnect();
      await first.stop();
      const next = await testBroker({ dataDir: dir });
      await next.stop();
    } finally {
      await first.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
