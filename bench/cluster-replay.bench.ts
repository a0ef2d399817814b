/**
 * Replaying the metadata log at start, for 100,000 partitions: a controller (process.roles=
 * controller, a quorum of one, in this process, on the real disk) is given three registered
 * brokers and 100 topics of 1,000 partitions with replication factor 3, closed, and started again;
 * the figure is start to the image holding every partition. Once from the log alone, once from a
 * snapshot (taken every 1 MiB of records), against a controller with an empty log in the same run.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBroker } from '../src/broker/broker.js';
import { BrokerHeartbeatApi, BrokerRegistrationApi, CreateTopicsApi } from '../src/protocol/messages/index.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { freePort, tempDir } from '../test/helpers/test-broker.js';
import { until } from './cluster-support.js';

const TOPICS = Number(process.env['REPLAY_TOPICS'] ?? 100);
const PER_TOPIC = Number(process.env['REPLAY_PARTITIONS_PER_TOPIC'] ?? 1000);

async function controller(dir: string, port: number, extra: Record<string, string | number> = {}) {
  return startBroker({
    logLevel: 'silent',
    nodeId: 1,
    config: { 'process.roles': 'controller', 'controller.quorum.voters': `1@127.0.0.1:${port}`, 'controller.listener.names': 'CONTROLLER', listeners: `CONTROLLER://127.0.0.1:${port}`, 'log.dirs': dir, 'broker.session.timeout.ms': 3_600_000, ...extra },
  });
}

/** Registers brokers 1-3 with the controller and unfences them. */
async function registerBrokers(c: RawClient, clusterId: string): Promise<void> {
  for (const id of [11, 12, 13]) {
    const incarnationId = Buffer.from(`bench-broker-${id}-000`).toString('base64url').slice(0, 22);
    const register = () => c.send(BrokerRegistrationApi, 4, { brokerId: id, clusterId, incarnationId, listeners: [{ name: 'PLAINTEXT', host: 'localhost', port: 9000 + id, securityProtocol: 0 }], features: [], rack: null, logDirs: [] });
    let r = await register();
    // The quorum of one elects itself just after start: NOT_CONTROLLER until it has.
    for (let i = 0; r.errorCode === 41 && i < 100; i++) r = await new Promise((ok) => setTimeout(ok, 10)).then(register);
    if (r.errorCode !== 0) throw new Error(`registration: ${r.errorCode}`);
    const hb = await c.send(BrokerHeartbeatApi, 1, { brokerId: id, brokerEpoch: r.brokerEpoch, currentMetadataOffset: 1n << 40n, wantFence: false, wantShutDown: false });
    if (hb.isFenced) throw new Error('broker still fenced');
  }
}

/** Fills a fresh controller in `dir` with TOPICS × PER_TOPIC partitions; returns the time it took. */
async function fill(dir: string, port: number, extra: Record<string, string | number>): Promise<number> {
  const node = await controller(dir, port, extra);
  const c = await RawClient.connect(port);
  const t0 = performance.now();
  try {
    await registerBrokers(c, node.clusterId);
    for (let t = 0; t < TOPICS; t += 10) {
      const topics = Array.from({ length: Math.min(10, TOPICS - t) }, (_, i) => ({ name: `replay-${t + i}`, numPartitions: PER_TOPIC, replicationFactor: 3, assignments: [], configs: [] }));
      const res = await c.send(CreateTopicsApi, 7, { topics, timeoutMs: 120_000, validateOnly: false });
      for (const r of res.topics) if (r.errorCode !== 0) throw new Error(`CreateTopics ${r.name}: ${r.errorCode} ${r.errorMessage}`);
    }
    return performance.now() - t0;
  } finally {
    c.close();
    await node.close();
  }
}

/** Starts the controller in `dir` and times it until its image holds `partitions` partitions. */
async function replay(dir: string, port: number, partitions: number): Promise<number> {
  const t0 = performance.now();
  const node = await controller(dir, port);
  await until(300_000, async () => node.metadata.partitionCount >= partitions && node.metadata.feature('metadata.version') !== undefined, 1);
  const ms = performance.now() - t0;
  await node.close();
  return ms;
}

export default async function clusterReplay(): Promise<void> {
  const total = TOPICS * PER_TOPIC;
  const root = await tempDir('samsa-bench-replay-');
  try {
    const port = await freePort();
    const empty = join(root, 'empty');
    await replay(empty, port, 0);
    const emptyMs = await replay(empty, port, 0);
    const logDir = join(root, 'log');
    const fillLog = await fill(logDir, port, {});
    const fromLog = await replay(logDir, port, total);
    const snapDir = join(root, 'snapshot');
    const fillSnap = await fill(snapDir, port, { 'metadata.log.max.record.bytes.between.snapshots': 1 << 20 });
    const fromSnapshot = await replay(snapDir, port, total);
    console.log(`\n## Metadata log replay at start, ${total.toLocaleString('en')} partitions (RF 3), a controller on the real disk`);
    console.log(`created in ${fillLog.toFixed(0)} ms (log only) / ${fillSnap.toFixed(0)} ms (snapshots every 1 MiB): ${((total / fillLog) * 1000).toFixed(0)} partitions/s`);
    console.log(`replay from the log:      start to every partition in the image ${fromLog.toFixed(0)} ms (${((total / fromLog) * 1000).toFixed(0)} partitions/s)`);
    console.log(`replay from a snapshot:   start to every partition in the image ${fromSnapshot.toFixed(0)} ms`);
    console.log(`baseline: empty log       start ${emptyMs.toFixed(0)} ms`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
