/**
 * librdkafka through kcat (Debian's kcat, installed by .ci/run) against a `samsa broker` child
 * process: metadata, 100,000 lines produced with each compression codec and consumed back
 * exactly, consuming from an offset and from a timestamp.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { kcat } from '../helpers/kcat.js';
import { type ChildBroker, childBroker, tempDir } from '../helpers/test-broker.js';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const LINES = 100_000;

describe('kcat (librdkafka) against samsa broker', { timeout: 240_000 }, () => {
  let dir: string;
  let broker: ChildBroker;
  before(async () => {
    dir = await tempDir();
    broker = await childBroker(dir, ['-o', 'num.partitions=1']);
  });
  after(async () => {
    await broker.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('lists metadata with -L', async () => {
    await kcat(['-b', broker.bootstrap, '-P', '-t', 'kcat-meta', '-p', '0'], 'x\n');
    const out = await kcat(['-b', broker.bootstrap, '-L', '-J']);
    const meta = JSON.parse(out) as { brokers: { id: number; name: string }[]; topics: { topic: string; partitions: { partition: number; leader: number }[] }[] };
    assert.deepEqual(meta.brokers.map((b) => b.id), [1]);
    const t = meta.topics.find((x) => x.topic === 'kcat-meta');
    assert.ok(t);
    assert.deepEqual(t.partitions.map((p) => [p.partition, p.leader]), [[0, 1]]);
  });

  for (const codec of CODECS) {
    it(`produces ${LINES} lines with ${codec} and consumes them back exactly`, async () => {
      const topic = `kcat-${codec}`;
      const lines = Array.from({ length: LINES }, (_, i) => `line ${i} ${codec} ${'abcdefghij'.repeat(i % 7)}`);
      await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0', '-z', codec, '-X', 'linger.ms=20'], lines.join('\n') + '\n');
      const out = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q']);
      const got = out.split('\n');
      assert.equal(got.pop(), '');
      assert.equal(got.length, LINES);
      assert.deepEqual(got, lines);
    });
  }

  it('consumes from an offset (-o N) and from a timestamp (-o s@ms)', async () => {
    const topic = 'kcat-seek';
    await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0'], Array.from({ length: 10 }, (_, i) => `a${i}`).join('\n') + '\n');
    await sleep(50);
    const t = Date.now();
    await sleep(50);
    await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0'], Array.from({ length: 10 }, (_, i) => `b${i}`).join('\n') + '\n');
    const fromOffset = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', '7', '-c', '4', '-e', '-q']);
    assert.deepEqual(fromOffset.trim().split('\n'), ['a7', 'a8', 'a9', 'b0']);
    const fromTime = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', `s@${t}`, '-e', '-q']);
    assert.deepEqual(fromTime.trim().split('\n'), Array.from({ length: 10 }, (_, i) => `b${i}`));
  });
});

