/**
 * The broker the real-client security tests share: every listener (secure-broker.ts) with the
 * StandardAuthorizer, SCRAM users, and ACLs that let the users at topics and groups starting `ok-`
 * and at nothing else, with a DENY for bob on `ok-shared` that beats the ALLOW everyone has there.
 *
 * Users: alice (PLAIN), carol (SCRAM-SHA-256 and -512, password carol-secret), dave (OAUTHBEARER,
 * unsecured tokens), bob (PLAIN, denied ok-shared), admin (super user).
 */
import type { BrokerOptions } from '../../src/broker/broker.js';
import { type SecureBroker, secureBroker } from './secure-broker.js';

export const SCRAM_USER = { username: 'carol', password: 'carol-secret' };

export async function interopBroker(options: BrokerOptions = {}): Promise<SecureBroker> {
  const sb = await secureBroker({ authorizer: true, options });
  const admin = sb.admin.admin();
  await admin.alterUserScramCredentials([
    { user: 'carol', mechanism: 'SCRAM-SHA-256', password: SCRAM_USER.password },
    { user: 'carol', mechanism: 'SCRAM-SHA-512', password: SCRAM_USER.password },
  ]);
  await admin.createTopics([{ name: 'ok-shared', partitions: 1 }, { name: 'denied', partitions: 1 }]);
  const acls = [];
  for (const user of ['alice', 'bob', 'carol', 'dave']) {
    acls.push({ resourceType: 'topic', resourceName: 'ok-', patternType: 'prefixed', principal: `User:${user}`, operation: 'all', permission: 'allow' });
    acls.push({ resourceType: 'group', resourceName: 'ok-', patternType: 'prefixed', principal: `User:${user}`, operation: 'all', permission: 'allow' });
  }
  // Anyone authenticated over SSL is User:ANONYMOUS (no client certificate): allowed the same.
  acls.push({ resourceType: 'topic', resourceName: 'ok-', patternType: 'prefixed', principal: 'User:ANONYMOUS', operation: 'all', permission: 'allow' });
  acls.push({ resourceType: 'group', resourceName: 'ok-', patternType: 'prefixed', principal: 'User:ANONYMOUS', operation: 'all', permission: 'allow' });
  acls.push({ resourceType: 'topic', resourceName: 'ok-shared', principal: 'User:bob', operation: 'all', permission: 'deny' });
  await admin.createAcls(acls);
  await sb.admin.producer().send('ok-shared', [{ value: 'shared-1' }, { value: 'shared-2' }]);
  return sb;
}

/** The security protocols and mechanisms each test runs through. */
export const COMBINATIONS = [
  { protocol: 'SSL', mechanism: undefined },
  { protocol: 'SASL_PLAINTEXT', mechanism: 'PLAIN' },
  { protocol: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-256' },
  { protocol: 'SASL_PLAINTEXT', mechanism: 'OAUTHBEARER' },
  { protocol: 'SASL_SSL', mechanism: 'PLAIN' },
  { protocol: 'SASL_SSL', mechanism: 'SCRAM-SHA-256' },
  { protocol: 'SASL_SSL', mechanism: 'SCRAM-SHA-512' },
  { protocol: 'SASL_SSL', mechanism: 'OAUTHBEARER' },
] as const;

export const userOf = (mechanism: string | undefined): { username: string; password: string } =>
  mechanism === undefined || mechanism === 'OAUTHBEARER' ? { username: 'dave', password: '' } : mechanism === 'PLAIN' ? { username: 'alice', password: 'alice-secret' } : SCRAM_USER;
