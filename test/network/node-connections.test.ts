/**
 * A node's connections to its peers (src/network/node-connections.ts) report a refused login or
 * handshake once per node and reason, so a misconfigured cluster says why it waits; a node that
 * is only unreachable (not started yet, restarting) is retried without a report.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { saslLogin } from '../../src/client/security.js';
import { systemClock } from '../../src/common/clock.js';
import { nodeNetwork } from '../../src/network/network.js';
import { NodeConnections, type NodeAddress } from '../../src/network/node-connections.js';
import { ApiVersionsApi } from '../../src/protocol/messages/index.js';
import { type SecureBroker, secureBroker } from '../helpers/secure-broker.js';
import { freePort } from '../helpers/test-broker.js';

function connections(address: NodeAddress, password: string, refusals: string[]): NodeConnections {
  return new NodeConnections({
    address: () => address,
    clock: systemClock,
    network: nodeNetwork,
    clientId: 'node-connections-test',
    requestTimeoutMs: 5000,
    connectTimeoutMs: 5000,
    authenticate: (conn) => saslLogin(conn, { mechanism: 'PLAIN', username: 'alice', password }, () => 'nonce'),
    onRefused: (nodeId, err) => refusals.push(`${nodeId}: ${err.message}`),
  });
}

const apiVersions = (c: NodeConnections) => c.send(1, ApiVersionsApi, { clientSoftwareName: 'test', clientSoftwareVersion: '1' }, { version: 3 });

describe('NodeConnections', { timeout: 60_000 }, () => {
  let sb: SecureBroker;
  let address: NodeAddress;
  before(async () => {
    sb = await secureBroker({ config: { 'connection.failed.authentication.delay.ms': 10 } });
    const [host, port] = sb.address.SASL_PLAINTEXT.split(':');
    address = { host: host!, port: Number(port) };
  });
  after(() => sb.stop());

  it('reports a refused login once per node while it keeps retrying, and again after a success', async () => {
    const refusals: string[] = [];
    const c = connections(address, 'wrong', refusals);
    try {
      for (let i = 0; i < 3; i++) await assert.rejects(apiVersions(c));
      assert.equal(refusals.length, 1, refusals.join('\n'));
      assert.match(refusals[0]!, /^1: .*(SASL|authentication|password)/i);
    } finally {
      c.close();
    }
    const ok = connections(address, 'alice-secret', refusals);
    try {
      assert.equal((await apiVersions(ok)).errorCode, 0);
      assert.equal(refusals.length, 1);
    } finally {
      ok.close();
    }
  });

  it('does not report a node that is only unreachable', async () => {
    const refusals: string[] = [];
    const c = connections({ host: '127.0.0.1', port: await freePort() }, 'alice-secret', refusals);
    try {
      for (let i = 0; i < 2; i++) await assert.rejects(apiVersions(c), /connect/);
      assert.deepEqual(refusals, []);
    } finally {
      c.close();
    }
  });
});
