/**
 * `samsa dump-log` on the files a broker wrote for kafkajs's records (plain, with a key and a
 * header, and a committed transaction): batch headers with positions and valid CRCs, the records
 * and the COMMIT marker, offset and time index entries that point at the batches; then a copy of
 * the segment with a flipped byte (isvalid: false) and one cut inside its last batch (where the
 * readable log ends).
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { runSamsa as samsa } from '../helpers/samsa-cli.js';
import { tempDir, testBroker } from '../helpers/test-broker.js';

/** A timestamp of the last hour, whole seconds. */
const STAMP = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

describe('samsa dump-log', { timeout: 60_000 }, () => {
  let dir: string;
  let files: string;
  before(async () => {
    dir = await tempDir();
    const broker = await testBroker({ dataDir: dir, config: { 'transaction.state.log.replication.factor': 1, 'transaction.state.log.min.isr': 1 } });
    try {
      const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      // Every batch in the offset index, so that the index has entries to check.
      await admin.createTopics({ topics: [{ topic: 'dumped', configEntries: [{ name: 'index.interval.bytes', value: '1' }] }] });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'dumped', messages: [{ value: 'first' }, { key: 'k', value: 'second', headers: { trace: 'abc' }, timestamp: String(STAMP) }] });
      await producer.disconnect();
      const txn = kafka.producer({ transactionalId: 'dump-txn', idempotent: true, maxInFlightRequests: 1 });
      await txn.connect();
      const t = await txn.transaction();
      await t.send({ topic: 'dumped', messages: [{ value: 'in-txn' }] });
      await t.commit();
      await txn.disconnect();
    } finally {
      await broker.close();
    }
    files = join(dir, 'dumped-0', '00000000000000000000');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('prints the batches, records and the COMMIT marker of a segment, and index entries pointing at the batches', async () => {
    const run = await samsa(['dump-log', '--files', `${files}.log,${files}.index,${files}.timeindex`, '--print-data-log']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    const batches = lines.filter((l) => l.startsWith('baseOffset:'));
    assert.equal(batches.length, 3, run.stdout);
    assert.ok(batches.every((l) => l.includes('isvalid: true') && l.includes('magic: 2')), run.stdout);
    assert.match(batches[0]!, /^baseOffset: 0 lastOffset: 1 count: 2 .*isTransactional: false isControl: false position: 0 CreateTime: \d+ /);
    assert.match(batches[1]!, /^baseOffset: 2 lastOffset: 2 count: 1 baseSequence: 0 lastSequence: 0 producerId: \d+ .*isTransactional: true isControl: false/);
    assert.match(batches[2]!, /^baseOffset: 3 lastOffset: 3 count: 1 .*isTransactional: true isControl: true/);
    assert.deepEqual(
      lines.filter((l) => l.startsWith('| ')).map((l) => l.replace(/CreateTime: (\d+) /, (_, t: string) => (t === String(STAMP) ? 'CreateTime: STAMP ' : ''))),
      // kafkajs numbers the records of a producer without idempotence from sequence 0 all the same.
      ['| offset: 0 keySize: -1 valueSize: 5 sequence: 0 headerKeys: [] payload: first', '| offset: 1 CreateTime: STAMP keySize: 1 valueSize: 6 sequence: 1 headerKeys: [trace] key: k payload: second', '| offset: 2 keySize: -1 valueSize: 6 sequence: 0 headerKeys: [] payload: in-txn', '| offset: 3 endTxnMarker: COMMIT coordinatorEpoch: 0'],
    );
    const positions = batches.map((l) => `offset: ${/baseOffset: (\d+)/.exec(l)![1]} position: ${/position: (\d+)/.exec(l)![1]}`);
    const indexed = lines.filter((l) => /^offset: \d+ position: \d+$/.test(l));
    assert.ok(indexed.length > 0 && indexed.every((l) => positions.includes(l)), `${indexed.join('; ')} against ${positions.join('; ')}`);
    assert.ok(lines.some((l) => /^timestamp: \d+ offset: [0-3]$/.test(l)), run.stdout);
  });

  it('says which batch fails its CRC, and where a segment cut inside a batch stops', async () => {
    const bytes = await readFile(`${files}.log`);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 3] = flipped[flipped.length - 3]! ^ 0xff;
    await writeFile(join(dir, '00000000000000000000.log'), flipped);
    const corrupt = await samsa(['dump-log', '--files', join(dir, '00000000000000000000.log')]);
    assert.deepEqual(corrupt.stdout.split('\n').filter((l) => l.startsWith('baseOffset:')).map((l) => /isvalid: (\w+)/.exec(l)![1]), ['true', 'true', 'false']);
    await writeFile(join(dir, '00000000000000000000.log'), bytes.subarray(0, bytes.length - 5));
    const torn = await samsa(['dump-log', '--files', join(dir, '00000000000000000000.log')]);
    assert.equal(torn.stdout.split('\n').filter((l) => l.startsWith('baseOffset:')).length, 2);
    assert.match(torn.stdout, /Found \d+ bytes of an incomplete batch at position \d+ \(declared size \d+\): the readable log ends there/);
  });
});
