/**
 * A data directory from before the metadata log — the cluster metadata in
 * `__samsa_metadata/cluster-metadata.json`, partition logs beside it — comes up with its cluster
 * id, topics (ids, partitions, config overrides), producer id blocks and records intact: the first
 * start migrates the file into the metadata log, renames it, and later starts read the log.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { LogManager } from '../../src/log/index.js';
import { DEFAULT_LOG_CONFIG } from '../../src/log/log-config.js';
import { DescribeConfigsApi, FetchApi, InitProducerIdApi, MetadataApi } from '../../src/protocol/messages/index.js';
import { encodeRecordBatch, decodeRecordBatch, iterateBatches } from '../../src/protocol/records/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDir, testBroker } from '../helpers/test-broker.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const ORDERS_ID = 'T3JkZXJzVG9waWNJZDAwMA';
const LEGACY = {
  version: 1,
  clusterId: 'TGVnYWN5Q2x1c3RlcklkMA',
  topics: [
    { name: 'orders', id: ORDERS_ID, partitions: 2, replicationFactor: 1, configs: { 'retention.ms': '86400000' } },
    { name: '__consumer_offsets', id: 'Q29uc3VtZXJPZmZzZXRzMA', partitions: 50, replicationFactor: 1, configs: { 'cleanup.policy': 'compact', 'segment.bytes': '104857600', 'compression.type': 'producer' } },
  ],
  nextProducerId: '7000',
};

/** A data directory as Samsa wrote it before the metadata log: the JSON file and partition logs with records. */
async function legacyDataDir(): Promise<string> {
  const dir = await tempDir();
  dirs.push(dir);
  await mkdir(join(dir, '__samsa_metadata'));
  await writeFile(join(dir, '__samsa_metadata', 'cluster-metadata.json'), JSON.stringify(LEGACY, null, 1));
  const logs = await LogManager.open({ dataDir: dir, defaults: DEFAULT_LOG_CONFIG, logger: pino({ level: 'silent' }) });
  for (const p of [0, 1]) {
    const log = await logs.createLog('orders', p);
    await log.append(await encodeRecordBatch({ records: [{ value: Buffer.from(`old-${p}-a`) }, { value: Buffer.from(`old-${p}-b`) }] }));
  }
  for (let p = 0; p < 50; p++) await logs.createLog('__consumer_offsets', p);
  await logs.close();
  return dir;
}

async function values(client: RawClient, partition: number): Promise<string[]> {
  const res = await client.send(FetchApi, 12, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic: 'orders', partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
  const p = res.responses[0]!.partitions[0]!;
  assert.equal(p.errorCode, 0);
  const out: string[] = [];
  for (const span of iterateBatches(p.records ?? Buffer.alloc(0))) {
    for (const r of (await decodeRecordBatch(p.records!, span.position, { maxUncompressedBytes: 1 << 20 })).records) out.push(r.value!.toString());
  }
  return out;
}

describe('migrating the JSON cluster metadata into the metadata log', { timeout: 60_000 }, () => {
  it('keeps the cluster id, topics, configs, producer ids and records, across this start and the next', async () => {
    const dir = await legacyDataDir();
    for (const round of [1, 2]) {
      const broker = await testBroker({ dataDir: dir });
      try {
        assert.equal(broker.clusterId, LEGACY.clusterId, `round ${round}: the cluster id`);
        const client = await RawClient.connect(broker.port);
        const md = await client.send(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
        assert.equal(md.clusterId, LEGACY.clusterId);
        const orders = md.topics.find((t) => t.name === 'orders')!;
        assert.equal(orders.topicId, ORDERS_ID);
        assert.deepEqual(orders.partitions.map((p) => [p.partitionIndex, p.leaderId, p.leaderEpoch, p.replicaNodes]), [[0, 1, 0, [1]], [1, 1, 0, [1]]]);
        assert.equal(md.topics.find((t) => t.name === '__consumer_offsets')?.topicId, 'Q29uc3VtZXJPZmZzZXRzMA');
        const cfg = await client.send(DescribeConfigsApi, 4, { resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms'] }], includeSynonyms: false, includeDocumentation: false });
        assert.deepEqual(cfg.results[0]!.configs.map((c) => [c.name, c.value, c.configSource]), [['retention.ms', '86400000', 1]]);
        assert.deepEqual(await values(client, 0), ['old-0-a', 'old-0-b']);
        assert.deepEqual(await values(client, 1), ['old-1-a', 'old-1-b']);
        const pid = await client.send(InitProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
        assert.equal(pid.errorCode, 0);
        assert.ok(pid.producerId >= 7000n, `round ${round}: producer ids continue after the legacy block (${pid.producerId})`);
        client.close();
      } finally {
        await broker.close();
      }
      const legacy = await readdir(join(dir, '__samsa_metadata'));
      assert.deepEqual(legacy, ['cluster-metadata.json.migrated'], 'the JSON file is renamed, not read again');
      assert.match(await readFile(join(dir, 'meta.properties'), 'utf8'), new RegExp(`cluster.id=${LEGACY.clusterId}`));
    }
  });
});
