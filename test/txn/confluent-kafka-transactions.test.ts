/**
 * Transactions with confluent-kafka-python (librdkafka, via /usr/bin/python3) against an
 * in-process broker: a consume-transform-produce step (init_transactions, begin_transaction, the
 * consumed records transformed into another topic, send_offsets_to_transaction, commit), then an
 * aborted transaction; a read_committed consumer sees exactly the committed records, a
 * read_uncommitted one sees the aborted ones too, and the group's committed offsets are those the
 * committed transaction carried.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { testBroker } from '../helpers/test-broker.js';

const run = promisify(execFile);

const SCRIPT = `
import json, sys
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap = sys.argv[1]
consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'py-ctp', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False,
                     'isolation.level': 'read_committed', 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 300})
consumer.subscribe(['py-in'])
consumed = []
for _ in range(200):
    m = consumer.poll(0.5)
    if m is None or m.error():
        continue
    consumed.append(m)
    if len(consumed) == 10:
        break
producer = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'py-txn', 'transaction.timeout.ms': 30000})
producer.init_transactions(30)
producer.begin_transaction()
for m in consumed:
    producer.produce('py-out', key=m.key(), value=m.value().upper())
producer.send_offsets_to_transaction(consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 30)
producer.commit_transaction(30)
producer.begin_transaction()
for i in range(5):
    producer.produce('py-out', value=('aborted-%d' % i).encode())
producer.flush(30)
producer.abort_transaction(30)
committed = consumer.committed([TopicPartition('py-in', 0)], 10)
consumer.close()

def read(isolation):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'py-reader-' + isolation, 'auto.offset.reset': 'earliest', 'isolation.level': isolation,
                  'enable.partition.eof': True, 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 300})
    c.subscribe(['py-out'])
    out = []
    for _ in range(200):
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF: the end (the last stable offset for read_committed)
                break
            continue
        out.append(m.value().decode())
    c.close()
    return sorted(out)

print(json.dumps({'consumed': len(consumed), 'committed': committed[0].offset, 'read_committed': read('read_committed'), 'read_uncommitted': read('read_uncommitted')}))
`;

describe('transactions with confluent-kafka-python (librdkafka)', { timeout: 120_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  before(async () => {
    broker = await testBroker({ config: { 'transaction.state.log.num.partitions': '4', 'group.initial.rebalance.delay.ms': '0' } });
  });
  after(async () => {
    await broker.stop();
  });

  it('init, begin, send_offsets_to_transaction, commit, then abort: read_committed sees only the committed records', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'py-in', numPartitions: 1 }, { topic: 'py-out', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'py-in', messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `record-${i}` })) });
    await producer.disconnect();

    const { stdout } = await run('/usr/bin/python3', ['-c', SCRIPT, broker.bootstrap], { timeout: 100_000 });
    const r = JSON.parse(stdout) as { consumed: number; committed: number; read_committed: string[]; read_uncommitted: string[] };
    const upper = Array.from({ length: 10 }, (_, i) => `RECORD-${i}`).sort();
    assert.equal(r.consumed, 10);
    assert.equal(r.committed, 10, 'the group offset the transaction committed');
    assert.deepEqual(r.read_committed, upper);
    assert.deepEqual(r.read_uncommitted, [...upper, ...Array.from({ length: 5 }, (_, i) => `aborted-${i}`)].sort());
  });
});
