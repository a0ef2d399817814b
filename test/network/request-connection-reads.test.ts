/**
 * Where a client connection's reads land: a large answer is read straight into its frame, and
 * after a large answer the next read takes only the head of the shared read buffer, so little of
 * the next large answer (a consumer's next fetch) is copied out of it. The reads are watched
 * through an injected Network that wraps node:net's `onread`.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SamsaClient } from '../../src/client/index.js';
import { type ConnectOptions, type Network, nodeNetwork } from '../../src/network/network.js';
import { FetchApi } from '../../src/protocol/messages/index.js';
import { nextOffsetAfter } from '../../src/client/consumer/fetch-records.js';
import { testBroker } from '../helpers/test-broker.js';

/** Records each read: its size, and whether it landed in the connection's shared read buffer. */
class ReadWatchingNetwork implements Network {
  readonly reads: { n: number; shared: boolean }[] = [];
  createServer: Network['createServer'] = (onConnection, options) => nodeNetwork.createServer(onConnection, options);

  connect(options: ConnectOptions): Socket {
    const inner = options.onread;
    if (!inner) return nodeNetwork.connect(options);
    // The first target a connection offers is its read buffer; later targets in the same memory are its parts.
    let shared: ArrayBufferLike | undefined;
    const target = (): Uint8Array => {
      const b = typeof inner.buffer === 'function' ? inner.buffer() : inner.buffer;
      shared ??= b.buffer;
      return b;
    };
    return nodeNetwork.connect({
      ...options,
      onread: {
        buffer: target,
        callback: (n: number, buf: Uint8Array) => {
          this.reads.push({ n, shared: buf.buffer === shared });
          return inner.callback(n, buf);
        },
      },
    });
  }
}

const MIB = 1024 * 1024;

describe("a client connection's reads", { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  before(async () => {
    broker = await testBroker();
    const setup = new SamsaClient({ bootstrapServers: [broker.bootstrap] });
    try {
      await setup.admin().createTopics([{ name: 'large-answers', partitions: 1 }]);
      const value = Buffer.alloc(1024, 'v');
      for (let i = 0; i < 5; i++) await setup.producer().send('large-answers', Array.from({ length: 1000 }, () => ({ value })));
    } finally {
      await setup.close();
    }
  });
  after(() => broker.stop());

  it('copies at most 16 KiB of a large answer that follows another out of the shared read buffer', async () => {
    const net = new ReadWatchingNetwork();
    const client = new SamsaClient({ bootstrapServers: [broker.bootstrap], network: net });
    try {
      const leader = (await client.cluster.topic('large-answers')).partitions[0]!.leader;
      const conn = await client.cluster.connectionTo(leader);
      let offset = 0n;
      const sharedBytes: number[] = [];
      let received = 0;
      for (let i = 0; i < 4; i++) {
        const mark = net.reads.length;
        const res = await conn.send(FetchApi, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 50 * MIB, isolationLevel: 0, topics: [{ topic: 'large-answers', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: MIB }] }] }, { version: 12 });
        const records = res.responses[0]!.partitions[0]!.records!;
        assert.ok(records.length > MIB / 2, `answer ${i} holds ${records.length} bytes of records`);
        offset = nextOffsetAfter(records, offset);
        const reads = net.reads.slice(mark);
        received += reads.reduce((s, r) => s + r.n, 0);
        sharedBytes.push(reads.filter((r) => r.shared).reduce((s, r) => s + r.n, 0));
      }
      assert.ok(received > 2 * MIB, `${received} bytes read`);
      // The first answer follows small ones (ApiVersions, Metadata), so it may land in the whole buffer.
      for (const [i, bytes] of sharedBytes.entries()) if (i > 0) assert.ok(bytes <= 16 * 1024, `answer ${i}: ${bytes} bytes read into the shared buffer (${sharedBytes.join(', ')})`);
    } finally {
      await client.close();
    }
  });
});
