/**
 * What security costs, measured in one run against one `samsa broker` child process:
 *
 * 1. Produce and fetch throughput over SASL_SSL (TLS 1.3, SCRAM-SHA-256) against PLAINTEXT, the
 *    same client code on both listeners (the Samsa client's pipelined connection: 4 connections
 *    with 8 produce requests in flight, 1 KiB records in 64-record batches), cases alternated.
 *    The goal is at least 70% of PLAINTEXT. The fetch is also made by kcat (librdkafka, whose TLS
 *    is OpenSSL called from C), reading the same topic to its end.
 * 2. The cost of authorization with 10,000 ACLs: one authorize() call (micro), and produce
 *    throughput with the StandardAuthorizer and 10,000 ACLs against a broker without one.
 *
 * Each throughput case also prints the CPU time each side spent per GB moved (the client: this
 * process's `process.cpuUsage()`; the broker: its child process's user and system time), which the
 * machine's other load disturbs less than the rates do. The floor follows: node:tls alone (a TLS
 * pipe against a TCP pipe between two processes, no Samsa) and the cipher alone, in CPU per GB.
 *
 * With BENCH_SECURITY_COMPARE=<another build's dist/> a broker of that build runs too, and the
 * SASL_SSL-against-PLAINTEXT cases alternate between the two brokers in the same run (the client is
 * this build's either way).
 *
 *   npm run bench -- security          BENCH_SECONDS=5 per throughput case, BENCH_ROUNDS=3 rounds (defaults)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { type ConnectionOptions as TlsConnectionOptions, connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createCipheriv, randomBytes } from 'node:crypto';
import { BrokerConnection } from '../src/client/broker-connection.js';
import type { SaslOptions, TlsOptions } from '../src/client/index.js';
import { SamsaClient } from '../src/client/index.js';
import { systemClock } from '../src/common/clock.js';
import { nodeNetwork } from '../src/network/network.js';
import { CreateTopicsApi, FetchApi, ProduceApi } from '../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch, iterateBatches } from '../src/protocol/records/index.js';
import { type AclBinding, AclOperation, AclPermissionType, PatternType, ResourceType } from '../src/security/acl.js';
import { StandardAuthorizer } from '../src/security/authorizer.js';
import { makeCerts } from '../test/helpers/certs.js';
import { measure, report } from './harness.js';
import { spawnBroker, stopBroker } from './broker-process.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const RECORD_BYTES = 1024;
const RECORDS_PER_BATCH = 64;
const CONNECTIONS = 4;
const WINDOW = 8;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);

interface Endpoint {
  port: number;
  tls?: TlsOptions;
  sasl?: SaslOptions;
}

const connectTo = (e: Endpoint) =>
  BrokerConnection.connect({ host: '127.0.0.1', port: e.port, clientId: 'bench', clock: systemClock, network: nodeNetwork, requestTimeoutMs: 60_000, ...(e.tls ? { tls: e.tls } : {}), ...(e.sasl ? { sasl: e.sasl } : {}) });

async function produceRun(e: Endpoint, topic: string): Promise<{ mbps: number; seconds: number }> {
  const value = Buffer.alloc(RECORD_BYTES, 'x');
  const batch = encodeUncompressedRecordBatch({ records: Array.from({ length: RECORDS_PER_BATCH }, () => ({ value })) });
  const conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => connectTo(e)));
  let batches = 0;
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    conns.flatMap((c) =>
      Array.from({ length: WINDOW }, async () => {
        while (performance.now() < end) {
          const res = await c.send(ProduceApi, { acks: 1, timeoutMs: 30000, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] }, { version: 9 });
          const code = res.responses[0]!.partitionResponses[0]!.errorCode;
          if (code !== 0) throw new Error(`produce error ${code}`);
          batches++;
        }
      }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  for (const c of conns) c.close();
  return { mbps: (batches * batch.length) / seconds / 1e6, seconds };
}

const produceRate = async (e: Endpoint, topic: string) => (await produceRun(e, topic)).mbps;

async function fetchRun(e: Endpoint, topic: string): Promise<{ mbps: number; seconds: number; bytes: number; end: bigint }> {
  const c = await connectTo(e);
  let offset = 0n;
  let bytes = 0;
  const t0 = performance.now();
  for (;;) {
    const res = await c.send(FetchApi, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 32 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 8 << 20 }] }] } as never, { version: 12 });
    const p = (res as { responses: { partitions: { records: Buffer | null }[] }[] }).responses[0]!.partitions[0]!;
    if (!p.records || p.records.length === 0) break;
    for (const span of iterateBatches(p.records)) {
      if (!span.complete) break;
      offset = span.header.baseOffset + BigInt(span.header.lastOffsetDelta) + 1n;
      bytes += span.sizeInBytes;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  c.close();
  return { mbps: bytes / seconds / 1e6, seconds, bytes, end: offset };
}

/**
 * The same fetch by kcat (librdkafka, OpenSSL in C on the client side; its defaults: 1 MiB per
 * partition per fetch), consuming the topic to its end. Its CPU comes from this process's reaped
 * children's times (`cutime` + `cstime` of /proc/self/stat), which grow by kcat's when it exits.
 */
async function kcatFetchRun(e: Endpoint, topic: string, log: { bytes: number; end: bigint }, caFile: string): Promise<{ mbps: number; seconds: number; clientCpu: number }> {
  const args = ['-C', '-b', `127.0.0.1:${e.port}`, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o\n'];
  if (e.sasl && 'password' in e.sasl) args.push('-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${caFile}`, '-X', `sasl.mechanism=${e.sasl.mechanism}`, '-X', `sasl.username=${e.sasl.username}`, '-X', `sasl.password=${e.sasl.password}`);
  const c0 = childrenCpuSeconds();
  const t0 = performance.now();
  const last = await new Promise<string>((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (tail = (tail + String(d)).slice(-64)));
    child.stderr.on('data', (d: Buffer) => (err += String(d)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(tail.trim().split('\n').pop() ?? '') : reject(new Error(`kcat exited ${code}: ${err}`))));
  });
  const seconds = (performance.now() - t0) / 1000;
  if (BigInt(last) + 1n !== log.end) throw new Error(`kcat read ${topic} to offset ${last}, not to its end ${log.end}`);
  return { mbps: log.bytes / seconds / 1e6, seconds, clientCpu: childrenCpuSeconds() - c0 };
}

/** CPU seconds of this process's children that have exited and been reaped (Linux /proc). */
function childrenCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

async function createTopic(e: Endpoint, name: string): Promise<void> {
  const c = await connectTo(e);
  const r = await c.send(CreateTopicsApi, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false }, { version: 7 });
  c.close();
  if (r.topics[0]!.errorCode !== 0) throw new Error(`create ${name}: ${r.topics[0]!.errorMessage}`);
}

function acls(n: number): AclBinding[] {
  const out: AclBinding[] = [];
  for (let i = 0; i < n; i++) {
    const prefixed = i % 4 === 0;
    out.push({ resourceType: i % 10 === 0 ? ResourceType.GROUP : ResourceType.TOPIC, resourceName: prefixed ? `team-${i}-` : `topic-${i}`, patternType: prefixed ? PatternType.PREFIXED : PatternType.LITERAL, principal: `User:user-${i % 500}`, host: '*', operation: i % 3 === 0 && i % 10 !== 0 ? AclOperation.WRITE : AclOperation.READ, permissionType: i % 50 === 0 ? AclPermissionType.DENY : AclPermissionType.ALLOW });
  }
  return out;
}

async function authorizerMicro(): Promise<void> {
  const none = new StandardAuthorizer({ superUsers: [], allowEveryoneIfNoAclFound: false }, []);
  const full = new StandardAuthorizer({ superUsers: ['User:admin'], allowEveryoneIfNoAclFound: false }, acls(10_000));
  const who = { principal: 'User:user-42', clientHost: '10.0.0.1' };
  let i = 0;
  const rows = [
    await measure('no ACLs (baseline)', () => none.authorize(who, AclOperation.WRITE, ResourceType.TOPIC, `topic-${i++ % 10_000}`)),
    await measure('10,000 ACLs, literal hit', () => full.authorize(who, AclOperation.READ, ResourceType.TOPIC, 'topic-542')),
    await measure('10,000 ACLs, name no ACL names', () => full.authorize(who, AclOperation.READ, ResourceType.TOPIC, `unknown-${i++ % 10_000}`)),
    await measure('10,000 ACLs, under a prefix', () => full.authorize({ principal: 'User:user-0', clientHost: '1.1.1.1' }, AclOperation.WRITE, ResourceType.TOPIC, 'team-4000-orders')),
    await measure('10,000 ACLs, super user', () => full.authorize({ principal: 'User:admin', clientHost: '1.1.1.1' }, AclOperation.WRITE, ResourceType.TOPIC, 'x')),
    await measure('10,000 ACLs, KIP-430 operations of a topic', () => full.authorizedOperations(who, ResourceType.TOPIC, 'topic-542')),
  ];
  report('Authorizing one action (StandardAuthorizer semantics)', rows);
  console.log(`per check: ${rows.map((r) => `${r.name} ${(1e6 / r.opsPerSec).toFixed(2)} µs`).join('; ')}`);
}

/**
 * A TLS 1.3 cipher alone on one thread: a reference for TLS throughput, since the broker encrypts
 * what it sends and the client, on the same machine here, decrypts it. Samsa's listeners pick
 * TLS_AES_256_GCM_SHA384 by default (node's order, as a Kafka broker's JVM picks it).
 */
function cipherRate(alg: 'aes-128-gcm' | 'aes-256-gcm'): number {
  const key = randomBytes(alg === 'aes-128-gcm' ? 16 : 32);
  const data = Buffer.alloc(8 << 20, 'x');
  const t0 = performance.now();
  let bytes = 0;
  while (performance.now() - t0 < 1000) {
    const c = createCipheriv(alg, key, randomBytes(12));
    c.update(data);
    c.final();
    bytes += data.length;
  }
  return bytes / ((performance.now() - t0) / 1000) / 1e6;
}

/** CPU seconds per GB AES-256-GCM and AES-128-GCM alone cost on one thread, in 16 KiB calls (TLS records), by `process.cpuUsage()`. */
function cipherCpuPerGb(): Record<string, number> {
  const data = Buffer.alloc(1 << 20, 'x');
  const out: Record<string, number> = {};
  for (const [alg, keyBytes] of [['aes-256-gcm', 32], ['aes-128-gcm', 16]] as const) {
    const key = randomBytes(keyBytes);
    const iv = randomBytes(12);
    const c0 = cpuSeconds();
    for (let n = 0; n < 256; n++) {
      for (let o = 0; o < data.length; o += 16384) {
        const c = createCipheriv(alg, key, iv);
        c.update(data.subarray(o, o + 16384));
        c.final();
      }
    }
    out[alg] = (cpuSeconds() - c0) / ((256 * data.length) / 1e9);
  }
  return out;
}

/**
 * The floor node:tls itself sets, without Samsa: a TCP and a TLS 1.3 pipe between this process and
 * a child (bench/tls-pipe-server.ts) answering each request with 8 MiB in 1 MiB pieces; rate and
 * CPU seconds per GB on each side. The reader reads as the Samsa client reads a large frame: into
 * the answer's own fresh buffer (`onread`, which `tls.connect` honours when it makes the socket
 * itself), so the pipe has the client's copies and page faults and nothing of its own. In mode
 * 'tls-worker' the TLS reader runs on a worker thread (bench/tls-pipe-reader.ts) and hands each
 * answer's buffer to this thread (transferred, not copied): what decrypting off the main thread
 * would give a client, this process's CPU counting both threads.
 */
async function tlsPipe(mode: PipeMode, key: string, cert: string, bytes: number): Promise<Rate & { cipher: string }> {
  const here = fileURLToPath(import.meta.url);
  const ts = here.endsWith('.ts');
  const server = fork(join(here, '..', `tls-pipe-server${ts ? '.ts' : '.js'}`), [mode === 'tls-worker' ? 'tls' : mode, String(ANSWER_BYTES), key, cert], { execArgv: ts ? ['--import', 'tsx'] : [] });
  try {
    const ask = () => new Promise<{ port?: number; cpu?: number }>((resolve) => server.once('message', resolve as (m: unknown) => void));
    const { port } = await ask();
    const serverCpu = async () => {
      const answer = ask();
      server.send('cpu');
      return (await answer).cpu!;
    };
    const reader = mode === 'tls-worker' ? await workerReader(port!, ts) : await socketReader(mode, port!);
    const s0 = await serverCpu();
    const c0 = cpuSeconds();
    const t0 = performance.now();
    let got = 0;
    let touched = 0;
    while (got < bytes) {
      const answer = await reader.next();
      touched += answer[answer.length - 1]!;
      got += answer.length;
    }
    const seconds = (performance.now() - t0) / 1000;
    const clientCpu = cpuSeconds() - c0;
    const brokerCpu = (await serverCpu()) - s0;
    await reader.close();
    if (touched !== 'x'.charCodeAt(0) * (got / ANSWER_BYTES)) throw new Error('the pipe delivered other bytes than the server wrote');
    return { mbps: got / seconds / 1e6, clientCpuPerGb: clientCpu / (got / 1e9), brokerCpuPerGb: brokerCpu / (got / 1e9), cipher: reader.cipher };
  } finally {
    server.kill();
  }
}

const ANSWER_BYTES = 8 << 20;

interface PipeReader {
  /** Asks for the next answer and resolves with it whole. */
  next(): Promise<Buffer>;
  close(): Promise<void>;
  cipher: string;
}

/** The pipe's reader on this thread: each answer read into a fresh buffer of its own. */
async function socketReader(mode: 'plain' | 'tls' | 'tls128', port: number): Promise<PipeReader> {
  let answer = Buffer.allocUnsafe(ANSWER_BYTES);
  let filled = 0;
  let whole: ((b: Buffer) => void) | undefined;
  const onread = {
    buffer: () => answer.subarray(filled),
    callback: (n: number) => {
      filled += n;
      if (filled === ANSWER_BYTES) {
        const done = answer;
        answer = Buffer.allocUnsafe(ANSWER_BYTES);
        filled = 0;
        whole?.(done);
      }
      return true;
    },
  };
  // node's types omit `onread` from tls.connect's options, which node:tls passes on when it makes the socket.
  const socket = mode !== 'plain' ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, onread } as TlsConnectionOptions) : netConnect({ host: '127.0.0.1', port, onread });
  await new Promise((resolve, reject) => {
    socket.once(mode !== 'plain' ? 'secureConnect' : 'connect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  return {
    next: () =>
      new Promise<Buffer>((resolve) => {
        whole = resolve;
        socket.write('next');
      }),
    close: async () => void socket.destroy(),
    cipher: 'getCipher' in socket ? socket.getCipher().name : 'none',
  };
}

/** The pipe's TLS reader on a worker thread; answers come whole, their buffers transferred. */
async function workerReader(port: number, ts: boolean): Promise<PipeReader> {
  const here = fileURLToPath(import.meta.url);
  const worker = new Worker(join(here, '..', `tls-pipe-reader${ts ? '.ts' : '.js'}`), { workerData: { port, answerBytes: ANSWER_BYTES }, ...(ts ? { execArgv: ['--import', 'tsx'] } : {}) });
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    next: () =>
      new Promise<Buffer>((resolve) => {
        worker.once('message', (b: ArrayBuffer) => resolve(Buffer.from(b)));
        worker.postMessage('next');
      }),
    close: async () => {
      await worker.terminate();
    },
    cipher: 'the same, read on a worker thread',
  };
}

/** The pipes: TCP; TLS with node's defaults (AES-256-GCM, which Samsa's listeners pick by default); TLS with AES-128-GCM; TLS read on a worker thread. */
type PipeMode = 'plain' | 'tls' | 'tls128' | 'tls-worker';

async function tlsFloor(key: string, cert: string): Promise<void> {
  console.log(`\n## The floor: node:tls alone (a TLS 1.3 pipe answering 8 MiB in 1 MiB pieces, read into each answer's own buffer) against TCP, alternated, and the cipher alone`);
  const modes: PipeMode[] = ['plain', 'tls', 'tls128', 'tls-worker'];
  const rates: Record<PipeMode, (Rate & { cipher: string })[]> = { plain: [], tls: [], tls128: [], 'tls-worker': [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? modes : [...modes].reverse()) rates[mode].push(await tlsPipe(mode, key, cert, 512 << 20));
  }
  const avg = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
  const label: Record<PipeMode, string> = { plain: 'TCP pipe', tls: `node:tls pipe, ${rates.tls[0]!.cipher}`, tls128: `node:tls pipe, ${rates.tls128[0]!.cipher}`, 'tls-worker': `node:tls pipe, ${rates.tls[0]!.cipher}, read on a worker thread` };
  for (const mode of modes) {
    const v = rates[mode];
    console.log(`${label[mode]}: ${v.map((x) => `${x.mbps.toFixed(0)} MB/s`).join(', ')}; CPU per GB: reader ${avg(v.map((x) => x.clientCpuPerGb)).toFixed(2)} s, writer ${avg(v.map((x) => x.brokerCpuPerGb)).toFixed(2)} s`);
  }
  for (const mode of ['tls', 'tls128', 'tls-worker'] as const) console.log(`${label[mode]} at ${((avg(rates[mode].map((x) => x.mbps)) / avg(rates.plain.map((x) => x.mbps))) * 100).toFixed(0)}% of TCP`);
  const cipher = cipherCpuPerGb();
  console.log(`cipher alone, one thread, 16 KiB calls: AES-256-GCM ${cipher['aes-256-gcm']!.toFixed(2)} CPU s per GB, AES-128-GCM ${cipher['aes-128-gcm']!.toFixed(2)}`);
}

/** The TLS suite a listener picks for node:tls's default offer. */
function negotiatedCipher(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(s.getCipher().name);
      s.destroy();
    });
    s.once('error', reject);
  });
}

/** CPU seconds (user and system) a process has used: this one, or a child broker (Linux /proc). */
function cpuSeconds(child?: ChildProcess): number {
  if (!child) {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  }
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** A throughput case's rate, with the CPU time each side spent per GB moved. */
interface Rate {
  mbps: number;
  clientCpuPerGb: number;
  brokerCpuPerGb: number;
}

/** Runs a case, with the broker's CPU and the client's: this process's, or what the run reports (a kcat child's). */
async function measured(broker: ChildProcess, run: () => Promise<{ mbps: number; seconds: number; clientCpu?: number }>): Promise<Rate> {
  const c0 = cpuSeconds();
  const b0 = cpuSeconds(broker);
  const r = await run();
  const gb = (r.mbps * r.seconds) / 1000;
  return { mbps: r.mbps, clientCpuPerGb: (r.clientCpu ?? cpuSeconds() - c0) / gb, brokerCpuPerGb: (cpuSeconds(broker) - b0) / gb };
}

async function startBroker(properties: string[], dist?: string): Promise<{ child: ChildProcess; listeners: Record<string, number>; stop: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-security-'));
  await writeFile(`${dir}.properties`, properties.join('\n'));
  const cleanup = async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}.properties`, { force: true });
  };
  try {
    const { child, listeners } = await spawnBroker(dir, ['--config', `${dir}.properties`], ...(dist ? [dist] : []));
    return { child, listeners, stop: () => stopBroker(child).then(cleanup) };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function withBroker<T>(properties: string[], fn: (listeners: Record<string, number>, child: ChildProcess) => Promise<T>, dist?: string): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-security-'));
  await writeFile(`${dir}.properties`, properties.join('\n'));
  const { child, listeners } = await spawnBroker(dir, ['--config', `${dir}.properties`], ...(dist ? [dist] : []));
  try {
    return await fn(listeners, child);
  } finally {
    await stopBroker(child);
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}.properties`, { force: true });
  }
}

export default async function run(): Promise<void> {
  await authorizerMicro();
  const certs = await makeCerts();
  const ca = readFileSync(certs.caCert);
  const jaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";';
  try {
    console.log(`\n## SASL_SSL against PLAINTEXT (1 KiB records, ${RECORDS_PER_BATCH}-record batches, ${CONNECTIONS} connections x ${WINDOW} in flight, ${SECONDS} s per case, alternated)`);
    const props = ['listeners=PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0', 'ssl.keystore.type=PEM', `ssl.keystore.location=${certs.brokerKeystore}`, 'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256', `listener.name.sasl_ssl.plain.sasl.jaas.config=${jaas}`];
    const other = process.env['BENCH_SECURITY_COMPARE'];
    const builds = [{ label: 'this build' }, ...(other ? [{ label: other, dist: other }] : [])];
    const results = new Map<string, Record<string, Rate[]>>(builds.map((b) => [b.label, { 'produce PLAINTEXT': [], 'produce SASL_SSL': [], 'fetch PLAINTEXT': [], 'fetch SASL_SSL': [], 'kcat fetch PLAINTEXT': [], 'kcat fetch SASL_SSL': [] }]));
    // One broker per build, all running; each round goes through the builds and, within each, both listeners, orders alternating.
    const brokers: { label: string; plain: Endpoint; secure: Endpoint; child: ChildProcess; stop: () => Promise<void> }[] = [];
    try {
      for (const b of builds) {
        const { child, listeners: l, stop } = await startBroker(props, b.dist);
        const plain: Endpoint = { port: l['PLAINTEXT']! };
        const secure: Endpoint = { port: l['SASL_SSL']!, tls: { ca }, sasl: { mechanism: 'SCRAM-SHA-256', username: 'bench', password: 'bench-secret' } };
        brokers.push({ label: b.label, plain, secure, child, stop });
        const admin = new SamsaClient({ bootstrapServers: [`127.0.0.1:${l['PLAINTEXT']}`] });
        await admin.admin().alterUserScramCredentials([{ user: 'bench', mechanism: 'SCRAM-SHA-256', password: 'bench-secret' }]);
        await admin.close();
        await createTopic(plain, 'warmup');
        await produceRate(plain, 'warmup');
        await produceRate(secure, 'warmup');
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (const br of round % 2 === 0 ? brokers : [...brokers].reverse()) {
          for (const [label, e] of (round % 2 === 0 ? [['PLAINTEXT', br.plain], ['SASL_SSL', br.secure]] : [['SASL_SSL', br.secure], ['PLAINTEXT', br.plain]]) as [string, Endpoint][]) {
            const topic = `t-${label}-${round}`;
            await createTopic(br.plain, topic);
            const r = results.get(br.label)!;
            r[`produce ${label}`]!.push(await measured(br.child, () => produceRun(e, topic)));
            let log = { bytes: 0, end: 0n };
            r[`fetch ${label}`]!.push(await measured(br.child, async () => (log = await fetchRun(e, topic))));
            r[`kcat fetch ${label}`]!.push(await measured(br.child, () => kcatFetchRun(e, topic, log, certs.caCert)));
          }
        }
      }
      for (const br of brokers) console.log(`${br.label}: the SASL_SSL listener negotiates ${await negotiatedCipher(br.secure.port, ca)} with node:tls's default offer`);
    } finally {
      for (const br of brokers) await br.stop();
    }
    const avg = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    for (const b of builds) {
      const r = results.get(b.label)!;
      if (builds.length > 1) console.log(`### broker: ${b.label}`);
      for (const [k, v] of Object.entries(r)) {
        console.log(`${k.padEnd(20)} ${v.map((x) => `${x.mbps.toFixed(1)} MB/s`).join(', ')}; CPU per GB: client ${avg(v.map((x) => x.clientCpuPerGb)).toFixed(2)} s, broker ${avg(v.map((x) => x.brokerCpuPerGb)).toFixed(2)} s`);
      }
      const ratio = (what: string) => ((avg(r[`${what} SASL_SSL`]!.map((x) => x.mbps)) / avg(r[`${what} PLAINTEXT`]!.map((x) => x.mbps))) * 100).toFixed(0);
      console.log(`produce: SASL_SSL at ${ratio('produce')}% of PLAINTEXT (goal >= 70%)`);
      console.log(`fetch:   SASL_SSL at ${ratio('fetch')}% of PLAINTEXT (goal >= 70%)`);
      console.log(`fetch by kcat (librdkafka's TLS: OpenSSL in C on the client side): SASL_SSL at ${ratio('kcat fetch')}% of PLAINTEXT`);
    }
    console.log(`alone on one thread (in this run): AES-128-GCM ${cipherRate('aes-128-gcm').toFixed(0)} MB/s, AES-256-GCM ${cipherRate('aes-256-gcm').toFixed(0)} MB/s`);
    await tlsFloor(certs.brokerKey, certs.brokerCert);

    console.log(`\n## Produce with the StandardAuthorizer and 10,000 ACLs against no authorizer (PLAINTEXT, alternated)`);
    const base = ['listeners=PLAINTEXT://127.0.0.1:0'];
    // The authorizer's broker also has a SASL_PLAINTEXT listener where the super user admin creates the ACLs.
    const authz = ['listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms=PLAIN', `listener.name.sasl_plaintext.plain.sasl.jaas.config=${jaas}`, 'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users=User:admin'];
    const rates: Record<string, number[]> = { 'no authorizer': [], 'authorizer, 10,000 ACLs': [] };
    await withBroker(base, async (l1) => {
      await withBroker(authz, async (l2) => {
        // The ACLs: 10,000 of them, plus the one letting ANONYMOUS (PLAINTEXT) write and create its topics.
        const admin = new SamsaClient({ bootstrapServers: [`127.0.0.1:${l2['SASL_PLAINTEXT']}`], sasl: { mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' } });
        const list = acls(10_000).map((a) => ({ resourceType: a.resourceType === ResourceType.GROUP ? 'group' : 'topic', resourceName: a.resourceName, patternType: a.patternType === PatternType.PREFIXED ? 'prefixed' : 'literal', principal: a.principal, host: a.host, operation: a.operation === AclOperation.WRITE ? 'write' : 'read', permission: a.permissionType === AclPermissionType.DENY ? 'deny' : 'allow' }));
        list.push({ resourceType: 'topic', resourceName: 'auth-', patternType: 'prefixed', principal: 'User:ANONYMOUS', host: '*', operation: 'all', permission: 'allow' });
        for (let i = 0; i < list.length; i += 1000) await admin.admin().createAcls(list.slice(i, i + 1000));
        await admin.close();
        const sides: [string, Endpoint][] = [['no authorizer', { port: l1['PLAINTEXT']! }], ['authorizer, 10,000 ACLs', { port: l2['PLAINTEXT']! }]];
        for (const [, e] of sides) await createTopic(e, 'auth-warmup').then(() => produceRate(e, 'auth-warmup'));
        for (let round = 0; round < ROUNDS; round++) {
          for (const [label, e] of round % 2 === 0 ? sides : [...sides].reverse()) {
            const topic = `auth-${round}`;
            await createTopic(e, topic);
            rates[label]!.push(await produceRate(e, topic));
          }
        }
      });
    });
    for (const [k, v] of Object.entries(rates)) console.log(`${k.padEnd(26)} ${v.map((x) => `${x.toFixed(1)} MB/s`).join(', ')}`);
    console.log(`produce with the authorizer at ${((avg(rates['authorizer, 10,000 ACLs']!) / avg(rates['no authorizer']!)) * 100).toFixed(0)}% of without (one WRITE check per topic per request)`);
  } finally {
    await certs.cleanup();
  }
}
