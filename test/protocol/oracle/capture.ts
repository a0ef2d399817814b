/**
 * Captures request frames from real Kafka clients into test/fixtures/oracle/, for the oracle
 * tests. Run it by hand when a client or scenario changes (it needs kcat on the PATH):
 *
 *   npx tsx test/protocol/oracle/capture.ts
 *
 * Each fixture is one request frame without its size prefix: header and body, as the client sent it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { ApiKey } from '../../../src/protocol/messages/index.js';
import { fixturePath } from '../../helpers/repo-root.js';
import { CODECS, GROUP, KAFKAJS_RECORDS, KCAT_HEADER, KCAT_RECORDS, TOPIC } from './scenario.js';
import { StubBroker } from './stub-broker.js';

const OUT = fixturePath('oracle');

function save(name: string, stub: StubBroker, apiKey: number): void {
  const f = stub.frames.find((x) => x.apiKey === apiKey);
  if (!f) throw new Error(`${name}: no request with api key ${apiKey} was captured`);
  writeFileSync(join(OUT, `${name}.bin`), f.frame);
  console.log(`${name}.bin: api ${apiKey} v${f.apiVersion}, ${f.frame.length} bytes`);
}

/** Runs kcat against a fresh stub; stops it once `until` holds or it exits. */
async function kcat(args: string[], input: string | undefined, until: (s: StubBroker) => boolean): Promise<StubBroker> {
  const stub = new StubBroker();
  await stub.start();
  const child = spawn('kcat', ['-b', `127.0.0.1:${stub.port}`, ...args], { stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin.end(input ?? '');
  const exited = new Promise((resolve) => child.on('exit', resolve));
  for (let i = 0; i < 100 && !until(stub) && child.exitCode === null; i++) await sleep(100);
  child.kill('SIGKILL');
  await exited;
  await stub.stop();
  return stub;
}

const has = (apiKey: number) => (s: StubBroker) => s.frames.some((f) => f.apiKey === apiKey);

async function captureKcat(): Promise<void> {
  const meta = await kcat(['-L', '-t', TOPIC], undefined, has(ApiKey.Metadata));
  save('kcat-api-versions', meta, ApiKey.ApiVersions);
  save('kcat-metadata', meta, ApiKey.Metadata);
  const lines = KCAT_RECORDS.map((r) => `${r.key}:${r.value}`).join('\n') + '\n';
  for (const codec of CODECS) {
    const args = ['-P', '-t', TOPIC, '-p', '0', '-K', ':', '-H', `${KCAT_HEADER.key}=${KCAT_HEADER.value}`, '-X', `compression.codec=${codec}`, '-X', 'linger.ms=200'];
    save(`kcat-produce-${codec}`, await kcat(args, lines, has(ApiKey.Produce)), ApiKey.Produce);
  }
  save('kcat-fetch', await kcat(['-C', '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e'], undefined, has(ApiKey.Fetch)), ApiKey.Fetch);
  save('kcat-join-group', await kcat(['-G', GROUP, TOPIC], undefined, has(ApiKey.JoinGroup)), ApiKey.JoinGroup);
}

async function captureKafkajs(): Promise<void> {
  const stub = new StubBroker();
  await stub.start();
  const kafka = new Kafka({ clientId: 'oracle-kafkajs', brokers: [`127.0.0.1:${stub.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: TOPIC, compression: CompressionTypes.GZIP, messages: KAFKAJS_RECORDS.map((r) => ({ ...r, partition: 0 })) });
  save('kafkajs-api-versions', stub, ApiKey.ApiVersions);
  save('kafkajs-metadata', stub, ApiKey.Metadata);
  save('kafkajs-produce-gzip', stub, ApiKey.Produce);
  stub.frames.length = 0;
  await producer.send({ topic: TOPIC, compression: CompressionTypes.None, messages: KAFKAJS_RECORDS.map((r) => ({ ...r, partition: 0 })) });
  save('kafkajs-produce-none', stub, ApiKey.Produce);
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: GROUP, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  void consumer.run({ eachMessage: async () => {} });
  for (let i = 0; i < 100 && !has(ApiKey.Fetch)(stub); i++) await sleep(100);
  save('kafkajs-join-group', stub, ApiKey.JoinGroup);
  save('kafkajs-fetch', stub, ApiKey.Fetch);
  await consumer.disconnect().catch(() => {});
  await stub.stop();
}

// Only when run as a script: importing this module (or a test runner sweeping test/) captures nothing.
if (process.argv[1] && resolve(process.argv[1]).replace(/\.js$/, '.ts') === fileURLToPath(import.meta.url).replace(/\.js$/, '.ts')) {
  mkdirSync(OUT, { recursive: true });
  await captureKcat();
  await captureKafkajs();
}
