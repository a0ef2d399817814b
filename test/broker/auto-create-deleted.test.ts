/**
 * A Metadata (or Produce) request naming an unknown topic has it created (auto.create.topics.enable)
 * and is answered once this broker sees the topic. A topic deleted as soon as it was created (a
 * DeleteTopics in flight behind the Metadata request, or another client's) may never be seen: its
 * deletion is applied to the image before the broker's wait looks again. Until stop 31 the wait
 * never ended, and with it the connection's every later answer (answers go in request order);
 * found by the pipelined mode of handler-fuzz.test.ts. The wait now ends with the topic's removal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeleteTopicsApi, MetadataApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { testBroker } from '../helpers/test-broker.js';

describe('a topic auto-created and deleted at once', { timeout: 60_000 }, () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  before(async () => (broker = await testBroker()));
  after(() => broker.stop());

  it('does not hold the Metadata request that created it', async () => {
    const raw = await RawClient.connect(broker.port);
    try {
      for (let round = 0; round < 5; round++) {
        const name = `auto-raced-${round}`;
        const metadata = raw.send(MetadataApi, 12, { topics: [{ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
        const deleted = raw.send(DeleteTopicsApi, 6, { topics: [{ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], timeoutMs: 5000 });
        let timer: NodeJS.Timeout | undefined;
        const answered = await Promise.race([Promise.all([metadata, deleted]).then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), 10_000)))]);
        clearTimeout(timer);
        assert.ok(answered, `round ${round}: no answer in 10 s`);
      }
    } finally {
      raw.close();
    }
  });
});
