/**
 * Connection admission on the controller listener, as Kafka's controller applies the ConnectionQuotas
 * of its own socket server: `max.connections.per.ip.overrides` (and `max.connections.per.ip`),
 * `listener.name.controller.max.connections` (also changed at run time), and an IP entity's `connection_creation_rate` quota
 * from the metadata log. Three combined nodes whose controllers reach each other from 127.0.0.1;
 * raw sockets from other loopback addresses (127.0.0.2-4) fill the limits. A connection beyond a
 * limit is closed unanswered while the quorum keeps working, and a closed one frees its slot.
 */
import assert from 'node:assert/strict';
import { type Socket, connect } from 'node:net';
import { describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { SamsaClient } from '../../src/client/client.js';
import { eventually } from '../helpers/eventually.js';
import { inProcessClusterSuite } from '../helpers/test-cluster.js';

const { Kafka, logLevel } = kafkajs;

/** An ApiVersions v0 request frame (correlation id 1, client id "probe"). */
function apiVersionsFrame(): Buffer {
  const clientId = Buffer.from('probe');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
  body.writeInt16BE(18, 0);
  body.writeInt16BE(0, 2);
  body.writeInt32BE(1, 4);
  body.writeInt16BE(clientId.length, 8);
  clientId.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** A connection from `from` asking ApiVersions: `served` (answered; the socket is left open) or `closed` unanswered; bounded by `ms`. */
function probe(port: number, from: string, ms = 30_000): Promise<{ outcome: 'served' | 'closed' | 'no answer'; socket: Socket }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from });
    socket.on('error', () => undefined);
    const timer = setTimeout(() => done('no answer'), ms);
    const done = (outcome: 'served' | 'closed' | 'no answer') => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.removeAllListeners('close');
      if (outcome !== 'served') socket.destroy();
      resolve({ outcome, socket });
    };
    socket.once('connect', () => socket.write(apiVersionsFrame()));
    socket.once('data', () => done('served'));
    socket.once('close', () => done('closed'));
  });
}

describe('connection admission on the controller listener', { timeout: 180_000 }, () => {
  const suite = inProcessClusterSuite(3, {}, {
    'max.connections.per.ip.overrides': '127.0.0.2:2',
    'listener.name.controller.max.connections': 12,
  });
  const held: Socket[] = [];
  const controllerPort = (i: number) => suite.layout.controllerPorts.get(suite.nodes[i]!.nodeId)!;
  /** Every node knows a topic created now with kafkajs (the quorum works). */
  const quorumWorks = async (topic: string) => {
    const admin = new Kafka({ clientId: 'admission', brokers: [suite.nodes[2]!.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } }).admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }] }), true);
    } finally {
      await admin.disconnect();
    }
    for (const n of suite.nodes) await eventually(`node ${n.nodeId} knows ${topic}`, 15_000, () => n.metadata.topic(topic) !== undefined);
  };
  const release = () => {
    for (const s of held.splice(0)) s.destroy();
  };

  it('max.connections.per.ip.overrides: the third connection from 127.0.0.2 is refused, a closed one frees its slot', async () => {
    const port = controllerPort(1);
    try {
      for (let i = 0; i < 2; i++) {
        const p = await probe(port, '127.0.0.2');
        assert.equal(p.outcome, 'served', `connection ${i + 1} of 2`);
        held.push(p.socket);
      }
      assert.equal((await probe(port, '127.0.0.2')).outcome, 'closed', 'the third is closed unanswered');
      await quorumWorks('per-ip-full');
      held.shift()!.destroy();
      await eventually('a slot is free again', 10_000, async () => {
        const p = await probe(port, '127.0.0.2');
        if (p.outcome === 'served') held.push(p.socket);
        return p.outcome === 'served';
      });
    } finally {
      release();
    }
  });

  it('listener.name.controller.max.connections: beyond it a connection is refused, the quorum keeps working, a closed one frees its slot', async () => {
    const port = controllerPort(0);
    try {
      let refused = false;
      for (let i = 0; i < 20 && !refused; i++) {
        const p = await probe(port, '127.0.0.3');
        if (p.outcome === 'served') held.push(p.socket);
        else refused = p.outcome === 'closed';
      }
      assert.equal(refused, true, 'a connection beyond the 12 of the listener is closed unanswered');
      assert.ok(held.length >= 1 && held.length <= 12, `${held.length} raw connections served beside the nodes' own`);
      await quorumWorks('listener-full');
      held.shift()!.destroy();
      await eventually('a slot is free again', 10_000, async () => {
        const p = await probe(port, '127.0.0.3');
        if (p.outcome === 'served') held.push(p.socket);
        return p.outcome === 'served';
      });
    } finally {
      release();
    }
  });

  it('listener.name.controller.max.connections changed at run time (kafkajs, per broker): lowered, new connections are refused and the quorum keeps its own; raised, they are served again', async () => {
    const node = suite.nodes[1]!;
    const port = controllerPort(1);
    const admin = new Kafka({ clientId: 'admission-alter', brokers: [suite.nodes[0]!.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } }).admin();
    await admin.connect();
    const setLimit = (value: string) => admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.BROKER, name: String(node.nodeId), configEntries: [{ name: 'listener.name.controller.max.connections', value }] }] });
    try {
      const first = await probe(port, '127.0.0.6');
      assert.equal(first.outcome, 'served', 'under the static 12');
      first.socket.destroy();
      // The other two nodes' controllers hold connections to this one's listener: with a limit of 1 no new one fits.
      await setLimit('1');
      await eventually(`node ${node.nodeId} refuses new controller connections`, 15_000, async () => (await probe(port, '127.0.0.6')).outcome === 'closed');
      await quorumWorks('controller-lowered');
      await setLimit('100');
      await eventually(`node ${node.nodeId} serves controller connections again`, 15_000, async () => {
        const p = await probe(port, '127.0.0.6');
        p.socket.destroy();
        return p.outcome === 'served';
      });
    } finally {
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.BROKER, name: String(node.nodeId), configEntries: [] }] }).catch(() => undefined);
      await admin.disconnect();
      release();
    }
  });

  it("an IP's connection_creation_rate quota from the metadata log throttles connections to the controller listener", async () => {
    const client = new SamsaClient({ bootstrapServers: [suite.nodes[0]!.bootstrap] });
    try {
      await client.admin().alterClientQuotas([{ entity: { ip: '127.0.0.4' }, set: { connection_creation_rate: 1 } }]);
    } finally {
      await client.close();
    }
    const target = suite.nodes[2]!;
    await eventually(`node ${target.nodeId} has the quota`, 10_000, () => [...target.metadata.security.quotas()].some((q) => q.entity.some((e) => e.entityType === 'ip' && e.entityName === '127.0.0.4')));
    try {
      // One per second, measured over the quota windows (11 s): about a dozen pass at once, then they are closed after a throttle time.
      let throttled = false;
      for (let i = 0; i < 40 && !throttled; i++) {
        const p = await probe(controllerPort(2), '127.0.0.4');
        assert.notEqual(p.outcome, 'no answer');
        // The rate counts connections made, not open ones: each is closed again (and so stays within the listener's 12).
        p.socket.destroy();
        throttled = p.outcome === 'closed';
      }
      assert.equal(throttled, true, 'connections from 127.0.0.4 beyond the rate are closed');
      assert.equal((await probe(controllerPort(2), '127.0.0.5')).outcome, 'served', 'another address is not throttled');
      await quorumWorks('ip-throttled');
    } finally {
      release();
    }
  });
});
