/**
 * A broker with every security protocol for tests: PLAINTEXT, SSL (client certificates
 * requested), SASL_PLAINTEXT and SASL_SSL (PLAIN users admin and alice from the JAAS config;
 * SCRAM-SHA-256/512; unsecured OAUTHBEARER), throwaway certificates, optionally the
 * StandardAuthorizer with User:admin as super user. `admin` is a Samsa client logged in as admin.
 */
import { readFileSync } from 'node:fs';
import type { BrokerOptions } from '../../src/broker/broker.js';
import { SamsaClient } from '../../src/client/index.js';
import { type CertFiles, makeCerts } from './certs.js';
import { testBroker } from './test-broker.js';

export const PLAIN_USERS = { admin: 'admin-secret', alice: 'alice-secret', bob: 'bob-secret' };
const plainJaas = `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" ${Object.entries(PLAIN_USERS)
  .map(([u, p]) => `user_${u}="${p}"`)
  .join(' ')};`;

export interface SecureBroker {
  broker: Awaited<ReturnType<typeof testBroker>>;
  certs: CertFiles;
  ca: Buffer;
  /** `host:port` of each listener by name. */
  address: Record<'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL', string>;
  port: Record<'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL', number>;
  /** A client logged in as User:admin over SASL_PLAINTEXT. */
  admin: SamsaClient;
  stop(): Promise<void>;
}

export async function secureBroker(o: { authorizer?: boolean; config?: Record<string, string | number | boolean>; certs?: CertFiles; options?: BrokerOptions } = {}): Promise<SecureBroker> {
  const certs = o.certs ?? (await makeCerts());
  const config: Record<string, string | number | boolean> = {
    listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': certs.brokerKeystore,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certs.caCert,
    'listener.name.ssl.ssl.client.auth': 'requested',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': plainJaas,
    'listener.name.sasl_ssl.plain.sasl.jaas.config': plainJaas,
    'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
    'listener.name.sasl_ssl.oauthbearer.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
    'group.initial.rebalance.delay.ms': 0,
    ...(o.authorizer ? { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users': 'User:admin' } : {}),
    ...o.config,
  };
  const broker = await testBroker({ ...o.options, config });
  const address = Object.fromEntries(broker.listeners.map((l) => [l.name, l.bootstrap])) as SecureBroker['address'];
  const port = Object.fromEntries(broker.listeners.map((l) => [l.name, l.port])) as SecureBroker['port'];
  const admin = new SamsaClient({ bootstrapServers: [address.SASL_PLAINTEXT], clientId: 'test-admin', sasl: { mechanism: 'PLAIN', username: 'admin', password: PLAIN_USERS.admin } });
  return {
    broker,
    certs,
    ca: readFileSync(certs.caCert),
    address,
    port,
    admin,
    async stop() {
      await admin.close();
      await broker.stop();
      if (!o.certs) await certs.cleanup();
    },
  };
}
