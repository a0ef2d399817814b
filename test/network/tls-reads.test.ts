/**
 * TLS connections' reads and writes. Reads into caller-provided buffers (adoptTlsReads), as
 * PLAINTEXT sockets read with `onread`: on both ends of a TLS connection (an accepted socket and
 * one made over a connected socket, the two kinds for which node:tls ignores `onread`), bytes read
 * before the switch handed back in order, and a TLS listener's connections reading frames of every
 * size that way (small ones from the shared buffer, large ones straight into the frame) while
 * answering in order. Writes: large responses go in pieces of at most 1 MiB, small ones of the
 * same tick together, every byte in order and each response's callback after its last byte.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type AddressInfo, connect as netConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type TLSSocket, connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import pino from 'pino';
import { systemClock } from '../../src/common/clock.js';
import type { Connection } from '../../src/network/connection.js';
import { FrameReader } from '../../src/network/frame-reader.js';
import { adoptTlsReads, nodeNetwork } from '../../src/network/network.js';
import { NetworkServer } from '../../src/network/server.js';
import { type CertFiles, makeCerts } from '../helpers/certs.js';

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

/** Reads into two small buffers in turn, recording what each read brought. */
function recorder(socket: TLSSocket): { got: Buffer[]; buffered: Buffer[] | undefined; foreign: number } {
  const buffers: Uint8Array[] = [Buffer.alloc(5000), Buffer.alloc(7000)];
  let next = 0;
  const r = { got: [] as Buffer[], buffered: undefined as Buffer[] | undefined, foreign: 0 };
  r.buffered = adoptTlsReads(socket, {
    target: () => buffers[next++ % 2]!,
    onRead: (n, buf) => {
      if (!buffers.includes(buf)) r.foreign++;
      r.got.push(Buffer.from(buf.subarray(0, n)));
    },
  });
  socket.on('data', () => r.foreign++);
  return r;
}

describe('TLS reads into caller-provided buffers', { timeout: 120_000 }, () => {
  let certs: CertFiles;
  let ca: Buffer;
  let key: Buffer;
  let cert: Buffer;
  before(async () => {
    certs = await makeCerts();
    ca = await readFile(certs.caCert);
    key = await readFile(certs.brokerKey);
    cert = await readFile(certs.brokerCert);
  });
  after(() => certs.cleanup());

  it('takes over the reads of an accepted TLS socket and of one made over a connected socket, bytes already read first', async () => {
    const early = randomBytes(300);
    const bulk = randomBytes(1 << 20);
    const reply = randomBytes(200_000);
    let serverSide: ReturnType<typeof recorder> | undefined;
    const server = createTlsServer({ key, cert }, (socket) => {
      socket.on('error', () => undefined);
      // Wait until the client's first bytes are read and buffered by the socket, then take over.
      socket.once('readable', () => {
        serverSide = recorder(socket);
        socket.write(reply);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const tcp = netConnect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => tcp.once('connect', resolve));
    const client = tlsConnect({ socket: tcp, ca, servername: 'localhost' });
    await new Promise((resolve) => client.once('secureConnect', resolve));
    const clientSide = recorder(client);
    try {
      assert.deepEqual(clientSide.buffered, []);
      client.write(early);
      await until(() => serverSide !== undefined);
      client.write(bulk);
      const total = (chunks: Buffer[]) => chunks.reduce((n, c) => n + c.length, 0);
      await until(() => total(serverSide!.got) + total(serverSide!.buffered ?? []) === early.length + bulk.length && total(clientSide.got) === reply.length);
      const s = serverSide!;
      assert.ok(s.buffered && s.buffered.length > 0, 'the bytes read before the switch are handed back');
      assert.deepEqual(Buffer.concat([...s.buffered, ...s.got]), Buffer.concat([early, bulk]));
      assert.deepEqual(Buffer.concat(clientSide.got), reply);
      assert.equal(s.foreign + clientSide.foreign, 0, "no 'data' events and no read outside the given buffers");
      assert.ok(Math.max(...s.got.map((c) => c.length)) <= 7000);
    } finally {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("serves a TLS listener's connections from the shared read buffer and straight into large frames, in order", async () => {
    const seen: Connection[] = [];
    const server = await NetworkServer.listen(
      {
        host: '127.0.0.1',
        port: 0,
        maxFrameBytes: 8 << 20,
        maxInFlightRequests: 8,
        maxInFlightBytes: 64 << 20,
        idleTimeoutMs: 30_000,
        maxConnections: 10,
        network: nodeNetwork,
        clock: systemClock,
        tls: { contextOptions: () => ({ key, cert }), clientAuth: 'none' },
        onConnection: (c) => seen.push(c),
      },
      // Echoes each frame's length and a checksum of its bytes.
      (f) => {
        const out = Buffer.alloc(12);
        out.writeInt32BE(8);
        out.writeInt32BE(f.length, 4);
        out.writeInt32BE(f.reduce((h, b) => (h * 31 + b) | 0, 7), 8);
        return [out];
      },
      pino({ level: 'silent' }),
    );
    const socket = tlsConnect({ host: '127.0.0.1', port: server.address.port, ca, servername: 'localhost' });
    try {
      await new Promise((resolve) => socket.once('secureConnect', resolve));
      const answers: [number, number][] = [];
      const reader = new FrameReader(1 << 20);
      socket.on('data', (c: Buffer) => {
        for (const f of reader.push(c)) answers.push([f.readInt32BE(0), f.readInt32BE(4)]);
      });
      const bodies = [1, 20_000, 3 << 20, 5, 70_000, 1 << 20, 16_384, 0].map((n) => randomBytes(n));
      const framed = Buffer.concat(bodies.flatMap((b) => [Buffer.from([b.length >>> 24, (b.length >>> 16) & 255, (b.length >>> 8) & 255, b.length & 255]), b]));
      // Written in odd-sized pieces, so that frames and their size prefixes straddle TLS records.
      for (let i = 0; i < framed.length; i += 99_991) socket.write(framed.subarray(i, i + 99_991));
      await until(() => answers.length === bodies.length);
      assert.deepEqual(
        answers,
        bodies.map((b) => [b.length, b.reduce((h, x) => (h * 31 + x) | 0, 7)]),
      );
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.socket.listenerCount('data'), 0, "the connection reads without 'data' events");
    } finally {
      socket.destroy();
      await server.close(1000);
    }
  });

  it('writes large responses in pieces and small ones together, in order, calling back after each', async () => {
    const big = randomBytes((3 << 20) + 12_345);
    const writes: number[] = [];
    const events: string[] = [];
    const server = await NetworkServer.listen(
      {
        host: '127.0.0.1',
        port: 0,
        maxFrameBytes: 1 << 20,
        maxInFlightRequests: 16,
        maxInFlightBytes: 1 << 20,
        idleTimeoutMs: 30_000,
        maxConnections: 10,
        network: nodeNetwork,
        clock: systemClock,
        tls: { contextOptions: () => ({ key, cert }), clientAuth: 'none' },
        onConnection: (c) => {
          const write = c.socket.write.bind(c.socket) as (chunk: Buffer, cb?: (err?: Error | null) => void) => boolean;
          (c.socket as unknown as { write: typeof write }).write = (chunk, cb) => {
            writes.push(chunk.length);
            return write(chunk, cb);
          };
        },
      },
      // A request [n] is answered with a frame of n bytes from `big` (whole frames: size prefix, head, body, tail).
      (f) => {
        const id = f.readInt32BE(0);
        const n = f.readInt32BE(4);
        const head = Buffer.alloc(8);
        head.writeInt32BE(n + 4);
        head.writeInt32BE(id, 4);
        const body = big.subarray(0, Math.max(0, n - 3));
        const tail = Buffer.from('end').subarray(0, n - body.length);
        return { buffers: [head, body, tail], written: () => events.push(`written ${id}`) };
      },
      pino({ level: 'silent' }),
    );
    const socket = tlsConnect({ host: '127.0.0.1', port: server.address.port, ca, servername: 'localhost' });
    try {
      await new Promise((resolve) => socket.once('secureConnect', resolve));
      const answers: Buffer[] = [];
      const reader = new FrameReader(8 << 20);
      socket.on('data', (c: Buffer) => {
        for (const f of reader.push(c)) answers.push(Buffer.from(f));
      });
      const sizes = [10, big.length + 3, 3, 0, 600_000, 20, 30];
      const req = (id: number, n: number) => {
        const b = Buffer.alloc(12);
        b.writeInt32BE(8);
        b.writeInt32BE(id, 4);
        b.writeInt32BE(n, 8);
        return b;
      };
      socket.write(Buffer.concat(sizes.map((n, id) => req(id, n))));
      await until(() => answers.length === sizes.length && events.length === sizes.length);
      sizes.forEach((n, id) => {
        const a = answers[id]!;
        assert.equal(a.readInt32BE(0), id);
        const body = Buffer.concat([big.subarray(0, Math.max(0, n - 3)), Buffer.from('end').subarray(0, n - Math.max(0, n - 3))]);
        assert.ok(a.subarray(4).equals(body), `response ${id} intact`);
      });
      assert.deepEqual(
        events,
        sizes.map((_, id) => `written ${id}`),
      );
      assert.ok(Math.max(...writes) <= 1 << 20, `every write at most 1 MiB (largest ${Math.max(...writes)})`);
      assert.ok(writes.length <= 12, `small responses gathered (${writes.length} writes)`);
    } finally {
      socket.destroy();
      await server.close(1000);
    }
  });
});
