/**
 * How this broker connects, as a client, to the other brokers' inter-broker listener (the one
 * `inter.broker.listener.name` names, or `security.inter.broker.protocol`'s): follower fetches,
 * transaction markers and KIP-890 verification. As Kafka's brokers do, it uses that listener's own
 * configs: over SSL and SASL_SSL its truststore checks the peer (and the host name, unless
 * `ssl.endpoint.identification.algorithm` is empty) and its keystore is the client certificate;
 * over SASL_PLAINTEXT and SASL_SSL it logs in with `sasl.mechanism.inter.broker.protocol` (PLAIN,
 * SCRAM-SHA-256 or SCRAM-SHA-512) as the `username` and `password` of the listener's JAAS config
 * for that mechanism (`listener.name.<l>.<mechanism>.sasl.jaas.config`). That principal needs
 * CLUSTER_ACTION on the cluster when an authorizer is configured (a super user, typically).
 *
 * Connections to the controller listener (Raft between controllers, a broker's registration,
 * heartbeats, AlterPartition and forwarded requests) are made the same way with that listener's
 * configs and `sasl.mechanism.controller.protocol` (`controllerClient`).
 */
import { ConfigError } from '../../common/config-def.js';
import type { RandomBytes } from '../../common/random.js';
import { saslLogin } from '../../client/security.js';
import type { RequestConnection, TlsOptions } from '../../network/request-connection.js';
import { parseJaasConfig } from '../../security/jaas.js';
import type { Disk } from '../../storage/disk.js';
import type { BrokerConfig, ListenerSpec } from '../config/broker-config.js';
import { listenerSecureContext } from './listener-tls.js';

export interface InterBrokerClient {
  readonly tls?: TlsOptions;
  readonly authenticate?: (conn: RequestConnection) => Promise<number>;
}

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/** The TLS options and SASL login of connections to `listener` on other brokers (none for PLAINTEXT). */
export function interBrokerClient(config: BrokerConfig, listener: ListenerSpec | undefined, disk: Disk, randomBytes: RandomBytes): Promise<InterBrokerClient> {
  return listenerClient(config, listener, disk, randomBytes, 'sasl.mechanism.inter.broker.protocol', 'inter-broker');
}

/** The TLS options and SASL login of connections to the controllers' listener `listener` (none for PLAINTEXT). */
export function controllerClient(config: BrokerConfig, listener: Pick<ListenerSpec, 'name' | 'securityProtocol'> | undefined, disk: Disk, randomBytes: RandomBytes): Promise<InterBrokerClient> {
  return listenerClient(config, listener, disk, randomBytes, 'sasl.mechanism.controller.protocol', 'controller');
}

async function listenerClient(config: BrokerConfig, listener: Pick<ListenerSpec, 'name' | 'securityProtocol'> | undefined, disk: Disk, randomBytes: RandomBytes, mechanismConfig: string, what: string): Promise<InterBrokerClient> {
  if (!listener) return {};
  const protocol = listener.securityProtocol;
  const out: { tls?: TlsOptions; authenticate?: (conn: RequestConnection) => Promise<number> } = {};
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const c = await listenerSecureContext(config, listener.name, disk, true);
    const tls: TlsOptions = {};
    if (c.ca !== undefined) tls.ca = c.ca;
    if (c.cert !== undefined) tls.cert = c.cert;
    if (c.key !== undefined) tls.key = c.key;
    if (c.pfx !== undefined) tls.pfx = c.pfx;
    if (c.passphrase !== undefined) tls.passphrase = c.passphrase;
    if (c.minVersion !== undefined) tls.minVersion = c.minVersion;
    if (c.maxVersion !== undefined) tls.maxVersion = c.maxVersion;
    if (c.ciphers !== undefined) tls.ciphers = c.ciphers;
    if (config.listenerGet(listener.name, 'ssl.endpoint.identification.algorithm') === '') tls.checkServerIdentity = () => undefined;
    out.tls = tls;
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = config.str(mechanismConfig).toUpperCase();
    if (!(MECHANISMS as readonly string[]).includes(mechanism)) {
      throw new ConfigError(mechanismConfig, `The ${what} listener ${listener.name} uses SASL: set ${mechanismConfig} to one of ${MECHANISMS.join(', ')} (it is ${mechanism})`);
    }
    const name = `listener.name.${listener.name.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`;
    const text = config.listenerGet(listener.name, 'sasl.jaas.config', mechanism) as string | null;
    const options = text === null ? undefined : parseJaasConfig(text).options;
    const username = options?.get('username');
    const password = options?.get('password');
    if (username === undefined || password === undefined) throw new ConfigError('sasl.jaas.config', `The ${what} login needs username and password in ${name}`);
    const sasl = { mechanism: mechanism as (typeof MECHANISMS)[number], username, password };
    out.authenticate = (conn) => saslLogin(conn, sasl, () => randomBytes(24).toString('base64url'));
  }
  return out;
}
