/**
 * Hostile bytes on raw sockets against a `samsa broker` child process: each bad connection is
 * answered or closed on its own, a kafkajs producer on another connection keeps working
 * throughout, and the broker's memory does not jump.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { type Socket, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { decodeApiVersionsResponse } from '../../src/protocol/messages/index.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { type ChildBroker, childBroker, tempDir } from '../helpers/test-broker.js';

/** Waits until `cond` holds, at most `ms`. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Sends `bytes` on a fresh connection; resolves with what came back before the broker closed it (or after `waitMs`). */
async function exchange(port: number, bytes: Buffer, opts: { end?: boolean; waitMs?: number } = {}): Promise<{ closed: boolean; reply: Buffer }> {
  const s: Socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => s.once('connect', resolve));
  const chunks: Buffer[] = [];
  s.on('data', (c) => chunks.push(c));
  s.on('error', () => {});
  const closed = new Promise<boolean>((resolve) => s.once('close', () => resolve(true)));
  s.write(bytes);
  if (opts.end) s.end();
  const result = await Promise.race([closed, new Promise<boolean>((r) => setTimeout(() => r(false), opts.waitMs ?? 2000))]);
  s.destroy();
  return { closed: result, reply: Buffer.concat(chunks) };
}

const frame = (body: Buffer) => Buffer.concat([Buffer.from([(body.length >>> 24) & 255, (body.length >>> 16) & 255, (body.length >>> 8) & 255, body.length & 255]), body]);
const header = (apiKey: number, version: number, correlationId = 7) => {
  const b = Buffer.alloc(10);
  b.writeInt16BE(apiKey, 0);
  b.writeInt16BE(version, 2);
  b.writeInt32BE(correlationId, 4);
  b.writeInt16BE(-1, 8); // null client id
  return b;
};

describe('bad input on raw sockets', { timeout: 60_000 }, () => {
  let dir: string;
  let broker: ChildBroker;
  let producer: Producer;
  let sending = true;
  let acked = 0;
  let loop: Promise<void>;

  before(async () => {
    dir = await tempDir();
    broker = await childBroker(dir);
    producer = new Kafka({ clientId: 'bystander', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: true });
    await producer.connect();
    loop = (async () => {
      while (sending) {
        await producer.send({ topic: 'bystander', acks: 1, messages: [{ value: `m${acked}` }] });
        acked++;
      }
    })();
    await until(() => acked > 0);
  });
  after(async () => {
    sending = false;
    await loop;
    await producer.disconnect();
    await broker.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('closes connections that send garbage, bad sizes, truncated frames, unknown APIs or versions', async () => {
    const rssBefore = rssOf(broker.process.pid!);
    const ackedBefore = acked;
    const cases: [string, Buffer, { end?: boolean }?][] = [
      ['garbage', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
      ['negative size', Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3])],
      ['2 GiB size', Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0])],
      ['size over socket.request.max.bytes', Buffer.from([0x06, 0x40, 0x00, 0x01])],
      ['frame shorter than a header', frame(Buffer.from([0, 3, 0]))],
      ['unknown api key', frame(header(999, 0))],
      ['unsupported Metadata version', frame(header(3, 99))],
      ['malformed body', frame(Buffer.concat([header(3, 1), Buffer.from([0x7f, 0xff, 0xff, 0xff])]))],
      ['truncated request then EOF', Buffer.concat([Buffer.from([0, 0, 1, 0]), header(3, 1)]), { end: true }],
    ];
    for (const [name, bytes, opts] of cases) {
      const r = await exchange(broker.port, bytes, opts);
      assert.ok(r.closed, `${name}: connection closed`);
      assert.equal(r.reply.length, 0, `${name}: nothing answered`);
    }
    await until(() => acked >= ackedBefore + 20);
    assert.ok(acked >= ackedBefore + 20, 'the bystander producer kept being served');
    const grown = rssOf(broker.process.pid!) - rssBefore;
    assert.ok(grown < 64 << 20, `RSS grew by ${grown} bytes`);
  });

  it('answers ApiVersions at an unsupported version with UNSUPPORTED_VERSION and keeps the connection', async () => {
    const r = await exchange(broker.port, frame(Buffer.concat([header(18, 77, 42), Buffer.from([0])])), { waitMs: 500 });
    assert.equal(r.closed, false);
    const body = new Reader(r.reply, 4);
    assert.equal(body.readInt32(), 42);
    const res = decodeApiVersionsResponse(body, 0);
    assert.equal(res.errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.ok(res.apiKeys.length > 10);
  });
});
