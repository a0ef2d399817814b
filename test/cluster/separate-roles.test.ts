/**
 * Kafka's isolated mode: three nodes with process.roles=controller form the quorum, two with
 * process.roles=broker follow the metadata log as observers, register with the active controller
 * and serve clients; the controllers have no client listener and hold no partitions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningBroker } from '../../src/broker/broker.js';
import { startBroker } from '../../src/broker/broker.js';
import { SamsaClient } from '../../src/client/index.js';
import { freePort } from '../helpers/test-broker.js';

describe('controllers and brokers on separate nodes', { timeout: 60_000 }, () => {
  let controllers: RunningBroker[] = [];
  let brokers: RunningBroker[] = [];

  before(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const base = { 'controller.quorum.voters': ports.map((p, i) => `${100 + i}@127.0.0.1:${p}`).join(','), 'controller.listener.names': 'CONTROLLER' };
    const start = (nodeId: number, config: Record<string, string | number>) => startBroker({ storage: 'memory', logLevel: 'silent', nodeId, config: { ...base, ...config } });
    [controllers, brokers] = await Promise.all([
      Promise.all(ports.map((p, i) => start(100 + i, { 'process.roles': 'controller', listeners: `CONTROLLER://127.0.0.1:${p}` }))),
      Promise.all([1, 2].map((id) => start(id, { 'process.roles': 'broker', listeners: 'PLAINTEXT://127.0.0.1:0', 'offsets.topic.replication.factor': 2 }))),
    ]);
  });

  after(async () => {
    await Promise.all(brokers.map((b) => b.close()));
    await Promise.all(controllers.map((c) => c.close()));
  });

  it('the controllers lead the quorum, the brokers follow it as observers and serve clients', async () => {
    assert.deepEqual(controllers.map((c) => c.roles), [['controller'], ['controller'], ['controller']]);
    assert.deepEqual(brokers.map((b) => b.roles), [['broker'], ['broker']]);
    const client = new SamsaClient({ bootstrapServers: [brokers[0]!.bootstrap] });
    try {
      const q = await client.admin().describeQuorum();
      assert.ok([100, 101, 102].includes(q.leaderId));
      assert.deepEqual(q.voters.map((v) => v.nodeId).sort(), [100, 101, 102]);
      assert.deepEqual(q.observers.map((o) => o.nodeId).sort(), [1, 2]);
      await client.admin().createTopics([{ name: 'isolated', partitions: 4, replicationFactor: 2 }]);
      // Created through broker 1; broker 2 learns it from the log a moment later.
      for (let i = 0; i < 100 && !brokers[1]!.metadata.topic('isolated'); i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(brokers[1]!.metadata.topic('isolated')?.partitions.map((p) => [...p.replicas].sort()), [[1, 2], [1, 2], [1, 2], [1, 2]]);
      const meta = await client.producer().send('isolated', { key: 'k', value: 'v' });
      assert.ok(meta[0]!.offset >= 0n);
      const cluster = await client.admin().describeClusterNodes();
      assert.deepEqual(cluster.brokers.map((b) => b.nodeId), [1, 2], 'controllers are not brokers');
      assert.deepEqual(cluster.controllers.map((c) => c.nodeId), [100, 101, 102]);
    } finally {
      await client.close();
    }
  });
});
