/**
 * kraftSettings' quorum: static `controller.quorum.voters`, or Kafka 4's default server.properties'
 * `controller.quorum.bootstrap.servers` naming the controller itself (a quorum of one, as
 * `kafka-storage format --standalone` makes); any other dynamic quorum is refused, naming why.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kraftSettings } from '../../../src/broker/cluster/kraft-settings.js';
import { BrokerConfig } from '../../../src/broker/config/broker-config.js';
import { ConfigError } from '../../../src/common/config-def.js';

const combined = (more: Record<string, string>) =>
  new BrokerConfig(
    Object.entries({
      'process.roles': 'broker,controller',
      'node.id': '1',
      listeners: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      'advertised.listeners': 'PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093',
      'controller.listener.names': 'CONTROLLER',
      ...more,
    }),
  );

describe('the quorum from the config', () => {
  it('a controller whose bootstrap servers name itself alone is a quorum of itself, at that address', () => {
    for (const server of ['localhost:9093', '127.0.0.1:9093', '[::1]:9093']) {
      const s = kraftSettings(combined({ 'controller.quorum.bootstrap.servers': server }));
      assert.deepEqual(s.voters, [{ id: 1, host: server.replace(/:9093$/, '').replace(/^\[|\]$/g, ''), port: 9093 }], server);
      assert.equal(s.isVoter, true);
      assert.equal(s.standalone, false);
    }
    // Bound to a host, and reached by its advertised name.
    const bound = kraftSettings(combined({ listeners: 'PLAINTEXT://:9092,CONTROLLER://10.0.0.5:9093', 'advertised.listeners': 'PLAINTEXT://kafka1:9092,CONTROLLER://kafka1:9093', 'controller.quorum.bootstrap.servers': 'kafka1:9093' }));
    assert.deepEqual(bound.voters, [{ id: 1, host: 'kafka1', port: 9093 }]);
  });

  it('static voters win over bootstrap servers', () => {
    const s = kraftSettings(combined({ 'controller.quorum.voters': '1@localhost:9093,2@other:9093,3@third:9093', 'controller.quorum.bootstrap.servers': 'localhost:9093' }));
    assert.deepEqual(s.voters.map((v) => v.id), [1, 2, 3]);
  });

  it('refuses another dynamic quorum, and none at all, saying what Samsa supports', () => {
    const refused = (more: Record<string, string>, name: string) =>
      assert.throws(() => kraftSettings(combined(more)), (e: unknown) => e instanceof ConfigError && e.message.includes(name) && /Samsa supports static quorums/.test(e.message));
    refused({}, 'controller.quorum.voters must be set');
    refused({ 'controller.quorum.bootstrap.servers': 'localhost:9094' }, 'is not this controller alone');
    refused({ 'controller.quorum.bootstrap.servers': 'localhost:9093,other:9093' }, 'is not this controller alone');
    refused({ 'controller.quorum.bootstrap.servers': 'elsewhere:9093' }, 'is not this controller alone');
    // A broker-only node cannot be its own quorum.
    assert.throws(
      () => kraftSettings(new BrokerConfig(Object.entries({ 'process.roles': 'broker', 'node.id': '2', listeners: 'PLAINTEXT://:9092', 'controller.listener.names': 'CONTROLLER', 'controller.quorum.bootstrap.servers': 'localhost:9093' }))),
      /is not this controller alone/,
    );
  });
});
