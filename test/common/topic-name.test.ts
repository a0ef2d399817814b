import assert from 'node:assert/strict';
import { it } from 'node:test';
import { collisionKey, topicNameError } from '../../src/common/topic-name.js';

it('follows Kafka topic name rules', () => {
  for (const ok of ['a', 'orders', 'my.topic_v2-x', 'A'.repeat(249), '__consumer_offsets']) assert.equal(topicNameError(ok), undefined, ok);
  for (const bad of ['', '.', '..', 'A'.repeat(250), 'has space', 'slash/name', 'ünïcode', 'star*']) assert.ok(topicNameError(bad), bad);
  assert.equal(collisionKey('a.b_c'), collisionKey('a_b.c'));
});
