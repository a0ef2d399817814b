/**
 * Acknowledged writes survive the broker process: a clean SIGTERM restart keeps everything
 * produced with acks=all; with samsa.fsync.before.ack, a kill -9 at a random moment loses
 * nothing that was acknowledged.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FetchApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { decodeRecordBatch, encodeRecordBatch, iterateBatches } from '../../src/protocol/records/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { childBroker, tempDir } from '../helpers/test-broker.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function produce(client: RawClient, topic: string, values: string[]): Promise<bigint> {
  const records = await encodeRecordBatch({ records: values.map((v) => ({ value: Buffer.from(v) })) });
  const res = await client.send(ProduceApi, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  const p = res.responses[0]!.partitionResponses[0]!;
  if (p.errorCode !== 0) throw new Error(`produce error ${p.errorCode}`);
  return p.baseOffset;
}

/** Every value in partition 0 of `topic`, in offset order. */
async function readAll(client: RawClient, topic: string): Promise<string[]> {
  const out: string[] = [];
  let offset = 0n;
  for (;;) {
    const res = await client.send(FetchApi, 12, { maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 8 << 20 }] }] });
    const p = res.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0);
    if (!p.records || p.records.length === 0) return out;
    for (const span of iterateBatches(p.records)) {
      if (!span.complete) break;
      const batch = await decodeRecordBatch(p.records, span.position, { maxUncompressedBytes: 64 << 20 });
      for (const r of batch.records) {
        assert.equal(r.offset, offset, 'offsets are contiguous');
        out.push(r.value!.toString());
        offset++;
      }
    }
  }
}

async function createTopic(bootstrapPort: number, topic: string, configs: Record<string, string> = {}): Promise<void> {
  const c = await RawClient.connect(bootstrapPort);
  const { CreateTopicsApi } = await import('../../src/protocol/messages/index.js');
  const res = await c.send(CreateTopicsApi, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }], timeoutMs: 5000, validateOnly: false });
  c.close();
  assert.equal(res.topics[0]!.errorCode, 0);
}

describe('durability across broker restarts', { timeout: 120_000 }, () => {
  it('keeps everything acknowledged across a SIGTERM restart', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    let b = await childBroker(dir);
    await createTopic(b.port, 'durable');
    let c = await RawClient.connect(b.port);
    const sent: string[] = [];
    for (let i = 0; i < 50; i++) {
      const batch = Array.from({ length: 20 }, (_, j) => `r${i * 20 + j}`);
      await produce(c, 'durable', batch);
      sent.push(...batch);
    }
    c.close();
    assert.equal(await b.kill('SIGTERM'), 0, 'clean exit');
    b = await childBroker(dir);
    c = await RawClient.connect(b.port);
    assert.deepEqual(await readAll(c, 'durable'), sent);
    c.close();
    await b.kill('SIGTERM');
  });

  it('loses nothing acknowledged when killed with SIGKILL under samsa.fsync.before.ack', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    for (let round = 0; round < 3; round++) {
      const b = await childBroker(dir, ['-o', 'samsa.log.fsync.before.ack=true']);
      const topic = 'crash';
      if (round === 0) await createTopic(b.port, topic);
      const c = await RawClient.connect(b.port);
      const before = (await readAll(c, topic)).length;
      const acked: string[] = [];
      let stop = false;
      let inFlight = 0;
      // Several producers at once, so appends share fsyncs and the kill lands mid-flight.
      const producers = Array.from({ length: 4 }, async (_, w) => {
        const pc = await RawClient.connect(b.port);
        for (let i = 0; !stop; i++) {
          const values = [`round${round}-w${w}-${i}`];
          inFlight++;
          try {
            await produce(pc, topic, values);
            acked.push(...values);
          } catch {
            break;
          } finally {
            inFlight--;
          }
        }
        pc.close();
      });
      // Kill at a random moment once writes are being acknowledged (on a loaded machine the
      // producers may take a while to start), with writes in flight.
      for (let waited = 0; acked.length < 10; waited += 10) {
        assert.ok(waited < 30_000, `round ${round}: nothing acknowledged within 30 s`);
        await sleep(10);
      }
      await sleep(Math.random() * 300);
      assert.ok(inFlight > 0, 'writes in flight at the kill');
      await b.kill('SIGKILL');
      stop = true;
      await Promise.all(producers);
      c.close();
      const r = await childBroker(dir, ['-o', 'samsa.log.fsync.before.ack=true']);
      const rc = await RawClient.connect(r.port);
      const all = new Set(await readAll(rc, topic));
      rc.close();
      await r.kill('SIGTERM');
      const missing = acked.filter((v) => !all.has(v));
      assert.deepEqual(missing, [], `round ${round}: ${acked.length} acknowledged, ${missing.length} missing`);
      assert.ok(acked.length > 0 && all.size >= before + acked.length);
    }
  });
});
