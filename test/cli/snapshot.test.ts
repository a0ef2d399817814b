/**
 * The `bin` launcher and the CLI's start-up snapshot (src/cli/samsa.sh, src/cli/snapshot-entry.ts,
 * scripts/bundle.ts): the build wrote a blob for this node and directory; `samsa broker` from the
 * launcher runs from it and serves kafkajs, with what must be read at run time read at run time
 * (pid and hostname in the log, the native CRC-32C binding, a new cluster id per fresh directory);
 * and the launcher runs the code-cache bundle instead when the blob does not fit (built by another
 * node: another version, or the same at another path), when NODE_OPTIONS is set, with
 * SAMSA_SNAPSHOT=0, and for a broker on a worker thread (no worker in a snapshot on Node 20).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { repoRoot } from '../helpers/repo-root.js';
import { SAMSA_BIN, tempDir } from '../helpers/test-broker.js';

const CLI = join(repoRoot(), 'dist', 'src', 'cli');
const READY_TIMEOUT_MS = 30_000;

interface Started {
  child: ChildProcess;
  bootstrap: string;
  clusterId: string;
  /** The broker's stderr until its ready line: JSON log lines. */
  log: string;
  /** node's command line, from /proc. */
  cmdline: string[];
}

/** `samsa broker` from the launcher, with `env` added to this process's, until its ready line. */
async function startFromBin(dataDir: string, env: Record<string, string> = {}, args: string[] = []): Promise<Started> {
  const child = spawn(SAMSA_BIN(), ['broker', '--port', '0', '--data-dir', dataDir, '--log-level', 'info', '--log-format', 'json', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  child.stderr!.on('data', (d) => (log += String(d)));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ready line in ${READY_TIMEOUT_MS} ms: ${log}`));
    }, READY_TIMEOUT_MS);
    child.stdout!.on('data', (d) => {
      out += String(d);
      if (out.includes(' ready on ')) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code}: ${log}`));
    });
  });
  const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  return { child, bootstrap: /ready on (\S+)/.exec(line)![1]!, clusterId: /cluster (\S+?),/.exec(line)![1]!, log, cmdline };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exited;
}

const fromSnapshot = (s: Started) => s.cmdline.includes('--snapshot-blob');

describe('the samsa launcher and its start-up snapshot', { timeout: 180_000 }, () => {
  it('was built with a blob for the node on PATH and this directory', () => {
    const id = spawnSync(SAMSA_BIN(), [], { env: { ...process.env, SAMSA_SNAPSHOT_ID: 'print', NODE_OPTIONS: '' }, encoding: 'utf8' });
    assert.equal(id.status, 0, id.stderr);
    assert.ok(id.stdout.startsWith(`${process.version} `), id.stdout);
    assert.equal(readFileSync(join(CLI, 'samsa.blob.id'), 'utf8'), id.stdout);
  });

  it('starts samsa broker from the snapshot, reading the pid, hostname, CRC binding and randomness at run time, and serves kafkajs', async () => {
    const dirs = [await tempDir(), await tempDir()];
    const started: Started[] = [];
    try {
      for (const dir of dirs) started.push(await startFromBin(dir, { NODE_OPTIONS: '' }));
      const [a, b] = started as [Started, Started];
      assert.ok(fromSnapshot(a), a.cmdline.join(' '));
      // pino's own default would be the pid and hostname of the process that built the snapshot.
      const lines = a.log.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { pid: number; hostname: string });
      assert.ok(lines.length > 0, a.log);
      for (const l of lines) assert.deepEqual([l.pid, l.hostname], [a.child.pid, hostname()]);
      // The native CRC-32C binding cannot be in a snapshot: loaded by the snapshot's main function.
      assert.match(readFileSync(`/proc/${a.child.pid}/maps`, 'utf8'), /crc32/);
      assert.notEqual(a.clusterId, b.clusterId);

      const kafka = new Kafka({ clientId: 'snapshot-test', brokers: [a.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
      const admin = kafka.admin();
      const producer = kafka.producer();
      await admin.connect();
      await producer.connect();
      try {
        await admin.createTopics({ topics: [{ topic: 'snap', numPartitions: 1 }], waitForLeaders: true });
        const values = Array.from({ length: 20 }, (_, i) => `value ${i}`);
        await producer.send({ topic: 'snap', compression: CompressionTypes.GZIP, messages: values.map((value) => ({ value })) });
        const offsets = await admin.fetchTopicOffsets('snap');
        assert.equal(offsets[0]!.high, '20');
        // A consumer group: its join phase ends on a timer, and timers left unref'd while the
        // snapshot was built broke every later timer of the restored process (snapshot-entry.ts).
        const consumer = kafka.consumer({ groupId: 'snap-group', maxWaitTimeInMs: 100 });
        await consumer.connect();
        try {
          await consumer.subscribe({ topic: 'snap', fromBeginning: true });
          const got: string[] = [];
          let done: () => void = () => {};
          const all = new Promise<void>((resolve) => (done = resolve));
          await consumer.run({
            eachMessage: async ({ message }) => {
              got.push(message.value!.toString());
              if (got.length === values.length) done();
            },
          });
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([all, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`the group consumed ${got.length} of ${values.length}`)), 60_000)))]);
          clearTimeout(timer);
          assert.deepEqual(got, values);
        } finally {
          await consumer.disconnect();
        }
      } finally {
        await producer.disconnect();
        await admin.disconnect();
      }
      assert.equal(await stop(a.child), 0);
      // The directory it left, from the snapshot again: the record count survived the clean stop.
      const again = await startFromBin(dirs[0]!, { NODE_OPTIONS: '' });
      started[0] = again;
      assert.ok(fromSnapshot(again));
      const admin2 = new Kafka({ clientId: 'snapshot-test', brokers: [again.bootstrap], logLevel: logLevel.NOTHING }).admin();
      await admin2.connect();
      try {
        assert.equal((await admin2.fetchTopicOffsets('snap'))[0]!.high, '20');
      } finally {
        await admin2.disconnect();
      }
    } finally {
      for (const s of started) await stop(s.child);
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    }
  });

  it('runs the code-cache bundle when the blob was built by another node (another version, or the same version at another path)', async () => {
    // A copy of the launcher in a directory of its own, beside links to the build's blob and bundle,
    // and a `node` first on PATH that says it is v99.0.0 and is this node otherwise.
    const dir = await tempDir();
    const data = await tempDir();
    try {
      for (const f of ['samsa.cjs', 'samsa.blob']) symlinkSync(join(CLI, f), join(dir, f));
      copyFileSync(SAMSA_BIN(), join(dir, 'samsa'));
      chmodSync(join(dir, 'samsa'), 0o755);
      mkdirSync(join(dir, 'bin'));
      const fakeNode = join(dir, 'bin', 'node');
      writeFileSync(fakeNode, `#!/bin/sh\n[ "$1" = --version ] && { echo v99.0.0; exit 0; }\nexec ${JSON.stringify(process.execPath)} "$@"\n`);
      chmodSync(fakeNode, 0o755);
      const env = { PATH: `${join(dir, 'bin')}:${process.env['PATH'] ?? ''}`, NODE_OPTIONS: '' };
      const idOfFake = spawnSync(join(dir, 'samsa'), [], { env: { ...process.env, ...env, SAMSA_SNAPSHOT_ID: 'print' }, encoding: 'utf8' }).stdout;
      assert.ok(idOfFake.startsWith(`v99.0.0 ${fakeNode} `), idOfFake);
      const cases: [string, string, boolean][] = [
        // The control: the id the fake node gives is the one stored, so its blob is used.
        ['a blob id of this node', idOfFake, true],
        ['another version at this path', idOfFake.replace('v99.0.0', process.version), false],
        ['this version at another path', readFileSync(join(CLI, 'samsa.blob.id'), 'utf8'), false],
      ];
      for (const [name, id, snapshot] of cases) {
        writeFileSync(join(dir, 'samsa.blob.id'), id);
        const child = spawn(join(dir, 'samsa'), ['broker', '--port', '0', '--data-dir', data, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
        try {
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`${name}: no ready line`)), READY_TIMEOUT_MS);
            child.stdout.on('data', (d) => String(d).includes(' ready on ') && (clearTimeout(timer), resolve()));
            child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`${name}: exited ${code}`))));
          });
          const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
          assert.equal(cmdline.includes('--snapshot-blob'), snapshot, `${name}: ${cmdline.join(' ')}`);
        } finally {
          assert.equal(await stop(child), 0, name);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(data, { recursive: true, force: true });
    }
  });

  it('runs the code-cache bundle when NODE_OPTIONS is set, SAMSA_SNAPSHOT=0, or the broker runs on a worker thread', async () => {
    const cases: [string, Record<string, string>, string[]][] = [
      ['NODE_OPTIONS set', { NODE_OPTIONS: '--max-old-space-size=256' }, []],
      ['SAMSA_SNAPSHOT=0', { SAMSA_SNAPSHOT: '0', NODE_OPTIONS: '' }, []],
      ['a broker on a worker thread', { NODE_OPTIONS: '' }, ['--young-generation-mb', '6']],
    ];
    for (const [name, env, args] of cases) {
      const dir = await tempDir();
      try {
        const s = await startFromBin(dir, env, args);
        try {
          assert.ok(!fromSnapshot(s), `${name}: ${s.cmdline.join(' ')}`);
          assert.ok(s.cmdline.includes(join(CLI, 'samsa.cjs')), `${name}: ${s.cmdline.join(' ')}`);
        } finally {
          assert.equal(await stop(s.child), 0, name);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });

  it('runs samsa commands from the snapshot and from the bundle alike', () => {
    for (const env of [{ NODE_OPTIONS: '' }, { SAMSA_SNAPSHOT: '0', NODE_OPTIONS: '' }]) {
      const version = spawnSync(SAMSA_BIN(), ['--version'], { env: { ...process.env, ...env }, encoding: 'utf8' });
      assert.equal(version.status, 0, version.stderr);
      assert.equal(version.stdout.trim(), (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version);
      const bad = spawnSync(SAMSA_BIN(), ['topics', '--no-such-option'], { env: { ...process.env, ...env }, encoding: 'utf8' });
      assert.equal(bad.status, 2, bad.stderr);
    }
  });
});
