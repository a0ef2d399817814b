/**
 * Samsa's consumer in groups against an in-process broker: queue mode (three members split six
 * partitions, nothing twice, and the group resumes from its commits), pub/sub across groups, a
 * departing member's partitions taken over, cooperative-sticky revoking only what moves, a Samsa
 * member sharing a range group with a kcat member, and seek, pause/resume and manual commits.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { type Consumer, type ConsumerOptions, type ConsumerRecord, SamsaClient, type TopicPartition } from '../../src/client/index.js';
import { type SentinelRecord, awaitSentinels } from '../helpers/sentinels.js';
import { testBroker } from '../helpers/test-broker.js';
import { GROUP_TEST_CONFIG, waitFor } from '../group/kafkajs-helpers.js';

interface Running {
  consumer: Consumer;
  records: ConsumerRecord[];
  assigned: TopicPartition[][];
  revoked: TopicPartition[][];
  done: Promise<void>;
}

const FAST: ConsumerOptions = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 200, maxWaitMs: 100, autoOffsetReset: 'earliest', autoCommitIntervalMs: 200 };
const values = (rs: ConsumerRecord[]) => rs.map((r) => r.value!.toString());
const names = (tps: TopicPartition[]) => tps.map((t) => `${t.topic}-${t.partition}`).sort();

describe('Samsa consumer groups', { timeout: 180_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let client: SamsaClient;
  before(async () => {
    broker = await testBroker({ config: GROUP_TEST_CONFIG });
    client = new SamsaClient({ bootstrapServers: [broker.bootstrap] });
  });
  after(async () => {
    await client.close();
    await broker.stop();
  });

  function run(groupId: string, topic: string | RegExp, options: ConsumerOptions = {}): Running {
    const r: Running = { records: [], assigned: [], revoked: [], consumer: undefined as unknown as Consumer, done: Promise.resolve() };
    r.consumer = client.consumer({ ...FAST, groupId, ...options, onPartitionsAssigned: (p) => void r.assigned.push(p), onPartitionsRevoked: (p) => void r.revoked.push(p) });
    r.consumer.subscribe(topic);
    r.done = (async () => {
      for await (const record of r.consumer) r.records.push(record);
    })();
    return r;
  }

  async function stop(...rs: Running[]): Promise<void> {
    await Promise.all(rs.map((r) => r.consumer.close()));
    await Promise.all(rs.map((r) => r.done));
  }

  async function produce(topic: string, prefix: string, n: number): Promise<string[]> {
    const vs = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    await client.producer().send(topic, vs.map((value, i) => ({ key: `k${i}`, value })));
    return vs;
  }

  const sendTo = (topic: string) => (records: SentinelRecord[]) => client.producer().send(topic, records);

  it('queue: three members split six partitions, read everything once, and the group resumes from its commits', async () => {
    await client.admin().createTopics([{ name: 'queue', partitions: 6 }]);
    const members = [run('workers', 'queue'), run('workers', 'queue'), run('workers', 'queue')];
    await waitFor('three members with two partitions each', async () => {
      const g = await client.admin().describeGroup('workers');
      return g.state === 'Stable' && g.members.length === 3 && g.members.every((m) => (m.assignment['queue'] ?? []).length === 2);
    });
    const sent = await produce('queue', 'q', 600);
    await waitFor('600 records', () => members.reduce((n, m) => n + m.records.length, 0) >= 600);
    const delivered = () => members.flatMap((m) => values(m.records));
    const isSentinel = await awaitSentinels('queue', 6, sendTo('queue'), [delivered]);
    const all = delivered().filter((v) => !isSentinel(v));
    assert.equal(all.length, 600, 'nothing twice');
    assert.deepEqual(all.sort(), [...sent].sort());
    const partitionsOf = (m: Running) => new Set(m.records.map((r) => r.partition));
    assert.ok(members.every((m, i) => members.every((o, j) => i === j || [...partitionsOf(m)].every((p) => !partitionsOf(o).has(p)))), 'no partition read by two members');
    await stop(...members);

    const whileDown = await produce('queue', 'down', 1000);
    const back = run('workers', 'queue');
    await waitFor('the 1,000 records produced while down', () => back.records.length >= 1000);
    const isSentinelBack = await awaitSentinels('queue', 6, sendTo('queue'), [() => values(back.records)]);
    assert.deepEqual(values(back.records).filter((v) => !isSentinelBack(v)).sort(), [...whileDown].sort(), 'exactly those');
    await stop(back);
  });

  it('pub/sub: members of two groups each read every record', async () => {
    await client.admin().createTopics([{ name: 'news', partitions: 3 }]);
    const a = run('readers-a', 'news');
    const b = run('readers-b', /^new/);
    const sent = await produce('news', 'n', 300);
    await waitFor('both groups to read 300', () => a.records.length >= 300 && b.records.length >= 300);
    const isSentinel = await awaitSentinels('news', 3, sendTo('news'), [() => values(a.records), () => values(b.records)]);
    assert.deepEqual(values(a.records).filter((v) => !isSentinel(v)).sort(), [...sent].sort());
    assert.deepEqual(values(b.records).filter((v) => !isSentinel(v)).sort(), [...sent].sort());
    await stop(a, b);
  });

  it("a member that leaves has its partitions taken over and nothing is lost", async () => {
    await client.admin().createTopics([{ name: 'handover', partitions: 4 }]);
    const stays = run('handover', 'handover');
    const leaves = run('handover', 'handover');
    await waitFor('two members', async () => (await client.admin().describeGroup('handover')).members.length === 2 && stays.assigned.length > 0 && leaves.assigned.length > 0);
    const first = await produce('handover', 'a', 200);
    await waitFor('200 read', () => stays.records.length + leaves.records.length >= 200);
    await stop(leaves);
    await waitFor('the survivor to own all four', async () => {
      const g = await client.admin().describeGroup('handover');
      return g.state === 'Stable' && g.members.length === 1 && (g.members[0]!.assignment['handover'] ?? []).length === 4;
    });
    const second = await produce('handover', 'b', 200);
    await waitFor('the rest read by the survivor', () => values(stays.records).filter((v) => v.startsWith('b-')).length >= 200);
    const read = new Set([...values(stays.records), ...values(leaves.records)]);
    assert.ok([...first, ...second].every((v) => read.has(v)), 'nothing lost');
    await stop(stays);
  });

  it('cooperative-sticky: a joining member takes half, and the first member revokes only those', async () => {
    await client.admin().createTopics([{ name: 'coop', partitions: 4 }]);
    const first = run('coop', 'coop', { assignors: ['cooperative-sticky'] });
    await waitFor('the first member to own all four', () => first.assigned.flat().length === 4);
    await produce('coop', 'a', 100);
    const second = run('coop', 'coop', { assignors: ['cooperative-sticky'] });
    await waitFor('two members with two each', async () => {
      const g = await client.admin().describeGroup('coop');
      return g.state === 'Stable' && g.protocol === 'cooperative-sticky' && g.members.every((m) => (m.assignment['coop'] ?? []).length === 2) && second.assigned.flat().length === 2;
    });
    assert.equal(first.revoked.flat().length, 2, 'only the two partitions that moved were revoked');
    assert.deepEqual(names(first.revoked.flat()), names(second.assigned.flat()), 'what the first gave up is what the second got');
    const after = await produce('coop', 'b', 200);
    await waitFor('everything read', () => new Set([...values(first.records), ...values(second.records)]).size >= 300);
    const read = new Set([...values(first.records), ...values(second.records)]);
    assert.ok(after.every((v) => read.has(v)));
    await stop(first, second);
  });

  it('shares a range group with a kcat (librdkafka) member', async () => {
    await client.admin().createTopics([{ name: 'mixed', partitions: 4 }]);
    const samsa = run('mixed', 'mixed', { assignors: ['range'] });
    const kcatMember = spawn('kcat', ['-b', broker.bootstrap, '-G', 'mixed', '-X', 'partition.assignment.strategy=range', '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=200', '-X', 'auto.offset.reset=earliest', '-X', 'fetch.wait.max.ms=100', '-q', '-u', '-f', '%p %s\n', 'mixed'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let kcatOut = '';
    kcatMember.stdout.on('data', (d) => (kcatOut += String(d)));
    try {
      await waitFor('two members sharing four partitions', async () => {
        const g = await client.admin().describeGroup('mixed');
        return g.state === 'Stable' && g.members.length === 2 && g.members.every((m) => (m.assignment['mixed'] ?? []).length === 2);
      }, 60_000);
      const sent = await produce('mixed', 'm', 400);
      const kcatValues = () => kcatOut.split('\n').filter(Boolean).map((l) => l.split(' ')[1]!);
      await waitFor('400 records between them', () => samsa.records.length + kcatValues().length >= 400, 60_000);
      const isSentinel = await awaitSentinels('mixed', 4, sendTo('mixed'), [() => [...values(samsa.records), ...kcatValues()]]);
      assert.deepEqual([...values(samsa.records), ...kcatValues()].filter((v) => !isSentinel(v)).sort(), [...sent].sort(), 'each record read once, by one of them');
      assert.ok(samsa.records.length > 0 && kcatValues().length > 0);
    } finally {
      kcatMember.kill('SIGTERM');
      await new Promise((r) => kcatMember.once('exit', r));
      await stop(samsa);
    }
  });

  it('seek, pause and resume, and manual commits', async () => {
    await client.admin().createTopics([{ name: 'manual', partitions: 2 }]);
    await client.producer().send('manual', Array.from({ length: 20 }, (_, i) => ({ value: `m${i}`, partition: i % 2 })));
    const c = client.consumer({ ...FAST, groupId: 'manual', autoCommit: false });
    c.assign([{ topic: 'manual', partition: 0 }, { topic: 'manual', partition: 1 }]);
    c.pause([{ topic: 'manual', partition: 1 }]);
    await c.seek('manual', 0, 5n);
    const it = c[Symbol.asyncIterator]();
    const got: ConsumerRecord[] = [];
    for (let i = 0; i < 5; i++) got.push((await it.next()).value as ConsumerRecord);
    assert.deepEqual(got.map((r) => [r.partition, r.offset]), [5n, 6n, 7n, 8n, 9n].map((o) => [0, o]), 'partition 1 is paused; partition 0 starts at the seek');
    c.resume([{ topic: 'manual', partition: 1 }]);
    const next = (await it.next()).value as ConsumerRecord;
    assert.equal(next.partition, 1);
    await c.commit([{ topic: 'manual', partition: 0, offset: 8n }]);
    await c.commit();
    const committed = await client.admin().fetchOffsets('manual', ['manual']);
    assert.deepEqual(committed.map((o) => [o.partition, o.offset]), [[0, 10n], [1, 1n]], 'commit() commits past every record handed out, the last one included');
    await c.close();
  });
});
