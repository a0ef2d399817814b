/**
 * Transactions under the authorizer, through kafkajs over SASL_PLAINTEXT: a transactional id needs
 * WRITE on it (InitProducerId, AddPartitionsToTxn, EndTxn), each topic WRITE, and sendOffsets READ
 * on the group; a principal with all of them commits; `samsa`'s admin lists only the
 * transactional ids a principal may describe.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { SamsaClient } from '../../src/client/index.js';
import { PLAIN_USERS, type SecureBroker, secureBroker } from '../helpers/secure-broker.js';

describe('transactions with ACLs (kafkajs)', { timeout: 120_000 }, () => {
  let sb: SecureBroker;
  const kafka = (user: keyof typeof PLAIN_USERS) =>
    new Kafka({ clientId: user, brokers: [sb.address.SASL_PLAINTEXT], sasl: { mechanism: 'plain', username: user, password: PLAIN_USERS[user] }, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
  const kafkaCode = (type: string) => (e: unknown) => {
    const err = e as { type?: string; originalError?: { type?: string }; cause?: { type?: string } };
    return err.type === type || err.originalError?.type === type || err.cause?.type === type || String(e).includes(type.toLowerCase().replace(/_/g, ' ')) || JSON.stringify(e).includes(type);
  };

  before(async () => {
    sb = await secureBroker({ authorizer: true });
    const admin = sb.admin.admin();
    await admin.createTopics([{ name: 'alice-out', partitions: 1 }, { name: 'locked', partitions: 1 }]);
    await admin.createAcls([
      { resourceType: 'topic', resourceName: 'alice-', patternType: 'prefixed', principal: 'User:alice', operation: 'all', permission: 'allow' },
      { resourceType: 'transactional_id', resourceName: 'alice-tx', principal: 'User:alice', operation: 'write', permission: 'allow' },
      { resourceType: 'transactional_id', resourceName: 'alice-tx', principal: 'User:alice', operation: 'describe', permission: 'allow' },
      { resourceType: 'transactional_id', resourceName: 'alice-ro-tx', principal: 'User:alice', operation: 'describe', permission: 'allow' },
      { resourceType: 'group', resourceName: 'alice-group', principal: 'User:alice', operation: 'read', permission: 'allow' },
    ]);
  });
  after(async () => {
    await sb.stop();
  });

  it('refuses a transactional id the principal may not WRITE (or not even DESCRIBE, when looking up its coordinator)', async () => {
    for (const [transactionalId, expected] of [
      ['alice-ro-tx', kafkaCode('TRANSACTIONAL_ID_AUTHORIZATION_FAILED')],
      // kafkajs reports a refused FindCoordinator as a coordinator it could not find.
      ['bob-tx', (e: unknown) => (e as Error).name === 'KafkaJSGroupCoordinatorNotFound'],
    ] as const) {
      const producer = kafka('alice').producer({ transactionalId, maxInFlightRequests: 1, idempotent: true });
      await producer.connect();
      try {
        await assert.rejects(producer.transaction(), expected, transactionalId);
      } finally {
        await producer.disconnect();
      }
    }
  });

  it('commits with WRITE on the id and the topic, refuses a topic without WRITE, and lists only ids the principal may describe', async () => {
    const producer = kafka('alice').producer({ transactionalId: 'alice-tx', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    try {
      const ok = await producer.transaction();
      await ok.send({ topic: 'alice-out', messages: [{ key: 'k', value: 'committed' }] });
      await ok.commit();
      const refused = await producer.transaction();
      await assert.rejects(refused.send({ topic: 'locked', messages: [{ value: 'never' }] }), kafkaCode('TOPIC_AUTHORIZATION_FAILED'));
      await refused.abort().catch(() => undefined);
    } finally {
      await producer.disconnect();
    }
    const end = await sb.admin.admin().listOffsets([{ topic: 'alice-out', partition: 0 }], 'latest');
    assert.equal(end[0]!.offset, 2n, 'the record and its commit marker');
    const asAlice = new SamsaClient({ bootstrapServers: [sb.address.SASL_PLAINTEXT], sasl: { mechanism: 'PLAIN', username: 'alice', password: PLAIN_USERS.alice } });
    const asBob = new SamsaClient({ bootstrapServers: [sb.address.SASL_PLAINTEXT], sasl: { mechanism: 'PLAIN', username: 'bob', password: PLAIN_USERS.bob } });
    try {
      assert.deepEqual((await asAlice.admin().listTransactions()).map((t) => t.transactionalId), ['alice-tx']);
      assert.deepEqual(await asBob.admin().listTransactions(), []);
    } finally {
      await asAlice.close();
      await asBob.close();
    }
  });
});
