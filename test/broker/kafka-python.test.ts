/**
 * kafka-python (Debian's python3-kafka, seen by /usr/bin/python3) produces and consumes against
 * an in-process broker: keys, values, headers, null values, gzip.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { testBroker } from '../helpers/test-broker.js';

const run = promisify(execFile);

const SCRIPT = `
import json, sys
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
bootstrap, topic = sys.argv[1], sys.argv[2]
p = KafkaProducer(bootstrap_servers=bootstrap, acks='all', compression_type='gzip', linger_ms=5)
for i in range(200):
    p.send(topic, key=('k%d' % (i % 10)).encode(), value=None if i == 7 else ('v%d' % i).encode(), headers=[('h', b'%d' % i)], partition=0)
p.flush()
p.close()
c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset='earliest', consumer_timeout_ms=5000)
tp = TopicPartition(topic, 0)
c.assign([tp])
c.seek_to_beginning(tp)
out = []
for m in c:
    out.append([m.offset, m.key.decode(), None if m.value is None else m.value.decode(), [[k, v.decode()] for k, v in m.headers]])
    if len(out) == 200:
        break
c.close()
print(json.dumps(out))
`;

describe('kafka-python', { timeout: 60_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  before(async () => {
    broker = await testBroker();
  });
  after(() => broker.stop());

  it('produces and consumes with keys, headers, null values and gzip', async () => {
    const { stdout } = await run('/usr/bin/python3', ['-c', SCRIPT, broker.bootstrap, 'kafka-python'], { timeout: 50_000 });
    const records = JSON.parse(stdout) as [number, string, string | null, [string, string][]][];
    assert.equal(records.length, 200);
    records.forEach(([offset, key, value, headers], i) => {
      assert.equal(offset, i);
      assert.equal(key, `k${i % 10}`);
      assert.equal(value, i === 7 ? null : `v${i}`);
      assert.deepEqual(headers, [['h', String(i)]]);
    });
  });
});
