/**
 * Kafka 4's quick start, with Samsa's CLI in place of Kafka's scripts and Kafka 4's default
 * config/server.properties (only the ports and log.dirs changed, and addresses kept on 127.0.0.1):
 * `storage random-uuid`, `storage format --standalone -t <id> -c server.properties`, then the broker
 * from that file, used by kafkajs. Until stop 29 Samsa refused the file at
 * controller.quorum.bootstrap.servers, and at each key it did not know (num.io.threads, ...).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { runSamsa } from '../helpers/samsa-cli.js';
import { SAMSA_BIN, freePort, tempDir } from '../helpers/test-broker.js';

const serverProperties = (dir: string, brokerPort: number, controllerPort: number) => `
############################# Server Basics #############################
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=localhost:${controllerPort}
############################# Socket Server Settings #############################
listeners=PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://localhost:${controllerPort}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600
############################# Log Basics #############################
log.dirs=${dir}
num.partitions=1
num.recovery.threads.per.data.dir=1
############################# Internal Topic Settings  #############################
offsets.topic.replication.factor=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
############################# Log Retention Policy #############################
log.retention.hours=168
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
# Not Kafka's: a key of another distribution, which Kafka (and Samsa) only log.
confluent.support.metrics.enable=false
`;

it("Kafka 4's quick start: random-uuid, format --standalone, the broker from Kafka's default server.properties, kafkajs", { timeout: 120_000 }, async () => {
  const dir = await tempDir();
  const [brokerPort, controllerPort] = [await freePort(), await freePort()];
  const file = join(dir, 'server.properties');
  await writeFile(file, serverProperties(join(dir, 'kraft-combined-logs'), brokerPort, controllerPort));
  let broker: ReturnType<typeof spawn> | undefined;
  try {
    const uuid = await runSamsa(['storage', 'random-uuid']);
    const clusterId = uuid.stdout.trim();
    assert.match(clusterId, /^[A-Za-z0-9_-]{22}$/);
    const format = await runSamsa(['storage', 'format', '--standalone', '-t', clusterId, '-c', file]);
    assert.equal(format.code, 0, format.stderr);
    assert.match(format.stdout, new RegExp(`Formatting .*kraft-combined-logs with cluster.id ${clusterId} and node.id 1`));
    assert.match(format.stderr, /The configuration 'confluent.support.metrics.enable' was supplied but isn't a known config/);

    broker = spawn(process.execPath, [SAMSA_BIN(), 'broker', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    broker.stderr!.on('data', (d) => (stderr += String(d)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line in 30 s: ${stderr}`)), 30_000);
      let out = '';
      broker!.stdout!.on('data', (d) => {
        out += String(d);
        if (out.includes(' ready on ')) {
          clearTimeout(timer);
          resolve();
        }
      });
      broker!.once('exit', (code) => reject(new Error(`broker exited with ${code}: ${stderr}`)));
    });
    assert.match(stderr, /isn't a known config/);

    const kafka = new Kafka({ clientId: 'quickstart', brokers: [`127.0.0.1:${brokerPort}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    assert.equal(cluster.clusterId, clusterId);
    assert.equal(cluster.controller, 1);
    await admin.createTopics({ topics: [{ topic: 'quickstart-events', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'quickstart-events', messages: [{ value: 'This is my first event' }, { value: 'This is my second event' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'quickstart' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'quickstart-events', fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${values.length} of 2 events in 30 s`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          values.push(String(message.value));
          if (values.length === 2) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    assert.deepEqual(values, ['This is my first event', 'This is my second event']);
    const exited = new Promise((r) => broker!.once('exit', r));
    broker.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (broker && broker.exitCode === null && broker.signalCode === null) broker.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
