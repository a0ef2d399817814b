/**
 * A data directory from before the metadata log carried ACLs, SCRAM credentials and quotas: its
 * `__samsa_metadata/security.json` is migrated at the first start (a standalone node, whose
 * controller is in-process): the ACL is in the image and described, the SCRAM user logs in with kafkajs,
 * the quota is in force; a copy of the file as it was is kept and the file no longer holds them;
 * a second start neither loses nor duplicates anything. Its run-time broker configs
 * (`brokerConfigs`) become BROKER configs in the metadata log, unless the cluster has its own value
 * or the config cannot change at run time (then it stays in the file).
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import kafkajs, { Kafka, logLevel } from 'kafkajs';
import { type RunningBroker, startBroker } from '../../src/broker/broker.js';
import { JsonSecurityStore } from '../../src/broker/metadata/security-store.js';
import { seededRandom } from '../../src/common/random.js';
import { credentialFromSaltedPassword, saltedPassword } from '../../src/protocol/sasl/scram.js';
import { readWholeFile, writeFileAtomically } from '../../src/storage/disk-files.js';
import { MemoryDisk } from '../../src/storage/memory-disk.js';
import { type SecureBroker, secureBroker } from '../helpers/secure-broker.js';
import { tempDir } from '../helpers/test-broker.js';
import { type CertFiles, makeCerts } from '../helpers/certs.js';

const { ConfigResourceTypes } = kafkajs;
const salt = Buffer.from('legacy-salt');
const cred = credentialFromSaltedPassword('SCRAM-SHA-256', salt, saltedPassword('SCRAM-SHA-256', 'dave-secret', salt, 4096), 4096);
const b64 = (b: Buffer) => b.toString('base64');

const LEGACY = {
  version: 1,
  acls: [{ resourceType: 2, resourceName: 'legacy', patternType: 3, principal: 'User:dave', host: '*', operation: 3, permissionType: 3 }],
  scram: [{ user: 'dave', mechanism: 'SCRAM-SHA-256', salt: b64(cred.salt), storedKey: b64(cred.storedKey), serverKey: b64(cred.serverKey), iterations: 4096 }],
  quotas: [{ entity: { user: 'dave' }, key: 'consumer_byte_rate', value: 4096 }],
  brokerConfigs: {},
};

describe('migrating an old security.json into the metadata log', { timeout: 120_000 }, () => {
  let dataDir: string;
  let certs: CertFiles;
  let sb: SecureBroker | undefined;
  const file = () => join(dataDir, '__samsa_metadata', 'security.json');

  before(async () => {
    dataDir = await tempDir();
    certs = await makeCerts();
    await mkdir(join(dataDir, '__samsa_metadata'), { recursive: true });
    await writeFile(file(), JSON.stringify(LEGACY));
  });

  after(async () => {
    await sb?.stop();
    await certs?.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  });

  const check = async (s: SecureBroker) => {
    const image = s.broker.metadata.security;
    assert.equal([...image.acls()].length, 1);
    assert.deepEqual([...image.quotas()].map((q) => Object.fromEntries(q.values)), [{ consumer_byte_rate: 4096 }]);
    const acls = await s.admin.admin().describeAcls({ principal: 'User:dave' });
    assert.deepEqual(acls.map((a) => [a.resourceName, a.operation, a.permission]), [['legacy', 'READ', 'ALLOW']]);
    const kafka = new Kafka({ clientId: 'legacy-dave', brokers: [s.address.SASL_PLAINTEXT], sasl: { mechanism: 'scram-sha-256', username: 'dave', password: 'dave-secret' }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.disconnect();
  };

  it('migrates ACLs, SCRAM credentials and quotas at the first start, keeping a copy of the file and emptying it of them', async () => {
    sb = await secureBroker({ authorizer: true, certs, options: { dataDir } });
    await check(sb);
    assert.deepEqual(JSON.parse(await readFile(file() + '.migrated', 'utf8')), LEGACY);
    const now = JSON.parse(await readFile(file(), 'utf8'));
    assert.deepEqual([now.acls, now.scram, now.quotas], [[], [], []]);
  });

  it('keeps them, once, after a restart', async () => {
    await sb!.admin.close();
    await sb!.broker.close();
    sb = await secureBroker({ authorizer: true, certs, options: { dataDir } });
    await check(sb);
  });
});

describe('the copy of an old security.json', () => {
  it('is the file as it was before any migration, however many starts try', async () => {
    const disk = new MemoryDisk(seededRandom(1), () => 0);
    await disk.mkdir('/d');
    await writeFileAtomically(disk, '/d/security.json', Buffer.from(JSON.stringify(LEGACY)));
    const store = new JsonSecurityStore(disk, '/d');
    const changes = await store.load();
    assert.equal(await store.keepCopy('.migrated'), '/d/security.json.migrated');
    // A first start migrated the ACL and the quota, not the SCRAM credential (no in-process active controller).
    await store.append(changes.filter((c) => c.type !== 'scram').map((c) => (c.type === 'acl' ? { type: 'remove-acl' as const, acl: c.acl } : c.type === 'quota' ? { ...c, value: null } : c)));
    assert.equal(JSON.parse((await readWholeFile(disk, '/d/security.json'))!.toString()).acls.length, 0);
    await store.keepCopy('.migrated');
    assert.deepEqual(JSON.parse((await readWholeFile(disk, '/d/security.json.migrated'))!.toString()), LEGACY);
  });
});

describe("migrating an old security.json's run-time broker configs into the metadata log", { timeout: 120_000 }, () => {
  let dataDir: string;
  let broker: RunningBroker | undefined;
  const file = () => join(dataDir, '__samsa_metadata', 'security.json');
  const start = () => startBroker({ dataDir, port: 0, logLevel: 'silent' });
  /** This broker's run-time configs as kafkajs describes them (DYNAMIC_BROKER_CONFIG only). */
  const dynamicConfigs = async (b: RunningBroker): Promise<Record<string, string>> => {
    const admin = new Kafka({ clientId: 'legacy-configs', brokers: [`127.0.0.1:${b.port}`], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const res = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.BROKER, name: String(b.nodeId), configNames: ['log.retention.ms', 'max.connections.per.ip', 'num.partitions'] }], includeSynonyms: false });
      return Object.fromEntries(res.resources[0]!.configEntries.filter((e) => e.configSource === 2 /* DYNAMIC_BROKER_CONFIG */).map((e) => [e.configName, e.configValue]));
    } finally {
      await admin.disconnect();
    }
  };

  before(async () => {
    dataDir = await tempDir();
  });

  after(async () => {
    await broker?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("sets those the cluster has no value for, keeps the cluster's, and leaves one that cannot change at run time in the file", async () => {
    // A broker of today sets log.retention.ms on itself; then its data directory gets an old file.
    broker = await start();
    const admin = new Kafka({ clientId: 'legacy-configs-set', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: String(broker.nodeId), configEntries: [{ name: 'log.retention.ms', value: '1000' }] }] });
    await admin.disconnect();
    await broker.close();
    broker = undefined;
    const legacy = { version: 1, acls: [], scram: [], quotas: [], brokerConfigs: { 'log.retention.ms': '3600000', 'max.connections.per.ip': '77', 'num.partitions': '7' } };
    await mkdir(join(dataDir, '__samsa_metadata'), { recursive: true });
    await writeFile(file(), JSON.stringify(legacy));

    broker = await start();
    assert.deepEqual(broker.metadata.configs(4, String(broker.nodeId)), { 'log.retention.ms': '1000', 'max.connections.per.ip': '77' });
    assert.deepEqual(await dynamicConfigs(broker), { 'log.retention.ms': '1000', 'max.connections.per.ip': '77' });
    assert.deepEqual(JSON.parse(await readFile(file() + '.migrated', 'utf8')), legacy, 'the file as it was is kept');
    assert.deepEqual(JSON.parse(await readFile(file(), 'utf8')).brokerConfigs, { 'num.partitions': '7' }, 'only what cannot be migrated stays');

    // A restart changes nothing: the refused config stays in the file, the migrated ones in the log.
    await broker.close();
    broker = await start();
    assert.deepEqual(await dynamicConfigs(broker), { 'log.retention.ms': '1000', 'max.connections.per.ip': '77' });
    assert.deepEqual(JSON.parse(await readFile(file(), 'utf8')).brokerConfigs, { 'num.partitions': '7' });
  });
});
