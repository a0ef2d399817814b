/**
 * The client takes its world as parameters (design principle 4): with a ManualClock, a scripted
 * Random and a recording Network, a producer's linger and retry backoff, a request's timeout, a
 * connect timeout, retry jitter and a consumer's auto-commit happen when the test moves the clock,
 * not when real time passes. The waits are set far beyond the real time each test may take
 * (a minute or more), so a timer left on the real clock would fail the test instead of passing it
 * slowly. The real clock's timers that a caller waits on keep a process alive; background ones do
 * not (checked in child processes).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { KafkaProtocolError, SamsaClient, SamsaClientError } from '../../src/client/index.js';
import { withRetries } from '../../src/client/retry.js';
import { ManualClock } from '../../src/common/clock.js';
import type { Network } from '../../src/network/network.js';
import { freePort, testBroker } from '../helpers/test-broker.js';
import { repoRoot } from '../helpers/repo-root.js';
import { RecordingNetwork } from './recording-network.js';

const PRODUCE = 0;
const METADATA = 3;
const JOIN_GROUP = 11;
/** Some time in 2025: record timestamps taken from the manual clock are then plausible. */
const START = 1_750_000_000_000;

/** Lets every callback that is ready run (microtasks and I/O), without moving any clock. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/** Polls `cond` on the real clock; fails after `ms`. */
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A promise whose state can be looked at. */
function track<T>(p: Promise<T>): { promise: Promise<T>; settled: boolean } {
  const t = { promise: p, settled: false };
  p.then(
    () => (t.settled = true),
    () => (t.settled = true),
  );
  return t;
}

/** `p`, or a failure after `ms` of real time. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} not done within ${ms} ms of real time`)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the client on an injected world', { timeout: 60_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  /** A client on the real world, to set up and to check. */
  let witness: SamsaClient;
  before(async () => {
    broker = await testBroker();
    witness = new SamsaClient({ bootstrapServers: [broker.bootstrap] });
  });
  after(async () => {
    await witness.close();
    await broker.stop();
  });

  async function valuesAndTimestamps(topic: string, count: number): Promise<[string, bigint][]> {
    const c = witness.consumer({ autoOffsetReset: 'earliest', maxWaitMs: 50 });
    c.assign([{ topic, partition: 0 }]);
    const got: [string, bigint][] = [];
    try {
      for await (const r of c) if (got.push([r.value!.toString(), r.timestamp]) === count) break;
    } finally {
      await c.close();
    }
    return got;
  }

  it('lingers on the injected clock and stamps records with its time, through the injected network', async () => {
    await witness.admin().createTopics([{ name: 'linger', partitions: 1 }]);
    const clock = new ManualClock(START);
    const net = new RecordingNetwork();
    const client = new SamsaClient({ bootstrapServers: [broker.bootstrap], clock, network: net });
    try {
      const producer = client.producer({ lingerMs: 60_000 });
      const sent = track(producer.send('linger', { value: 'lingered' }));
      await until(() => producer.buffered > 0, 'the record to be queued');
      clock.advance(59_999);
      await turns();
      assert.equal(net.count(PRODUCE), 0, 'sent before its linger was over');
      assert.equal(sent.settled, false);
      clock.advance(1);
      const [meta] = await within(sent.promise, 10_000, 'the send once the linger was over');
      assert.equal(meta!.offset, 0n);
      assert.equal(net.count(PRODUCE), 1);
      assert.ok(net.connects > 0, 'connections are opened through the injected network');
      assert.deepEqual(await valuesAndTimestamps('linger', 1), [['lingered', BigInt(START)]]);
    } finally {
      await client.close();
    }
  });

  it('times a lost Produce out and backs off before the retry, both on the injected clock', async () => {
    await witness.admin().createTopics([{ name: 'backoff', partitions: 1 }]);
    const clock = new ManualClock(START);
    const net = new RecordingNetwork();
    net.drop = (apiKey, nth) => apiKey === PRODUCE && nth === 0; // the broker never sees the first Produce
    const client = new SamsaClient({ bootstrapServers: [broker.bootstrap], clock, network: net, requestTimeoutMs: 60_000 });
    try {
      // A Produce request may wait requestTimeoutMs + timeoutMs (the broker's replication wait).
      const producer = client.producer({ lingerMs: 0, timeoutMs: 60_000, retryBackoffMs: 30_000 });
      const sent = track(producer.send('backoff', { value: 'once' }));
      await until(() => net.count(PRODUCE) === 1, 'the first Produce');
      clock.advance(119_999);
      await turns();
      assert.equal(sent.settled, false, 'gave up on the request before its timeout');
      clock.advance(1); // the request times out: the batch is to be retried after its backoff
      await turns();
      assert.equal(net.count(PRODUCE), 1);
      clock.advance(29_999);
      await turns();
      assert.equal(net.count(PRODUCE), 1, 'retried before the backoff was over');
      assert.equal(sent.settled, false);
      clock.advance(2); // (the producer's backoff timer waits one millisecond more)
      const [meta] = await within(sent.promise, 10_000, 'the retried send');
      assert.deepEqual(
        net.sent.filter((r) => r.apiKey === PRODUCE).map((r) => r.dropped),
        [true, false],
      );
      assert.equal(meta!.offset, 0n);
      assert.deepEqual(await valuesAndTimestamps('backoff', 1), [['once', BigInt(START)]]);
    } finally {
      await client.close();
    }
  });

  it('fails an unanswered request with SAMSA_REQUEST_TIMEOUT when the injected clock reaches its deadline', async () => {
    const clock = new ManualClock(START);
    const net = new RecordingNetwork();
    net.drop = (apiKey) => apiKey === METADATA;
    const client = new SamsaClient({ bootstrapServers: [broker.bootstrap], clock, network: net, retry: { retries: 0 } });
    try {
      const listed = track(client.admin().listTopics());
      await until(() => net.count(METADATA) === 1, 'the Metadata request');
      clock.advance(29_999); // requestTimeoutMs defaults to 30 s
      await turns();
      assert.equal(listed.settled, false);
      clock.advance(1);
      await assert.rejects(within(listed.promise, 10_000, 'the timeout'), (err: unknown) => err instanceof SamsaClientError && err.code === 'SAMSA_REQUEST_TIMEOUT');
    } finally {
      await client.close();
    }
  });

  it('gives up connecting after connectTimeoutMs of the injected clock', async () => {
    const clock = new ManualClock(START);
    let connects = 0;
    // A socket that never connects (nor fails): only the connect timeout ends the wait.
    const never: Network = {
      createServer: () => assert.fail('the client serves nothing'),
      connect: () => {
        connects++;
        return new Socket();
      },
    };
    const client = new SamsaClient({ bootstrapServers: ['192.0.2.1:9092'], clock, network: never, connectTimeoutMs: 60_000, retry: { retries: 0 } });
    try {
      const listed = track(client.admin().listTopics());
      await turns();
      assert.equal(connects, 1);
      clock.advance(59_999);
      await turns();
      assert.equal(listed.settled, false);
      clock.advance(1);
      await assert.rejects(within(listed.promise, 10_000, 'the connect timeout'), (err: unknown) => err instanceof SamsaClientError && err.code === 'SAMSA_CONNECTION' && /timed out/.test(err.message));
    } finally {
      await client.close();
    }
  });

  it('joins a group without waiting on its clock: the member id a first JoinGroup hands out is used at once', async () => {
    await witness.admin().createTopics([{ name: 'joining', partitions: 1 }]);
    await witness.producer().send('joining', [{ value: 'a' }]);
    // The coordinator is found on the real clock first (a coordinator still loading is retried after a backoff).
    await witness.admin().fetchOffsets('joiner', ['joining']);
    const clock = new ManualClock(START);
    const net = new RecordingNetwork();
    const client = new SamsaClient({ bootstrapServers: [broker.bootstrap], clock, network: net });
    try {
      const consumer = client.consumer({ groupId: 'joiner', autoOffsetReset: 'earliest', maxWaitMs: 50 });
      consumer.subscribe('joining');
      const first = async () => {
        for await (const r of consumer) return r.value!.toString();
        return undefined;
      };
      // The clock never moves: a backoff between the two JoinGroups would never end.
      assert.equal(await within(first(), 30_000, 'the first record'), 'a');
      const joins = net.sent.filter((s) => s.apiKey === JOIN_GROUP);
      assert.equal(joins.length, 2, 'one JoinGroup without a member id, one with the id it was given');
      await consumer.close();
    } finally {
      await client.close();
    }
  });

  it('auto-commits on the injected clock', async () => {
    await witness.admin().createTopics([{ name: 'commits', partitions: 1 }]);
    await witness.producer().send('commits', [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    // The group's coordinator is found (and its offsets partition created) on the real clock first:
    // a coordinator still loading is retried after a backoff, which only the manual clock would end.
    const committed = async () => (await witness.admin().fetchOffsets('committer', ['commits']))[0]?.offset;
    assert.equal(await committed(), -1n);
    const clock = new ManualClock(START);
    const client = new SamsaClient({ bootstrapServers: [broker.bootstrap], clock });
    try {
      const consumer = client.consumer({ groupId: 'committer', autoOffsetReset: 'earliest', autoCommitIntervalMs: 60_000, maxWaitMs: 50 });
      consumer.assign([{ topic: 'commits', partition: 0 }]);
      const seen: string[] = [];
      for await (const r of consumer) if (seen.push(r.value!.toString()) === 3) break;
      assert.deepEqual(seen, ['a', 'b', 'c']);
      clock.advance(59_999);
      await turns();
      assert.equal(await committed(), -1n, 'committed before the interval was over');
      clock.advance(1);
      const end = Date.now() + 10_000;
      while ((await committed()) !== 3n) {
        assert.ok(Date.now() < end, 'no auto-commit after the interval');
        await new Promise((r) => setTimeout(r, 20));
      }
      await consumer.close();
    } finally {
      await client.close();
    }
  });
});

describe('retries on an injected world', () => {
  it('sleeps each backoff on the clock, with the jitter drawn from the injected random', async () => {
    const clock = new ManualClock(START);
    const draws = [0, 0.5];
    let calls = 0;
    const done = track(
      withRetries(
        async () => {
          if (++calls < 3) throw new KafkaProtocolError(5); // LEADER_NOT_AVAILABLE: retriable
          return 'ok';
        },
        { retries: 5, initialBackoffMs: 100, maxBackoffMs: 1000, clock, random: () => draws.shift()! },
      ),
    );
    await turns();
    assert.equal(calls, 1);
    clock.advance(79); // first backoff: 100 ms × (0.8 + 0 × 0.4) = 80 ms
    await turns();
    assert.equal(calls, 1);
    clock.advance(1);
    await turns();
    assert.equal(calls, 2);
    clock.advance(199); // second: 200 ms × (0.8 + 0.5 × 0.4) = 200 ms
    await turns();
    assert.equal(calls, 2);
    clock.advance(1);
    assert.equal(await within(done.promise, 5000, 'the third attempt'), 'ok');
    assert.equal(calls, 3);
    assert.equal(draws.length, 0, 'each backoff draws once from the injected random');
  });
});

describe('the real clock and process lifetime', { timeout: 30_000 }, () => {
  const here = fileURLToPath(import.meta.url);
  const ts = here.endsWith('.ts');
  const src = (path: string) => new URL(`../../src/${path}${ts ? '.ts' : '.js'}`, import.meta.url).href;

  /** Runs an ES module script in a child Node; resolves with its stdout once it exits (or fails after `ms`). */
  function runScript(code: string, ms = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const p = spawn(process.execPath, [...(ts ? ['--import', 'tsx'] : []), '--input-type=module', '-e', code], { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => (out += String(d)));
      p.stderr.on('data', (d) => (err += String(d)));
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`the script did not exit within ${ms} ms: ${out} ${err}`));
      }, ms);
      p.once('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(out);
        else reject(new Error(`the script exited with ${code}: ${err}`));
      });
    });
  }

  it("keeps a script alive through a retry's backoff until the call it delays has failed", async () => {
    const port = await freePort(); // nothing listens there: every connect is refused at once
    const out = await runScript(`
      const { SamsaClient } = await import(${JSON.stringify(src('client/index'))});
      const client = new SamsaClient({ bootstrapServers: ['127.0.0.1:${port}'], retry: { retries: 2, initialBackoffMs: 200 } });
      client.admin().listTopics().then(() => console.log('listed'), (e) => console.log('failed ' + e.code));
    `);
    // With backoffs on unref'd timers the script would end silently during the first one.
    assert.equal(out.trim(), 'failed SAMSA_CONNECTION');
  });

  it('does not keep a script alive for background work alone', async () => {
    const out = await runScript(`
      const { every, sleep } = await import(${JSON.stringify(src('client/world'))});
      const { systemClock } = await import(${JSON.stringify(src('common/clock'))});
      let ticks = 0;
      every(systemClock, 10, () => ticks++);
      await sleep(systemClock, 100);
      console.log(ticks > 3 ? 'ticked' : 'ticks: ' + ticks);
    `);
    // The sleep kept it alive and the series ran meanwhile; then the series alone did not.
    assert.equal(out.trim(), 'ticked');
  });
});
