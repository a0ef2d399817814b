/**
 * A consumer dies (SIGKILL: no LeaveGroup, its connection just drops) or leaves gracefully; the
 * surviving member of its group takes over every partition and consumes what is produced after.
 * A death is noticed after session.timeout.ms, a LeaveGroup at once.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { repoRoot } from '../helpers/repo-root.js';
import { testBroker } from '../helpers/test-broker.js';
import { GROUP_TEST_CONFIG, startConsumer, waitFor } from '../group/kafkajs-helpers.js';

/** A kafkajs consumer in its own process, reporting its assignments on stdout; SIGTERM makes it leave the group. */
const CHILD = `
import { Kafka, logLevel } from 'kafkajs';
const env = process.env;
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const kafka = new Kafka({ clientId: 'child', brokers: [env.BOOTSTRAP], logLevel: logLevel.NOTHING });
const c = kafka.consumer({ groupId: env.GROUP, sessionTimeout: Number(env.SESSION), heartbeatInterval: 300, maxWaitTimeInMs: 200 });
c.on(c.events.GROUP_JOIN, (e) => out({ event: 'assigned', partitions: e.payload.memberAssignment[env.TOPIC] ?? [] }));
process.on('SIGTERM', () => c.disconnect().then(() => process.exit(0)));
await c.connect();
await c.subscribe({ topic: env.TOPIC, fromBeginning: true });
await c.run({ eachMessage: async () => {} });
`;

interface ChildConsumer {
  process: ChildProcess;
  assigned: number[];
  exited: Promise<void>;
}

function childConsumer(bootstrap: string, group: string, topic: string, sessionMs: number): ChildConsumer {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { cwd: repoRoot(), env: { ...process.env, BOOTSTRAP: bootstrap, GROUP: group, TOPIC: topic, SESSION: String(sessionMs) }, stdio: ['ignore', 'pipe', 'inherit'] });
  const c: ChildConsumer = { process: child, assigned: [], exited: new Promise((resolve) => child.once('exit', () => resolve())) };
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += String(d);
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const msg = JSON.parse(buf.slice(0, nl)) as { event: string; partitions: number[] };
      buf = buf.slice(nl + 1);
      if (msg.event === 'assigned') c.assigned = msg.partitions;
    }
  });
  return c;
}

describe('consumer death and departure', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let kafka: Kafka;
  let producer: Producer;
  before(async () => {
    broker = await testBroker({ config: GROUP_TEST_CONFIG });
    kafka = new Kafka({ clientId: 'failover-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'killed', numPartitions: 4 }, { topic: 'left', numPartitions: 4 }] });
    await admin.disconnect();
  });
  after(async () => {
    await producer.disconnect();
    await broker.stop();
  });

  /** A child and an in-process survivor sharing the topic's four partitions. */
  async function twoMembers(group: string, topic: string, sessionMs: number) {
    const child = childConsumer(broker.bootstrap, group, topic, sessionMs);
    const survivor = await startConsumer(kafka, group, topic, { sessionTimeout: sessionMs });
    await waitFor('the child and the survivor to share the partitions', () => child.assigned.length === 2 && survivor.got.assigned.length === 2);
    return { child, survivor };
  }

  async function takeOver(survivor: Awaited<ReturnType<typeof startConsumer>>, topic: string): Promise<number> {
    const t0 = Date.now();
    await waitFor('the survivor to own all four partitions', () => survivor.got.assigned.length === 4, 30_000);
    const tookMs = Date.now() - t0;
    const values = Array.from({ length: 200 }, (_, i) => `after-${i}`);
    await producer.send({ topic, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
    await waitFor('everything produced after the takeover', () => values.every((v) => survivor.got.values.includes(v)));
    return tookMs;
  }

  it('a consumer killed with SIGKILL is replaced within the session timeout plus a margin', async () => {
    const sessionMs = 3000;
    const { child, survivor } = await twoMembers('killed-group', 'killed', sessionMs);
    try {
      child.process.kill('SIGKILL');
      await child.exited;
      const tookMs = await takeOver(survivor, 'killed');
      assert.ok(tookMs < sessionMs + 3000, `took over in ${tookMs} ms`);
      assert.ok(tookMs >= sessionMs - 1000, `a death is only noticed at the session timeout, not after ${tookMs} ms`);
    } finally {
      await survivor.consumer.disconnect();
    }
  });

  it('a graceful leave rebalances well before the session timeout', async () => {
    const sessionMs = 20_000;
    const { child, survivor } = await twoMembers('left-group', 'left', sessionMs);
    try {
      child.process.kill('SIGTERM');
      await child.exited;
      const tookMs = await takeOver(survivor, 'left');
      assert.ok(tookMs < sessionMs / 4, `took over in ${tookMs} ms`);
    } finally {
      await survivor.consumer.disconnect();
    }
  });
});
