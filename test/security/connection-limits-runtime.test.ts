/**
 * `max.connections` and `listener.name.<l>.max.connections` changed at run time, as Kafka's
 * DynamicConnectionQuota / ListenerConnectionQuota reconfigure them: set per broker through
 * kafkajs's alterConfigs, and as the cluster-wide default through IncrementalAlterConfigs (the
 * resource "" kafkajs cannot name), counted with raw sockets. A lowered limit refuses new
 * connections beyond it and leaves the open ones served; a raised one admits more; removing it
 * restores the static value; the values survive a restart (they are in the metadata log).
 */
import assert from 'node:assert/strict';
import { type Socket, connect } from 'node:net';
import { rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { Kafka, logLevel } from 'kafkajs';
import { type RunningBroker, startBroker } from '../../src/broker/broker.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ApiVersionsApi, IncrementalAlterConfigsApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDir } from '../helpers/test-broker.js';

const { ConfigResourceTypes } = kafkajs;

async function open(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  await new Promise((r) => s.once('connect', r));
  return s;
}

/** Whether the broker closes a socket within `ms` of real time. */
function closedWithin(s: Socket, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    if (s.destroyed || s.readableEnded) return resolve(true);
    s.once('close', () => resolve(true));
    s.once('end', () => resolve(true));
    void sleep(ms).then(() => resolve(false));
  });
}

/** Whether an open connection is still served: an ApiVersions request answered. */
async function served(c: RawClient): Promise<boolean> {
  const r = await Promise.race([c.send(ApiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' }), sleep(5000).then(() => undefined)]);
  return r !== undefined && r.errorCode === ErrorCode.NONE;
}

/** IncrementalAlterConfigs on a BROKER resource (a broker id, or "" for the cluster-wide default): op 0 SET, 1 DELETE. */
async function alter(c: RawClient, resourceName: string, name: string, configOperation: 0 | 1, value: string | null): Promise<void> {
  const [r] = (await c.send(IncrementalAlterConfigsApi, 1, { resources: [{ resourceType: 4, resourceName, configs: [{ name, configOperation, value }] }], validateOnly: false })).responses;
  assert.equal(r!.errorCode, ErrorCode.NONE, r!.errorMessage ?? '');
}

/** How many of `n` new connections the broker keeps (it closes the refused ones as soon as they are accepted). */
async function admitted(port: number, n: number): Promise<{ kept: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i++) sockets.push(await open(port));
  const closed = await Promise.all(sockets.map((s) => closedWithin(s, 1500)));
  return { kept: closed.filter((c) => !c).length, sockets };
}

/** Waits (bounded) until the broker counts no more than the connections the test holds: closes of earlier ones reach it asynchronously. */
async function settle(): Promise<void> {
  await sleep(300);
}

describe('connection limits at run time', { timeout: 120_000 }, () => {
  it('max.connections per listener (kafkajs, per broker) and broker-wide (cluster default): lowered refuses new ones, keeps the open ones; raised admits more; kept across a restart', async () => {
    const dataDir = await tempDir();
    let broker: RunningBroker | undefined;
    const held: Socket[] = [];
    const clients: RawClient[] = [];
    try {
      broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent' });
      const nodeId = String(broker.nodeId);
      // Three connections open before any limit: they stay served whatever the limit becomes.
      for (let i = 0; i < 3; i++) clients.push(await RawClient.connect(broker.port));

      // Per broker, for the PLAINTEXT listener, through kafkajs's admin (AlterConfigs).
      const kafka = new Kafka({ clientId: 'limits', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100 } });
      const admin = kafka.admin();
      await admin.connect();
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: nodeId, configEntries: [{ name: 'listener.name.plaintext.max.connections', value: '2' }] }] });
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: nodeId, configNames: ['listener.name.plaintext.max.connections'] }] });
      assert.equal(described.resources[0]!.configEntries[0]!.configValue, '2');
      await admin.disconnect();
      await settle();

      assert.equal((await admitted(broker.port, 1)).kept, 0, 'three are open, the limit is two: a new connection is refused');
      for (const c of clients) assert.equal(await served(c), true, 'the connections open before the limit was lowered are still served');
      await assert.rejects(async () => {
        const late = new Kafka({ clientId: 'late', brokers: [broker!.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 3000 }).admin();
        try {
          await late.connect();
          await late.describeCluster();
        } finally {
          await late.disconnect();
        }
      }, 'kafkajs cannot connect beyond the limit');

      // The cluster-wide default, raised to 5 while the listener's own is removed: two more connections, not three.
      await alter(clients[0]!, nodeId, 'listener.name.plaintext.max.connections', 1, null);
      await alter(clients[0]!, '', 'max.connections', 0, '5');
      await settle();
      const more = await admitted(broker.port, 3);
      held.push(...more.sockets);
      assert.equal(more.kept, 2, 'max.connections 5 with three open: two more are admitted, the third refused');
      for (const s of more.sockets) s.destroy();
      held.length = 0;

      // Kept in the metadata log: after a restart the cluster default still holds.
      for (const c of clients.splice(0)) c.close();
      await broker.close();
      broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent' });
      await settle();
      const after = await admitted(broker.port, 6);
      held.push(...after.sockets);
      assert.equal(after.kept, 5, 'after a restart, max.connections is still 5');
      // Raised again (per broker, over the cluster default): one more is admitted, so a kafkajs admin connects and removes the limits.
      for (const s of after.sockets.slice(1)) s.destroy();
      await settle();
      const survivor = await RawClient.connect(broker.port);
      clients.push(survivor);
      await alter(survivor, String(broker.nodeId), 'max.connections', 0, '100');
      const kafka2 = new Kafka({ clientId: 'limits2', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100 } });
      const admin2 = kafka2.admin();
      await admin2.connect();
      const cluster = await admin2.describeCluster();
      assert.equal(cluster.brokers.length, 1);
      await admin2.disconnect();
    } finally {
      for (const s of held) s.destroy();
      for (const c of clients) c.close();
      await broker?.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
