/**
 * The built `samsa` binary as a child process against an in-process broker: topics, produce and
 * consume (checked against kcat), groups, broker configs, offsets by time and deleted records
 * (checked with kafkajs), log dirs (checked against the segment files), perf, --json output, --help for every command, and the
 * exit codes scripts rely on (0 ok, 1 failure, 2 bad usage).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm, stat, writeFile } from 'node:fs/promises';
import { runSamsa as samsa } from '../helpers/samsa-cli.js';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { kcat } from '../helpers/kcat.js';
import { SAMSA_BIN, tempDir, testBroker } from '../helpers/test-broker.js';



describe('samsa CLI', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let b: string[];
  before(async () => {
    broker = await testBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
    b = ['-b', broker.bootstrap];
  });
  after(() => broker.stop());

  it('creates, lists, describes, alters and deletes topics, in tables and in JSON', async () => {
    const created = await samsa(['topics', 'create', 'cli-topics', '--partitions', '3', '--config', 'retention.ms=60000', ...b]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /created topic cli-topics with 3 partition\(s\)/);
    const again = await samsa(['topics', 'create', 'cli-topics', ...b]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /TOPIC_ALREADY_EXISTS/);
    assert.equal((await samsa(['topics', 'create', 'cli-topics', '--if-not-exists', ...b])).code, 0);
    const list = await samsa(['topics', 'list', ...b]);
    assert.match(list.stdout, /^TOPIC\s+PARTITIONS\ncli-topics\s+3\n/);
    assert.equal((await samsa(['topics', 'alter', 'cli-topics', '--partitions', '4', '--config', 'cleanup.policy=compact', '--delete-config', 'retention.ms', ...b])).code, 0);
    const described = JSON.parse((await samsa(['topics', 'describe', 'cli-topics', '--json', ...b])).stdout) as { name: string; partitions: unknown[]; configs: { name: string; value: string }[] }[];
    assert.equal(described[0]!.partitions.length, 4);
    assert.deepEqual(described[0]!.configs.map((c) => [c.name, c.value]), [['cleanup.policy', 'compact']]);
    assert.equal((await samsa(['topics', 'delete', 'cli-topics', ...b])).code, 0);
    assert.deepEqual(JSON.parse((await samsa(['topics', 'list', '--json', ...b])).stdout), []);
  });

  it('describes and alters broker configs, per broker and cluster-wide, as kafka-configs --entity-type brokers (kafkajs reads them)', async () => {
    const id = String(broker.nodeId);
    const alter = (...args: string[]) => samsa(['cluster', 'alter-configs', ...args, ...b]);
    assert.equal((await alter('--broker', id, '-c', 'leader.replication.throttled.rate=1000')).code, 0);
    assert.equal((await alter('-c', 'log.retention.ms=70000')).code, 0);
    const configs = async () => new Map((JSON.parse((await samsa(['cluster', 'describe-configs', '--broker', id, '--json', ...b])).stdout) as { name: string; value: string; source: number }[]).map((c) => [c.name, [c.value, c.source]]));
    const set = await configs();
    assert.deepEqual([set.get('leader.replication.throttled.rate'), set.get('log.retention.ms')], [['1000', 2], ['70000', 3]]);
    assert.match((await samsa(['cluster', 'describe-configs', '--broker', id, ...b])).stdout, /leader\.replication\.throttled\.rate\s+1000\s+DYNAMIC_BROKER_CONFIG/);
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const viaKafkajs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 4, name: id, configNames: ['leader.replication.throttled.rate', 'log.retention.ms'] }] });
    await admin.disconnect();
    assert.deepEqual(viaKafkajs.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]).sort(), [['leader.replication.throttled.rate', '1000'], ['log.retention.ms', '70000']]);
    assert.equal((await alter('--broker', id, '--delete-config', 'leader.replication.throttled.rate')).code, 0);
    assert.equal((await alter('--delete-config', 'log.retention.ms')).code, 0);
    const removed = await configs();
    assert.deepEqual([removed.has('leader.replication.throttled.rate'), removed.has('log.retention.ms')], [false, false]);
    const refused = await alter('--broker', id, '-c', 'node.id=5');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Cannot update these configs dynamically/);
  });

  it('gets offsets by time and deletes records, as kafka-get-offsets.sh and kafka-delete-records.sh (kafkajs produces and checks)', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'cli-offsets', numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'cli-offsets', messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition: 0, timestamp: String(1000 + i * 1000) })) });
    await producer.disconnect();
    const offsets = async (time: string) => (await samsa(['topics', 'get-offsets', 'cli-offsets', '--time', time, ...b])).stdout.trim().split('\n');
    assert.deepEqual(await offsets('latest'), ['cli-offsets:0:10', 'cli-offsets:1:0']);
    assert.deepEqual(await offsets('5500'), ['cli-offsets:0:5', 'cli-offsets:1:-1']);
    assert.deepEqual(await offsets('max-timestamp'), ['cli-offsets:0:9', 'cli-offsets:1:-1']);
    const dir = await tempDir();
    try {
      const file = `${dir}/offsets.json`;
      await writeFile(file, JSON.stringify({ partitions: [{ topic: 'cli-offsets', partition: 0, offset: 4 }], version: 1 }));
      const deleted = await samsa(['topics', 'delete-records', '--offset-json-file', file, ...b]);
      assert.equal(deleted.stdout, 'partition: cli-offsets-0\tlow_watermark: 4\n', deleted.stderr);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    assert.deepEqual(await offsets('-2'), ['cli-offsets:0:4', 'cli-offsets:1:0']);
    assert.deepEqual((await admin.fetchTopicOffsets('cli-offsets')).map((o) => [o.partition, o.low, o.high]).sort(), [[0, '4', '10'], [1, '0', '0']]);
    await admin.disconnect();
    assert.equal((await samsa(['topics', 'get-offsets', 'cli-offsets', '--time', 'yesterday', ...b])).code, 1);
  });

  it('describes log dirs as kafka-log-dirs.sh: each partition\'s size is its segment file\'s', async () => {
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: 'cli-logdirs', messages: Array.from({ length: 20 }, (_, i) => ({ value: `value ${i}` })) });
    await producer.disconnect();
    const described = JSON.parse((await samsa(['log-dirs', 'describe', '--topic-list', 'cli-logdirs', '--json', ...b])).stdout) as { brokers: { broker: number; logDirs: { logDir: string; error: null; partitions: { partition: string; size: number }[] }[] }[]; version: number };
    const [dir] = described.brokers.find((x) => x.broker === broker.nodeId)!.logDirs;
    assert.equal(dir!.logDir, broker.dataDir);
    const onDisk = (await stat(`${broker.dataDir}/cli-logdirs-0/00000000000000000000.log`)).size;
    assert.ok(onDisk > 0);
    assert.deepEqual(dir!.partitions, [{ partition: 'cli-logdirs-0', size: onDisk, offsetLag: 0, isFuture: false }]);
    assert.match((await samsa(['log-dirs', 'describe', ...b])).stdout, new RegExp(`${broker.nodeId}\\s+\\S+\\s+cli-logdirs\\s+0\\s+${onDisk}`));
  });

  it('produces lines with keys, headers and compression that kcat and samsa consume read back', async () => {
    await samsa(['topics', 'create', 'cli-lines', '--partitions', '1', ...b]);
    const lines = Array.from({ length: 300 }, (_, i) => `key${i}=value ${i}`);
    const produced = await samsa(['produce', 'cli-lines', '--key-separator', '=', '--header', 'source=cli', '--compression', 'zstd', ...b], lines.join('\n') + '\n');
    assert.equal(produced.code, 0, produced.stderr);
    assert.match(produced.stdout, /^300 record\(s\) acknowledged/);
    const viaKcat = await kcat(['-b', broker.bootstrap, '-C', '-t', 'cli-lines', '-o', 'beginning', '-e', '-q', '-f', '%k=%s\n']);
    assert.deepEqual(viaKcat.split('\n').filter(Boolean), lines);
    const consumed = await samsa(['consume', 'cli-lines', '--from-beginning', '--max-messages', '300', '--format', 'json', ...b]);
    assert.equal(consumed.code, 0, consumed.stderr);
    const records = consumed.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { offset: number; key: string; value: string; headers: Record<string, string> });
    assert.deepEqual(records.map((r) => `${r.key}=${r.value}`), lines);
    assert.deepEqual(records[0]!.headers, { source: 'cli' });
    assert.deepEqual(records.map((r) => r.offset), lines.map((_, i) => i));
    const tail = await samsa(['consume', 'cli-lines', '--partition', '0', '--offset', '298', '--max-messages', '2', '--format', 'key-value', ...b]);
    assert.equal(tail.stdout, 'key298\tvalue 298\nkey299\tvalue 299\n');
  });

  it('consumes read_committed and from --offset earliest, as kafka-console-consumer (kafkajs writes a committed and an aborted transaction)', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    await samsa(['topics', 'create', 'cli-txn', '--partitions', '1', ...b]);
    const producer = kafka.producer({ transactionalId: 'cli-txn-producer', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    try {
      for (const [value, commit] of [['committed', true], ['aborted', false]] as const) {
        const txn = await producer.transaction();
        await txn.send({ topic: 'cli-txn', messages: [{ value }] });
        await (commit ? txn.commit() : txn.abort());
      }
      await producer.send({ topic: 'cli-txn', messages: [{ value: 'after' }] });
    } finally {
      await producer.disconnect();
    }
    const read = async (...args: string[]) => (await samsa(['consume', 'cli-txn', '--partition', '0', '--offset', 'earliest', '--timeout-ms', '1500', ...args, ...b])).stdout.split('\n').filter(Boolean);
    assert.deepEqual(await read(), ['committed', 'aborted', 'after']);
    assert.deepEqual(await read('--isolation-level', 'read_committed'), ['committed', 'after']);
    const bad = await samsa(['consume', 'cli-txn', '--partition', '0', '--offset', 'soon', ...b]);
    assert.equal(bad.code, 2);
  });

  it('consumes in a group, then describes, resets, deletes the offsets of and deletes the group', async () => {
    await samsa(['topics', 'create', 'cli-group', '--partitions', '2', ...b]);
    await samsa(['produce', 'cli-group', ...b], Array.from({ length: 50 }, (_, i) => `m${i}`).join('\n'));
    const read = await samsa(['consume', 'cli-group', '--group', 'cli-g', '--from-beginning', '--max-messages', '50', ...b]);
    assert.equal(read.stdout.split('\n').filter(Boolean).length, 50);
    const described = JSON.parse((await samsa(['groups', 'describe', 'cli-g', '--json', ...b])).stdout) as { state: string; offsets: { committed: number; lag: number }[] };
    assert.equal(described.state, 'Empty');
    assert.equal(described.offsets.reduce((n, o) => n + o.committed, 0), 50, 'everything read was committed on the way out');
    assert.ok(described.offsets.every((o) => o.lag === 0));
    const human = await samsa(['groups', 'describe', 'cli-g', ...b]);
    assert.match(human.stdout, /group cli-g\s+state Empty.*total lag 0/);
    assert.match(human.stdout, /TOPIC\s+PARTITION\s+COMMITTED\s+END\s+LAG\s+MEMBER/);
    const dry = await samsa(['groups', 'reset-offsets', 'cli-g', '--topic', 'cli-group', '--to-earliest', ...b]);
    assert.match(dry.stderr, /dry run/);
    const lagAfterDry = JSON.parse((await samsa(['groups', 'describe', 'cli-g', '--json', ...b])).stdout) as { offsets: { lag: number }[] };
    assert.ok(lagAfterDry.offsets.every((o) => o.lag === 0), 'a dry run changes nothing');
    assert.equal((await samsa(['groups', 'reset-offsets', 'cli-g', '--topic', 'cli-group', '--to-earliest', '--execute', ...b])).code, 0);
    const again = await samsa(['consume', 'cli-group', '--group', 'cli-g', '--max-messages', '50', ...b]);
    assert.equal(again.stdout.split('\n').filter(Boolean).length, 50, 'the group reads everything again');
    assert.match((await samsa(['groups', 'list', ...b])).stdout, /cli-g\s+Empty\s+consumer/);
    // kafka-consumer-groups --delete-offsets: partition 1's, then the rest; kafkajs sees them gone.
    assert.equal((await samsa(['groups', 'delete-offsets', 'cli-g', '--topic', 'cli-group:1', ...b])).code, 0);
    const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const committed = async () => (await admin.fetchOffsets({ groupId: 'cli-g', topics: ['cli-group'] }))[0]!.partitions.map((p) => [p.partition, p.offset]).sort();
    const first = await committed();
    assert.deepEqual(first.map(([p, o]) => [p, o === '-1']), [[0, false], [1, true]]);
    assert.equal((await samsa(['groups', 'delete-offsets', 'cli-g', '--topic', 'cli-group', ...b])).code, 0);
    assert.deepEqual(await committed(), [[0, '-1'], [1, '-1']]);
    await admin.disconnect();
    assert.equal((await samsa(['groups', 'delete', 'cli-g', ...b])).code, 0);
    assert.deepEqual(JSON.parse((await samsa(['groups', 'list', '--json', ...b])).stdout), []);
  });

  it('consumes as a member of a KIP-848 consumer group with --group-protocol consumer', async () => {
    await samsa(['topics', 'create', 'cli-kip848', '--partitions', '2', ...b]);
    await samsa(['produce', 'cli-kip848', ...b], Array.from({ length: 20 }, (_, i) => `k${i}`).join('\n'));
    const read = await samsa(['consume', 'cli-kip848', '--group', 'cli-k', '--group-protocol', 'consumer', '--from-beginning', '--max-messages', '20', ...b]);
    assert.equal(read.stdout.split('\n').filter(Boolean).length, 20, read.stderr);
    const described = JSON.parse((await samsa(['groups', 'describe', 'cli-k', '--json', ...b])).stdout) as { protocol: string; offsets: { committed: number }[] };
    assert.equal(described.protocol, 'uniform', 'a consumer group, assigned by the coordinator');
    assert.equal(described.offsets.reduce((n, o) => n + o.committed, 0), 20, 'what it printed was committed with its member epoch');
    const bad = await samsa(['consume', 'cli-kip848', '--group', 'cli-k', '--group-protocol', 'eager', ...b]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--group-protocol must be classic or consumer/);
  });

  it('resets offsets as kafka-consumer-groups --reset-offsets: shift-by, to-offset and by-duration kept within the log, to-current, some partitions, all topics (kafkajs reads them)', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'cli-reset', numPartitions: 2 }] });
      await producer.send({ topic: 'cli-reset', messages: [...Array.from({ length: 20 }, () => ({ partition: 0, value: 'a' })), ...Array.from({ length: 10 }, () => ({ partition: 1, value: 'b' }))] });
      await admin.setOffsets({ groupId: 'cli-r', topic: 'cli-reset', partitions: [{ partition: 0, offset: '15' }, { partition: 1, offset: '5' }] });
      const committed = async () => (await admin.fetchOffsets({ groupId: 'cli-r', topics: ['cli-reset'] }))[0]!.partitions.sort((x, y) => x.partition - y.partition).map((p) => Number(p.offset));
      const reset = async (...args: string[]) => {
        const r = await samsa(['groups', 'reset-offsets', 'cli-r', ...args, '--execute', ...b]);
        assert.equal(r.code, 0, r.stderr);
        return committed();
      };
      assert.deepEqual(await reset('--topic', 'cli-reset:0', '--shift-by', '-10'), [5, 5], 'partition 0 only, moved back by 10');
      assert.deepEqual(await reset('--all-topics', '--shift-by', '100'), [20, 10], 'kept at the log end');
      assert.deepEqual(await reset('--topic', 'cli-reset', '--to-offset', '-3'), [0, 0], 'kept at the log start');
      assert.deepEqual(await reset('--topic', 'cli-reset', '--to-offset', '12'), [12, 10]);
      assert.deepEqual(await reset('--topic', 'cli-reset', '--to-datetime', '2099-01-01T00:00:00Z'), [20, 10], 'no record after the time: the log end, not -1');
      assert.deepEqual(await reset('--topic', 'cli-reset', '--by-duration', 'PT1H'), [0, 0], 'every record is younger than an hour');
      const current = await samsa(['groups', 'reset-offsets', 'cli-r', '--topic', 'cli-reset', '--to-current', '--json', ...b]);
      assert.deepEqual((JSON.parse(current.stdout) as { offsets: { offset: number }[] }).offsets.map((o) => o.offset), [0, 0]);
      const noCommit = await samsa(['groups', 'reset-offsets', 'cli-none', '--topic', 'cli-reset', '--shift-by', '1', ...b]);
      assert.equal(noCommit.code, 1);
      assert.match(noCommit.stderr, /cannot shift the offset of cli-reset-0: group cli-none has no committed offset/);
      const badDuration = await samsa(['groups', 'reset-offsets', 'cli-r', '--topic', 'cli-reset', '--by-duration', '1h', ...b]);
      assert.equal(badDuration.code, 1);
      assert.match(badDuration.stderr, /ISO-8601 duration/);
      await admin.deleteGroups(['cli-r']);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('measures with perf produce and perf consume', async () => {
    await samsa(['topics', 'create', 'cli-perf', '--partitions', '2', ...b]);
    const p = await samsa(['perf', 'produce', 'cli-perf', '--num-records', '20000', '--record-size', '100', '--producer-props', 'acks=1', 'linger.ms=2', '--json', ...b]);
    assert.equal(p.code, 0, p.stderr);
    const ps = JSON.parse(p.stdout) as { records: number; recordsPerSec: number; p99Ms: number };
    assert.equal(ps.records, 20000);
    assert.ok(ps.recordsPerSec > 0 && ps.p99Ms >= 0);
    const c = await samsa(['perf', 'consume', 'cli-perf', '--messages', '20000', '--json', ...b]);
    assert.equal(c.code, 0, c.stderr);
    assert.ok((JSON.parse(c.stdout) as { records: number }).records >= 20000);
    const clash = await samsa(['perf', 'produce', 'cli-perf', '--num-records', '10', '--producer-props', 'acks=1', 'enable.idempotence=true', ...b]);
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, /idempotence needs acks=all/);
  });

  it('measures produce-to-consume latency with perf end-to-end, reading back only the records it sent', async () => {
    // The topic already holds records: the consumer starts at the end, so each round reads exactly its own record.
    await samsa(['topics', 'create', 'cli-e2e', '--partitions', '2', ...b]);
    await samsa(['perf', 'produce', 'cli-e2e', '--num-records', '500', '--record-size', '100', '--producer-props', 'acks=1', ...b]);
    const j = await samsa(['perf', 'end-to-end', 'cli-e2e', '--num-records', '200', '--acks', 'all', '--partition', '1', '--json', ...b]);
    assert.equal(j.code, 0, j.stderr);
    const s = JSON.parse(j.stdout) as { records: number; avgLatencyMs: number; p50Ms: number; p99Ms: number; p999Ms: number; maxLatencyMs: number };
    assert.equal(s.records, 200);
    assert.ok(s.p50Ms > 0 && s.p50Ms <= s.p99Ms && s.p99Ms <= s.p999Ms && s.p999Ms <= s.maxLatencyMs);
    const h = await samsa(['perf', 'end-to-end', 'cli-e2e', '--num-records', '20', '--record-size', '5', ...b]);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /^Avg latency: [\d.]+ ms\nPercentiles: 50th = [\d.]+, 99th = [\d.]+, 99\.9th = [\d.]+, max = [\d.]+ \(ms\)\n$/);
    // Every record sent is in the log: 500 spread over two partitions, then 220 more.
    const c = await samsa(['perf', 'consume', 'cli-e2e', '--messages', '720', '--json', ...b]);
    assert.equal((JSON.parse(c.stdout) as { records: number }).records, 720);
  });

  it('exits 1 with the address when no broker answers, 2 on bad usage, 0 with --help everywhere', async () => {
    const down = await samsa(['topics', 'list', '-b', '127.0.0.1:1']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^samsa: cannot reach any bootstrap server \(127\.0\.0\.1:1\)/);
    assert.equal((await samsa(['nope'])).code, 2);
    assert.equal((await samsa(['topics', 'create'])).code, 2);
    assert.equal((await samsa(['consume', 'x', '--format', 'xml', ...b])).code, 1);
    for (const cmd of [[], ['broker'], ['topics'], ['topics', 'create'], ['produce'], ['consume'], ['groups', 'describe'], ['groups', 'reset-offsets'], ['perf', 'produce'], ['perf', 'consume'], ['perf', 'end-to-end']]) {
      const help = await samsa([...cmd, '--help']);
      assert.equal(help.code, 0, cmd.join(' '));
      assert.match(help.stdout, /^Usage: samsa/);
    }
  });

  it('exits 0 without a stack when its reader has gone (`samsa topics list | head -1`)', async () => {
    const child = spawn(process.execPath, [SAMSA_BIN(), 'topics', 'list', ...b], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader gone before the command writes: its write fails with EPIPE
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  /** Runs `samsa broker` until its ready line, stops it with SIGTERM, and returns what it logged. */
  async function brokerLogs(args: string[]): Promise<string[]> {
    const dir = await tempDir();
    try {
      const child = spawn(process.execPath, [SAMSA_BIN(), 'broker', '--port', '0', '--data-dir', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += String(d)));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ready line: ${stderr}`)), 30_000);
        child.stdout.on('data', (d) => String(d).includes(' ready on ') && (clearTimeout(timer), resolve()));
      });
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      return stderr.split('\n').filter(Boolean);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('logs JSON lines when stderr is not a terminal, readable lines with --log-format pretty', async () => {
    const json = await brokerLogs([]);
    const ready = json.map((l) => JSON.parse(l) as { level: number; msg: string; component?: string; startMs?: Record<string, number> }).find((r) => r.msg === 'broker ready');
    assert.ok(ready, json.join('\n'));
    assert.equal(ready.level, 30);
    // The start-up's phases, in the order they ran, each in milliseconds.
    assert.deepEqual(Object.keys(ready.startMs ?? {}), ['config', 'storage', 'metadataQuorum', 'security+listeners', 'registration', 'logs', 'partitions', 'migrations', 'unfence', 'coordinators']);
    assert.ok(Object.values(ready.startMs!).every((ms) => Number.isInteger(ms) && ms >= 0), JSON.stringify(ready.startMs));
    const pretty = await brokerLogs(['--log-format', 'pretty']);
    assert.ok(pretty.every((l) => !l.trimStart().startsWith('{')), pretty.join('\n'));
    // time, level, [component], message, then the other fields
    assert.ok(pretty.some((l) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[log\] logs loaded \{"dataDir":/.test(l)), pretty.join('\n'));
    assert.ok(pretty.some((l) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: broker ready \{"node":1,/.test(l)), pretty.join('\n'));
  });
});
