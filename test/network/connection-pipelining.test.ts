/**
 * The network layer on real sockets: pipelined requests answered in order even when they complete
 * out of order, reading paused at the in-flight bound, bad frames closing only their connection.
 */
import assert from 'node:assert/strict';
import { type Socket, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { FrameReader } from '../../src/network/frame-reader.js';
import { NetworkServer } from '../../src/network/server.js';
import { nodeNetwork } from '../../src/network/network.js';
import { systemClock } from '../../src/common/clock.js';

const log = pino({ level: 'silent' });

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** A request body: [id int32][delay ms int32]. The handler echoes the id after the delay. */
function request(id: number, delayMs: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32BE(id, 0);
  b.writeInt32BE(delayMs, 4);
  return frame(b);
}

async function client(port: number): Promise<{ socket: Socket; replies: number[]; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const replies: number[] = [];
  const reader = new FrameReader(1 << 20);
  socket.on('data', (c) => {
    for (const f of reader.push(c)) replies.push(f.readInt32BE(0));
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, replies, closed };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

describe('network connections', () => {
  let server: NetworkServer;
  let maxConcurrent = 0;
  let concurrent = 0;

  before(async () => {
    server = await NetworkServer.listen(
      { host: '127.0.0.1', port: 0, maxFrameBytes: 1024, maxInFlightRequests: 4, maxInFlightBytes: 1 << 20, idleTimeoutMs: 300, maxConnections: 50, network: nodeNetwork, clock: systemClock },
      async (f) => {
        const delay = f.readInt32BE(4);
        if (delay < 0) return 'close';
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await sleep(delay);
        concurrent--;
        return [frame(f.subarray(0, 4))];
      },
      log,
    );
  });
  after(() => server.close());

  it('answers pipelined requests in request order when they finish out of order', async () => {
    const c = await client(server.address.port);
    const delays = [50, 0, 30, 0, 10, 0, 40, 0];
    c.socket.write(Buffer.concat(delays.map((d, i) => request(i, d))));
    await until(() => c.replies.length === delays.length);
    assert.deepEqual(c.replies, [0, 1, 2, 3, 4, 5, 6, 7]);
    c.socket.destroy();
  });

  it('stops reading at the in-flight bound', async () => {
    maxConcurrent = 0;
    const c = await client(server.address.port);
    c.socket.write(Buffer.concat(Array.from({ length: 20 }, (_, i) => request(i, 20))));
    await until(() => c.replies.length === 20);
    assert.ok(maxConcurrent <= 4, `at most the bound in flight (saw ${maxConcurrent})`);
    assert.ok(maxConcurrent >= 2, 'requests overlapped');
    c.socket.destroy();
  });

  it('closes only the connection that sends an oversized or negative frame size', async () => {
    const good = await client(server.address.port);
    for (const bad of [Buffer.from([0x7f, 0xff, 0xff, 0xff]), Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from([0, 0, 4, 1])]) {
      const c = await client(server.address.port);
      c.socket.write(bad);
      await c.closed;
    }
    good.socket.write(request(42, 0));
    await until(() => good.replies.length === 1);
    assert.deepEqual(good.replies, [42]);
    good.socket.destroy();
  });

  it('closes a connection when its handler asks to, after answering what came before', async () => {
    const c = await client(server.address.port);
    c.socket.write(Buffer.concat([request(1, 10), request(2, -1), request(3, 0)]));
    await c.closed;
    assert.deepEqual(c.replies, [1]);
  });

  it('closes idle connections', async () => {
    const c = await client(server.address.port);
    const t0 = Date.now();
    await c.closed;
    assert.ok(Date.now() - t0 >= 250);
  });

  it('tells a handler when its response is written, and when it never will be', async () => {
    const written: number[] = [];
    const s2 = await NetworkServer.listen(
      { host: '127.0.0.1', port: 0, maxFrameBytes: 1024, maxInFlightRequests: 8, maxInFlightBytes: 1 << 20, idleTimeoutMs: 5000, maxConnections: 5, network: nodeNetwork, clock: systemClock },
      async (f) => {
        const id = f.readInt32BE(0);
        await sleep(f.readInt32BE(4));
        return { buffers: [frame(f.subarray(0, 4))], written: () => written.push(id) };
      },
      log,
    );
    try {
      const c = await client(s2.address.port);
      c.socket.write(Buffer.concat([request(1, 0), request(2, 5)]));
      await until(() => c.replies.length === 2 && written.length === 2);
      assert.deepEqual(written, [1, 2]);
      // The client goes away before the answer is ready: its buffers are released all the same.
      c.socket.write(request(3, 100));
      await sleep(20);
      c.socket.destroy();
      await until(() => written.includes(3));
      assert.deepEqual(c.replies, [1, 2]);
    } finally {
      await s2.close();
    }
  });
});
