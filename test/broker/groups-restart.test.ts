/**
 * Committed offsets and group state survive a broker restart, clean (SIGTERM) or not (kill -9):
 * a `samsa broker` child process is stopped while a kafkajs group is consuming; after the
 * restart DescribeGroups shows the group as it was (Stable, its member and assignment), the
 * committed offsets read the same, and the group resumes exactly where it committed.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { awaitSentinels } from '../helpers/sentinels.js';
import { childBroker, tempDir } from '../helpers/test-broker.js';
import { startConsumer, waitFor } from '../group/kafkajs-helpers.js';

const OVERRIDES = ['-o', 'group.initial.rebalance.delay.ms=100', 'group.min.session.timeout.ms=1000'];

async function committedTotal(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return t!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  describe(`groups across a broker restart (${signal})`, { timeout: 120_000 }, () => {
    it('keeps committed offsets and group metadata, and the group resumes where it committed', async () => {
      const dir = await tempDir();
      let broker = await childBroker(dir, OVERRIDES);
      try {
        const kafka = () => new Kafka({ clientId: 'restart-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
        let k = kafka();
        const admin = k.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: 'r', numPartitions: 3 }] });
        const producer = k.producer();
        await producer.connect();
        await producer.send({ topic: 'r', messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: `before-${i}` })) });
        await producer.disconnect();
        // The member gives up once its broker is gone instead of retrying forever (and keeping this file alive).
        const member = await startConsumer(k, 'survivor', 'r', { sessionTimeout: 30_000, restartOnFailure: false });
        await waitFor('the group to consume and commit all 100', async () => (await committedTotal(k, 'survivor', 'r')) === 100);
        const before = (await admin.describeGroups(['survivor'])).groups[0]!;
        const offsetsBefore = await admin.fetchOffsets({ groupId: 'survivor', topics: ['r'] });
        await admin.disconnect();
        assert.equal(before.state, 'Stable');

        await broker.kill(signal);
        // The consumer cannot reach the broker any more: stop it, and wait for it at the end.
        const stopped = member.consumer.disconnect().catch(() => undefined);
        broker = await childBroker(dir, OVERRIDES);
        k = kafka();
        const admin2 = k.admin();
        await admin2.connect();
        const after = (await admin2.describeGroups(['survivor'])).groups[0]!;
        assert.equal(after.state, 'Stable', 'the group is as it was, its member not yet expired');
        assert.equal(after.protocol, before.protocol);
        assert.deepEqual(after.members.map((m) => [m.memberId, m.clientId, m.memberAssignment]), before.members.map((m) => [m.memberId, m.clientId, m.memberAssignment]));
        assert.deepEqual(await admin2.fetchOffsets({ groupId: 'survivor', topics: ['r'] }), offsetsBefore);

        // The old member's session runs out; a new one resumes after the committed offsets.
        const producer2 = k.producer();
        await producer2.connect();
        await producer2.send({ topic: 'r', messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `after-${i}` })) });
        await admin2.disconnect();
        const back = await startConsumer(k, 'survivor', 'r', { sessionTimeout: 6000 });
        try {
          await waitFor('the 50 new records', () => back.got.values.length >= 50, 60_000);
          const isSentinel = await awaitSentinels('r', 3, (messages) => producer2.send({ topic: 'r', messages }), [() => back.got.values]);
          assert.deepEqual(back.got.values.filter((v) => !isSentinel(v)).sort(), Array.from({ length: 50 }, (_, i) => `after-${i}`).sort());
        } finally {
          await producer2.disconnect();
          await back.consumer.disconnect();
          await stopped;
        }
      } finally {
        await broker.kill('SIGTERM');
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
