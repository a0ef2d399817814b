/**
 * Hostile connections against the TLS and SASL listeners of a `samsa broker` child process:
 * garbage before and during the TLS handshake, garbage and oversized frames before and during the
 * SASL handshake, handshakes that stop half way and connections that never speak. Each is cut off
 * on its own (within `samsa.authentication.timeout.ms` for the silent ones), the broker's memory
 * stays bounded, and a bystander producing over SASL_SSL with SCRAM keeps being served throughout.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { type Socket, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { SamsaClient } from '../../src/client/index.js';
import { encodeRequestFrame } from '../../src/protocol/frames.js';
import { SaslAuthenticateApi, SaslHandshakeApi } from '../../src/protocol/messages/index.js';
import { type CertFiles, makeCerts } from '../helpers/certs.js';
import { type ChildBroker, childBroker, tempDir } from '../helpers/test-broker.js';

const TIMEOUT_MS = 1500;

function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

function hostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}

/** Opens a connection, sends `bytes`, and resolves with whether the broker closed it within `ms` and the bytes it sent back. */
async function exchange(address: string, bytes: Buffer | undefined, ms: number): Promise<{ closed: boolean; reply: Buffer; afterMs: number }> {
  const [host, port] = hostPort(address);
  const s: Socket = connect(port, host);
  s.on('error', () => undefined);
  await new Promise((r) => s.once('connect', r));
  const t0 = Date.now();
  const chunks: Buffer[] = [];
  s.on('data', (c) => chunks.push(c));
  const closed = new Promise<boolean>((resolve) => s.once('close', () => resolve(true)));
  if (bytes) s.write(bytes);
  const result = await Promise.race([closed, new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
  const afterMs = Date.now() - t0;
  s.destroy();
  return { closed: result, reply: Buffer.concat(chunks), afterMs };
}

const size = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
/** The first bytes a TLS client sends (its ClientHello), captured from node:tls. */
async function clientHello(): Promise<Buffer> {
  const { Duplex } = await import('node:stream');
  return new Promise((resolve) => {
    const sink = new Duplex({ read() {}, write(chunk: Buffer, _enc, cb) {
      resolve(chunk);
      cb();
    } });
    const s = tlsConnect({ socket: sink, rejectUnauthorized: false });
    s.on('error', () => undefined);
    setTimeout(() => s.destroy(), 100);
  });
}

const handshake = () => Buffer.concat(encodeRequestFrame(SaslHandshakeApi as never, 1, 1, 'hostile', { mechanism: 'PLAIN' }));

describe('hostile connections to TLS and SASL listeners', { timeout: 120_000 }, () => {
  let dir: string;
  let certs: CertFiles;
  let broker: ChildBroker;
  let bystander: SamsaClient;
  let sending = true;
  let acked = 0;
  let loop: Promise<void>;

  before(async () => {
    dir = await tempDir();
    certs = await makeCerts();
    const jaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";';
    await writeFile(
      `${dir}.properties`,
      [
        'listeners=SASL_SSL://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${certs.brokerKeystore}`,
        'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256',
        `listener.name.sasl_ssl.plain.sasl.jaas.config=${jaas}`,
        `listener.name.sasl_plaintext.plain.sasl.jaas.config=${jaas}`,
        `samsa.authentication.timeout.ms=${TIMEOUT_MS}`,
        'connection.failed.authentication.delay.ms=50',
      ].join('\n'),
    );
    broker = await childBroker(dir, ['--config', `${dir}.properties`]);
    const ca = readFileSync(certs.caCert);
    const admin = new SamsaClient({ bootstrapServers: [broker.listeners['SASL_SSL']!], ssl: { ca }, sasl: { mechanism: 'PLAIN', username: 'admin', password: 'admin-secret' } });
    await admin.admin().alterUserScramCredentials([{ user: 'bystander', mechanism: 'SCRAM-SHA-256', password: 'by-secret' }]);
    await admin.admin().createTopics([{ name: 'bystander', partitions: 1 }]);
    await admin.close();
    bystander = new SamsaClient({ bootstrapServers: [broker.listeners['SASL_SSL']!], ssl: { ca }, sasl: { mechanism: 'SCRAM-SHA-256', username: 'bystander', password: 'by-secret' } });
    const producer = bystander.producer({ lingerMs: 0 });
    loop = (async () => {
      while (sending) {
        await producer.send('bystander', { value: `m${acked}` });
        acked++;
      }
    })();
    for (let i = 0; i < 500 && acked === 0; i++) await new Promise((r) => setTimeout(r, 10));
  });
  after(async () => {
    sending = false;
    await loop;
    await bystander.close();
    await broker.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}.properties`, { force: true });
    await certs.cleanup();
  });

  it('closes connections that send garbage or oversized frames before or during the handshakes', async () => {
    const ackedBefore = acked;
    const sasl = broker.listeners['SASL_PLAINTEXT']!;
    const tls = broker.listeners['SSL']!;
    const cases: [string, string, Buffer][] = [
      ['HTTP before the TLS handshake', tls, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
      ['random bytes before the TLS handshake', broker.listeners['SASL_SSL']!, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 255))],
      ['a TLS record claiming 16 KiB then junk', tls, Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x40, 0x00]), Buffer.alloc(300, 0xab)])],
      ['HTTP before the SASL handshake', sasl, Buffer.from('GET / HTTP/1.1\r\n\r\n')],
      ['a frame above sasl.server.max.receive.size', sasl, size(10 << 20)],
      ['a 2 GiB frame size', sasl, size(0x7fffffff)],
      ['a request other than the handshake before login', sasl, Buffer.concat(encodeRequestFrame(SaslAuthenticateApi as never, 1, 1, 'x', { authBytes: Buffer.alloc(8) }))],
      ['a garbage token after the handshake', sasl, Buffer.concat([handshake(), size(12), Buffer.alloc(12, 0xff)])],
      ['an oversized token after the handshake', sasl, Buffer.concat([handshake(), size(600 * 1024)])],
    ];
    for (const [name, address, bytes] of cases) {
      const r = await exchange(address, bytes, 5000);
      assert.ok(r.closed, `${name}: closed (after ${r.afterMs} ms)`);
    }
    assert.ok(acked > ackedBefore + 10, `the bystander kept producing (${acked - ackedBefore} records meanwhile)`);
  });

  it('cuts off connections that stop half way or never speak, within the authentication timeout', async () => {
    const ackedBefore = acked;
    const silent = await Promise.all([
      exchange(broker.listeners['SSL']!, undefined, TIMEOUT_MS * 4),
      exchange(broker.listeners['SASL_SSL']!, (await clientHello()).subarray(0, 40), TIMEOUT_MS * 4),
      exchange(broker.listeners['SASL_PLAINTEXT']!, undefined, TIMEOUT_MS * 4),
      exchange(broker.listeners['SASL_PLAINTEXT']!, handshake(), TIMEOUT_MS * 4),
      exchange(broker.listeners['SASL_PLAINTEXT']!, Buffer.concat([handshake(), size(1000), Buffer.alloc(10)]), TIMEOUT_MS * 4),
    ]);
    for (const [i, r] of silent.entries()) {
      assert.ok(r.closed, `case ${i}: cut off`);
      assert.ok(r.afterMs >= TIMEOUT_MS - 200 && r.afterMs < TIMEOUT_MS * 3, `case ${i}: cut off by the timeout (${r.afterMs} ms)`);
    }
    assert.ok(acked > ackedBefore + 10);
  });

  it('keeps memory bounded under a hundred stalled handshakes with large declared frames', async () => {
    const rssBefore = rssOf(broker.process.pid!);
    const ackedBefore = acked;
    const [host, port] = hostPort(broker.listeners['SASL_PLAINTEXT']!);
    const sockets: Socket[] = [];
    for (let i = 0; i < 100; i++) {
      const s = connect(port, host);
      s.on('error', () => undefined);
      s.resume(); // read what comes back, so that the broker's close is seen
      await new Promise((r) => s.once('connect', r));
      // A handshake, then a token declared at the limit (512 KiB) of which only a little arrives.
      s.write(Buffer.concat([handshake(), size(512 * 1024 - 1), Buffer.alloc(1024, 1)]));
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 300));
    const grown = rssOf(broker.process.pid!) - rssBefore;
    const closed = await Promise.all(sockets.map((s) => new Promise<boolean>((resolve) => (s.destroyed ? resolve(true) : (s.once('close', () => resolve(true)), setTimeout(() => resolve(false), TIMEOUT_MS * 4))))));
    assert.ok(closed.every((c) => c), 'all cut off by the timeout');
    // Each holds at most sasl.server.max.receive.size: 100 × 512 KiB = 50 MiB at worst.
    assert.ok(grown < 80 << 20, `RSS grew by ${grown >> 20} MiB`);
    assert.ok(acked > ackedBefore + 10);
  });
});
