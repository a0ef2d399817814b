/**
 * `npm run test:kafkajs-suite`: runs kafkajs's own integration suite (its repository's
 * `src/**\/__tests__/*.spec.js`, jest, against a live broker) against a Samsa broker built from
 * this repository, and prints the pass/fail/skip counts. Not part of `npm test`: it needs the
 * kafkajs repository, which is never committed here.
 *
 * - KAFKAJS_REPO: the kafkajs git repository (a bare one, as the search tool's
 *   `fetch github:tulios/kafkajs` brings it, or a clone); default /work/.mirror/tulios+kafkajs/repo.
 *   KAFKAJS_REF picks the commit (default HEAD).
 * - KAFKAJS_SUITE_DIR: where the work tree and its jest install live (default .kafkajs-suite/ in
 *   this repository, git-ignored); the install is kept between runs, the sources re-extracted.
 * - KAFKAJS_SUITE_TIMEOUT_MIN: the whole jest run is killed after this long (default 45).
 * - KAFKAJS_SUITE_WORKERS: jest workers (default 2).
 * - KAFKAJS_SUITE_PORT: the broker's port (default 0, a free one).
 * - KAFKAJS_SUITE_BROKER_ARGS: more `samsa broker` arguments, space-separated (`-o key=value ...`).
 * - KAFKAJS_SUITE_NODES: 3 runs the suite against a three-node Samsa cluster (combined nodes with
 *   node ids 0-2, `default.replication.factor=2` as kafkajs's brokers have), each behind one of
 *   testHelpers' three addresses; default 1, one standalone broker behind all three.
 * - Arguments: jest path patterns to run part of the suite (`npm run test:kafkajs-suite -- consumer/`).
 *
 * Failures listed in kafkajs-suite-known.ts (transactions, cluster mode, ...) are reported by
 * reason; the exit status is 1 when any other test fails (or jest does not finish), else 0.
 *
 * The environment kafkajs's CI gives its suite (docker-compose.2_4.yml, scripts/testWithKafka.sh)
 * is three Kafka 2.4 brokers on localhost:9092/9095/9098 (plus SSL and SASL listeners),
 * num.partitions=2, group.initial.rebalance.delay.ms=0, KAFKA_VERSION=2.4 and
 * KAFKAJS_DEBUG_PROTOCOL_BUFFERS=1. Here one Samsa broker, node id 0 like kafka1 there, advertises
 * itself as localhost on a free port; the work tree's testHelpers/index.js, which hard-codes those
 * three ports, is pointed at it for all three addresses, and scripts/addPartitions.sh (a `docker
 * exec kafka-topics --alter`) is replaced by `samsa topics alter`. Only PLAINTEXT is run: SSL and
 * SASL tests are deselected by name and the ACL specs (which authenticate with SASL or need the
 * ACL APIs) by file; see EXCLUDED_FILES and NOT_PLAINTEXT.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KNOWN_FAILURES, knownFailure } from './kafkajs-suite-known.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SAMSA_CLI = join(ROOT, 'dist', 'src', 'cli', 'samsa.cjs');
const env = process.env;
const REPO = env['KAFKAJS_REPO'] ?? '/work/.mirror/tulios+kafkajs/repo';
const REF = env['KAFKAJS_REF'] ?? 'HEAD';
const SUITE_DIR = resolve(env['KAFKAJS_SUITE_DIR'] ?? join(ROOT, '.kafkajs-suite'));
const TIMEOUT_MIN = Number(env['KAFKAJS_SUITE_TIMEOUT_MIN'] ?? 45);
const WORKERS = Number(env['KAFKAJS_SUITE_WORKERS'] ?? 2);
const PORT = Number(env['KAFKAJS_SUITE_PORT'] ?? 0);
const NODES = Number(env['KAFKAJS_SUITE_NODES'] ?? 1);
const KAFKA_VERSION = '2.4';

/** Spec files left out, with why (matched against the path from the kafkajs root). */
const EXCLUDED_FILES: ReadonlyArray<[RegExp, string]> = [
  [/src\/admin\/__tests__\/(create|delete|describe)Acls\.spec\.js$/, "ACLs checked through kafkajs's SASL_SSL listener, whose certificates and users are its docker brokers' (kafkajs over SASL and ACLs: test/security/interop-kafkajs.test.ts)"],
];
/** Tests deselected by full name: they connect to the SSL or SASL listeners. */
const NOT_PLAINTEXT = /SSL|SASL|SCRAM|OAUTHBEARER|when PLAIN is configured|mechanism isn't supported by the server/;

/** Packages the specs and testHelpers require, installed at kafkajs's own version ranges. */
const JEST_DEPS = ['jest', 'jest-circus', 'jest-extended', 'execa', 'uuid', 'semver', 'glob', 'jsonwebtoken', 'mockdate'];

function log(msg: string): void {
  console.error(`[kafkajs-suite] ${msg}`);
}

/** Runs a command to completion (killed after 10 minutes), failing on a non-zero exit. */
function run(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer } = {}): Buffer {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, maxBuffer: 512 * 1024 * 1024, stdio: ['pipe', 'pipe', 'inherit'], timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}${r.error ? ` (${r.error.message})` : ''}`);
  return r.stdout;
}

/** Extracts kafkajs at REF into SUITE_DIR/kafkajs (keeping node_modules) and installs jest once. */
function prepareWorkTree(): { dir: string; commit: string } {
  if (!existsSync(REPO)) {
    throw new Error(`no kafkajs repository at ${REPO}: bring it with the search tool's \`fetch github:tulios/kafkajs\`, or set KAFKAJS_REPO`);
  }
  const commit = run('git', ['--git-dir', gitDir(REPO), 'rev-parse', `${REF}^{commit}`]).toString().trim();
  const dir = join(SUITE_DIR, 'kafkajs');
  mkdirSync(dir, { recursive: true });
  for (const entry of readdirSync(dir)) if (entry !== 'node_modules' && entry !== '.deps-hash') rmSync(join(dir, entry), { recursive: true, force: true });
  run('tar', ['-x', '-C', dir], { input: run('git', ['--git-dir', gitDir(REPO), 'archive', commit]) });

  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const specs = JEST_DEPS.map((name) => {
    const range = pkg.devDependencies[name];
    if (!range) throw new Error(`kafkajs's package.json has no devDependency ${name}`);
    return `${name}@${range}`;
  });
  const hash = createHash('sha256').update(specs.join('\n')).digest('hex');
  const hashFile = join(dir, '.deps-hash');
  if (!existsSync(join(dir, 'node_modules')) || !existsSync(hashFile) || readFileSync(hashFile, 'utf8') !== hash) {
    log(`installing ${specs.join(' ')}`);
    // kafkajs's package.json lists its whole dev toolchain; only what jest and the specs load is installed.
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
    const own = join(dir, 'package.json');
    const original = readFileSync(own, 'utf8');
    writeFileSync(own, JSON.stringify({ name: 'kafkajs-suite', private: true }));
    try {
      run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', '--loglevel=error', ...specs], { cwd: dir });
    } finally {
      writeFileSync(own, original);
    }
    writeFileSync(hashFile, hash);
  }
  return { dir, commit };
}

/** A bare repository is its own git dir; a clone has one in .git. */
function gitDir(repo: string): string {
  return existsSync(join(repo, '.git')) ? join(repo, '.git') : repo;
}

/** Points testHelpers' three PLAINTEXT addresses at the brokers (one broker: all three at it) and replaces the docker script. */
function patchWorkTree(dir: string, ports: readonly number[]): void {
  const port = ports[0]!;
  const helpers = join(dir, 'testHelpers', 'index.js');
  const text = readFileSync(helpers, 'utf8');
  let patched = text;
  ['9092', '9095', '9098'].forEach((p, i) => (patched = patched.replaceAll(`:${p}\``, `:${ports[i % ports.length]}\``)));
  patched = patched.replace(/port: 9092,/, `port: ${port},`);
  if (patched === text || /:(9092|9095|9098)`|port: 9092,/.test(patched)) {
    throw new Error(`testHelpers/index.js does not look as expected (kafkajs ${REF}); the broker ports could not be replaced`);
  }
  writeFileSync(helpers, patched);
  const addPartitions = join(dir, 'scripts', 'addPartitions.sh');
  writeFileSync(
    addPartitions,
    `#!/bin/sh\n# Samsa: the suite's addPartitions helper, done with the samsa CLI instead of docker exec kafka-topics.\nexec "${process.execPath}" "${SAMSA_CLI}" topics alter "$TOPIC" --partitions "$PARTITIONS" -b 127.0.0.1:${port}\n`,
  );
  chmodSync(addPartitions, 0o755);
}

interface Broker {
  child: ChildProcess;
  port: number;
  dataDir: string;
}

/** A port of 127.0.0.1 free a moment ago (a controller port every node must know before any starts). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolvePort(p));
    });
    s.once('error', reject);
  });
}

/** One standalone broker, or NODES combined nodes with node ids 0..NODES-1 started together. */
async function startSamsa(logFile: string): Promise<Broker[]> {
  if (NODES <= 1) return [await startNode(logFile, [])];
  const controllerPorts = await Promise.all(Array.from({ length: NODES }, () => freePort()));
  const voters = controllerPorts.map((p, id) => `${id}@127.0.0.1:${p}`).join(',');
  const started = await Promise.allSettled(
    controllerPorts.map((cport, id) =>
      startNode(logFile.replace(/\.log$/, `-${id}.log`), [
        '-o', `node.id=${id}`, '-o', 'process.roles=broker,controller', '-o', `controller.quorum.voters=${voters}`, '-o', 'controller.listener.names=CONTROLLER',
        '-o', `listeners=PLAINTEXT://127.0.0.1:${PORT},CONTROLLER://127.0.0.1:${cport}`, '-o', 'default.replication.factor=2',
      ], id),
    ),
  );
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(ok.map(stopSamsa));
    throw (failed as PromiseRejectedResult).reason;
  }
  return ok;
}

async function startNode(logFile: string, extra: string[], nodeId = 0): Promise<Broker> {
  if (!existsSync(SAMSA_CLI)) throw new Error(`${SAMSA_CLI} is missing: run npm run build`);
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-kafkajs-suite-'));
  // As kafka1 of kafkajs's test cluster (docker-compose.2_4.yml), the broker behind localhost:9092:
  // node id 0 (specs look for broker 0), num.partitions=2, no initial rebalance delay, an
  // authorizer that allows what no ACL names (KAFKA_AUTHORIZER_CLASS_NAME, ALLOW_EVERYONE_IF_NO_ACL_FOUND).
  const authorizer = ['-o', 'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer', '-o', 'allow.everyone.if.no.acl.found=true'];
  const args = [SAMSA_CLI, 'broker', '--host', '127.0.0.1', '--port', String(PORT), '--advertised-host', 'localhost', '--node-id', String(nodeId), '--data-dir', dataDir, '--log-level', 'warn', '-o', 'num.partitions=2', '-o', 'group.initial.rebalance.delay.ms=0', ...authorizer, ...extra];
  args.push(...(env['KAFKAJS_SUITE_BROKER_ARGS'] ?? '').split(' ').filter((a) => a !== ''));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.pipe(createWriteStream(logFile));
  const port = await new Promise<number>((resolvePort, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the Samsa broker was not ready in 30 s')), 30_000);
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /ready on \S+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the Samsa broker exited with ${code}; see ${logFile}`));
    });
  });
  return { child, port, dataDir };
}

async function stopSamsa(broker: Broker): Promise<void> {
  const { child } = broker;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(broker.dataDir, { recursive: true, force: true });
}

/** The process group of the running jest, killed whole when the run ends, times out or is interrupted. */
let jestGroup: number | undefined;

function killJest(): void {
  if (jestGroup === undefined) return;
  try {
    process.kill(-jestGroup, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Runs jest in its own process group (so its workers go with it). */
async function runJest(dir: string, resultsFile: string, patterns: string[]): Promise<{ code: number | null; timedOut: boolean }> {
  const specs = patterns.length > 0 ? patterns : ['src/.*/__tests__/.*\\.spec\\.js$'];
  const args = [
    join(dir, 'node_modules', 'jest', 'bin', 'jest.js'),
    '--ci',
    '--forceExit',
    '--no-watchman',
    `--maxWorkers=${WORKERS}`,
    '--reporters=default',
    '--json',
    `--outputFile=${resultsFile}`,
    `--testNamePattern=^(?!.*(${NOT_PLAINTEXT.source})).*$`,
    '--testPathIgnorePatterns=/node_modules/',
    ...EXCLUDED_FILES.map(([re]) => `--testPathIgnorePatterns=${re.source}`),
    '--testPathPattern',
    ...specs,
  ];
  const child = spawn(process.execPath, args, {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...env, NODE_ENV: 'test', KAFKA_VERSION, KAFKAJS_DEBUG_PROTOCOL_BUFFERS: '1', KAFKAJS_NO_PARTITIONER_WARNING: '1', FORCE_COLOR: '0' },
  });
  jestGroup = child.pid;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    log(`jest still running after ${TIMEOUT_MIN} min: killing it`);
    killJest();
  }, TIMEOUT_MIN * 60_000);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  killJest(); // workers left behind by --forceExit
  jestGroup = undefined;
  return { code, timedOut };
}

interface JestResults {
  testResults: { name: string; status: string; message: string; assertionResults: { fullName: string; status: string }[] }[];
}

function report(dir: string, resultsFile: string): number {
  if (!existsSync(resultsFile)) {
    log('jest wrote no results');
    return 1;
  }
  const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as JestResults;
  let passed = 0;
  let skipped = 0;
  let notPlaintext = 0;
  const unexpected: string[] = [];
  const known = new Map<string, string[]>();
  const knownPassed: string[] = [];
  for (const file of r.testResults) {
    const rel = file.name.startsWith(dir) ? file.name.slice(dir.length + 1) : file.name;
    if (file.assertionResults.length === 0 && file.status === 'failed') {
      unexpected.push(`${rel}: the spec file failed to run: ${file.message.split('\n').find((l) => l.trim() !== '') ?? ''}`);
    }
    for (const t of file.assertionResults) {
      const key = `${rel} :: ${t.fullName}`;
      const k = knownFailure(key, NODES);
      if (t.status === 'passed') {
        passed++;
        if (k && !k.flaky) knownPassed.push(key);
      } else if (t.status === 'failed') {
        if (k) known.set(k.reason, [...(known.get(k.reason) ?? []), key]);
        else unexpected.push(key);
      } else if (NOT_PLAINTEXT.test(t.fullName)) notPlaintext++;
      else skipped++;
    }
  }
  const knownCount = [...known.values()].reduce((n, l) => n + l.length, 0);
  const list = (xs: string[]) => xs.map((x) => `    ${x}`).join('\n');
  for (const { reason } of KNOWN_FAILURES) {
    const tests = known.get(reason);
    if (tests) console.log(`\nKnown failures (${tests.length}), ${reason}:\n${list(tests)}`);
  }
  if (knownPassed.length > 0) console.log(`\nListed as known failures but passed (${knownPassed.length}; scripts/kafkajs-suite-known.ts):\n${list(knownPassed)}`);
  if (unexpected.length > 0) console.log(`\nUNEXPECTED failures (${unexpected.length}):\n${list(unexpected)}`);
  console.log(`\nkafkajs suite against ${NODES > 1 ? `a ${NODES}-node Samsa cluster` : 'one Samsa broker'} (KAFKA_VERSION=${KAFKA_VERSION}, PLAINTEXT):`);
  console.log(`  passed ${passed}, failed ${knownCount + unexpected.length} (known ${knownCount}, unexpected ${unexpected.length}), skipped by kafkajs ${skipped}, not run (SSL/SASL) ${notPlaintext}`);
  console.log(`  spec files left out: ${EXCLUDED_FILES.map(([re, why]) => `${re.source} (${why})`).join('; ')}`);
  return unexpected.length === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  mkdirSync(SUITE_DIR, { recursive: true });
  const { dir, commit } = prepareWorkTree();
  const logFile = join(SUITE_DIR, 'broker.log');
  const brokers = await startSamsa(logFile);
  log(`kafkajs ${commit.slice(0, 12)} in ${dir}; Samsa broker${brokers.length > 1 ? 's' : ''} on ${brokers.map((b) => `localhost:${b.port}`).join(', ')} (log ${logFile})`);
  const resultsFile = join(SUITE_DIR, 'results.json');
  rmSync(resultsFile, { force: true });
  let interrupted = false;
  const stopOnSignal = (): void => {
    interrupted = true;
    killJest();
    void Promise.all(brokers.map(stopSamsa)).then(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    patchWorkTree(dir, brokers.map((b) => b.port));
    const { timedOut } = await runJest(dir, resultsFile, process.argv.slice(2));
    if (interrupted) return 130;
    const code = report(dir, resultsFile);
    return timedOut ? 1 : code;
  } finally {
    await Promise.all(brokers.map(stopSamsa));
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
