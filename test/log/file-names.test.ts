import assert from 'node:assert/strict';
import { it } from 'node:test';
import { deleteDirName, filenamePrefixFromOffset, parsePartitionDirName, parseSegmentFileName } from '../../src/log/file-names.js';

it('segment files are named by their base offset in 20 digits, as in Kafka', () => {
  assert.equal(filenamePrefixFromOffset(0n), '00000000000000000000');
  assert.equal(filenamePrefixFromOffset(9223372036854775807n), '09223372036854775807');
  assert.deepEqual(parseSegmentFileName('00000000000000000042.timeindex'), { baseOffset: 42n, kind: '.timeindex', state: '' });
  assert.deepEqual(parseSegmentFileName('00000000000000000042.log.swap'), { baseOffset: 42n, kind: '.log', state: '.swap' });
  assert.equal(parseSegmentFileName('42.log'), undefined);
  assert.equal(parseSegmentFileName('00000000000000000042.snapshot'), undefined);
});

it('partition directories are <topic>-<partition>, split at the last dash', () => {
  assert.deepEqual(parsePartitionDirName('my-topic-12'), { topic: 'my-topic', partition: 12 });
  assert.equal(parsePartitionDirName('nodash'), undefined);
  assert.equal(parsePartitionDirName('t-x'), undefined);
  assert.equal(parsePartitionDirName(deleteDirName('t', 0, 'abc')), undefined);
  assert.equal(deleteDirName('t', 3, 'abc'), 't-3.abc-delete');
  // As Kafka's logDeleteDirName: a long topic is cut so the name stays within 255 characters.
  const long = deleteDirName('x'.repeat(249), 12, 'abc');
  assert.equal(long.length, 255);
  assert.ok(long.endsWith('-12.abc-delete'));
});
