/**
 * startBroker embedded in a process: several independent brokers side by side, settings from a
 * properties file and from Kafka-named options, the advertised address clients are given, and
 * refusal of a config Kafka would refuse.
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { MetadataApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDir, testBroker } from '../helpers/test-broker.js';

const kafkaFor = (bootstrap: string) => new Kafka({ clientId: 'embedded-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });

describe('embedded brokers', () => {
  it('runs two independent brokers in one process', async () => {
    const [a, b] = await Promise.all([testBroker(), testBroker({ nodeId: 2 })]);
    try {
      assert.notEqual(a.port, b.port);
      assert.notEqual(a.clusterId, b.clusterId);
      const adminA = kafkaFor(a.bootstrap).admin();
      const adminB = kafkaFor(b.bootstrap).admin();
      await Promise.all([adminA.connect(), adminB.connect()]);
      await adminA.createTopics({ topics: [{ topic: 'only-on-a' }] });
      await adminB.createTopics({ topics: [{ topic: 'only-on-b' }] });
      assert.ok((await adminA.listTopics()).includes('only-on-a'));
      assert.ok(!(await adminA.listTopics()).includes('only-on-b'));
      assert.deepEqual((await adminB.describeCluster()).brokers.map((x) => x.nodeId), [2]);
      await Promise.all([adminA.disconnect(), adminB.disconnect()]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('reads a properties file, lets options override it, and advertises the address asked for', async () => {
    const dir = await tempDir();
    const file = join(dir, 'server.properties');
    await writeFile(file, ['# a Kafka-style config file', 'num.partitions=2', 'auto.create.topics.enable=true', 'log.retention.hours=1'].join('\n'));
    const broker = await testBroker({ configFile: file, config: { 'num.partitions': 3 }, advertisedHost: 'broker.example', advertisedPort: 19092 });
    try {
      const c = await RawClient.connect(broker.port);
      const md = await c.send(MetadataApi, 12, { topics: [{ name: 'auto-created', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
      c.close();
      assert.deepEqual(md.brokers.map((x) => [x.host, x.port]), [['broker.example', 19092]]);
      assert.equal(md.topics[0]!.errorCode, 0);
      assert.equal(md.topics[0]!.partitions.length, 3, 'the option overrides the file');
    } finally {
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start with an invalid config, naming it; starts with an unknown one, saying so (as Kafka)', async () => {
    await assert.rejects(testBroker({ config: { 'num.partitions': 'many' } }), /num.partitions/);
    const lines: { level: number; msg: string; config?: string }[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const broker = await testBroker({ config: { 'no.such.setting': 1 }, logger });
    await broker.stop();
    assert.deepEqual(
      lines.filter((l) => l.config !== undefined).map((l) => [l.level, l.config, l.msg]),
      [[40, 'no.such.setting', "The configuration 'no.such.setting' was supplied but isn't a known config."]],
    );
  });
});
