/**
 * Produce request frames that arrive over several socket reads are assembled in pooled buffers,
 * which go back to the pool once the request is handled (network/frame-pool.ts). Many large
 * produce requests in flight at once, pipelined on several connections, with acks 0, 1 and all,
 * some refused (an unknown partition, a bad CRC) and one connection dropped mid-frame, must each
 * land in the log exactly as sent: every record read back is the one written at its offset.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AnyApiDescriptor } from '../../src/protocol/api-descriptor.js';
import { encodeRequestFrame } from '../../src/protocol/frames.js';
import { CreateTopicsApi, FetchApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { decodeRecordBatch, encodeUncompressedRecordBatch, iterateBatches } from '../../src/protocol/records/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { testBroker } from '../helpers/test-broker.js';

const TOPIC = 'frames';
const valueOf = (conn: number, req: number, i: number) => `c${conn} r${req} i${i} `.padEnd(300 + ((req * 131 + i * 17) % 900), String.fromCharCode(97 + ((conn + req + i) % 26)));

describe('produce frame reuse', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  before(async () => {
    broker = await testBroker();
    const c = await RawClient.connect(broker.port);
    const res = await c.send(CreateTopicsApi, 7, { topics: [{ name: TOPIC, numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    assert.equal(res.topics[0]!.errorCode, 0);
    c.close();
  });
  after(() => broker.stop());

  it('writes every pipelined frame as sent while their buffers are reused', async () => {
    const CONNECTIONS = 4;
    const REQUESTS = 60;
    // A connection that drops with half a large frame sent: its buffer is never released.
    const dropped = await RawClient.connect(broker.port);
    const big = encodeUncompressedRecordBatch({ records: [{ value: Buffer.alloc(500_000, 1) }] });
    const size = Buffer.alloc(4);
    size.writeInt32BE(big.length + 100);
    dropped.write(Buffer.concat([size, big.subarray(0, 200_000)]));
    dropped.close();

    const expected = new Map<string, string>();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, conn) => {
        const c = await RawClient.connect(broker.port);
        const sends: Promise<void>[] = [];
        for (let req = 0; req < REQUESTS; req++) {
          const partition = (conn + req) % 4;
          const values = Array.from({ length: 40 + (req % 7) * 30 }, (_, i) => valueOf(conn, req, i));
          const records = encodeUncompressedRecordBatch({ records: values.map((v) => ({ value: Buffer.from(v) })) });
          const acks = [1, -1, 0][req % 3]!;
          const refused = req % 11 === 5;
          if (refused) records.writeUInt32BE((records.readUInt32BE(17) + 1) >>> 0, 17);
          const partitionData = [{ index: partition, records }, ...(req % 13 === 4 ? [{ index: 99, records }] : [])];
          const request = { acks, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData }] };
          if (acks === 0 && !refused && partitionData.length === 1) {
            c.write(Buffer.concat(encodeRequestFrame(ProduceApi as unknown as AnyApiDescriptor, 9, 100_000 + req, 'acks-0', request)));
            for (const v of values) expected.set(v, `${partition}`);
            continue;
          }
          if (acks === 0) continue;
          sends.push(
            c.send(ProduceApi, 9, request).then((res) => {
              const p = res.responses[0]!.partitionResponses;
              assert.equal(p[0]!.errorCode, refused ? 2 : 0, `request ${conn}/${req}`);
              if (p[1]) assert.equal(p[1].errorCode, 3);
              if (!refused) for (const v of values) expected.set(v, `${partition}`);
            }),
          );
        }
        await Promise.all(sends);
        c.close();
      }),
    );

    const seen = new Map<string, string>();
    const reader = await RawClient.connect(broker.port);
    for (let partition = 0; partition < 4; partition++) {
      let offset = 0n;
      for (let more = true; more; ) {
        const res = await reader.send(FetchApi, 12, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic: TOPIC, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }] });
        const records = res.responses[0]!.partitions[0]!.records!;
        more = false;
        for (const span of iterateBatches(records)) {
          if (!span.complete) break;
          const batch = await decodeRecordBatch(records, span.position, { maxUncompressedBytes: 1 << 24 });
          for (const r of batch.records) {
            const v = r.value!.toString();
            assert.equal(seen.has(v), false, `${v.slice(0, 20)} written twice`);
            seen.set(v, `${partition}`);
            offset = r.offset + 1n;
            more = true;
          }
        }
      }
    }
    reader.close();
    assert.equal(seen.size, expected.size);
    for (const [v, p] of expected) assert.equal(seen.get(v), p, `${v.slice(0, 20)} in partition ${p}`);
  });
});
