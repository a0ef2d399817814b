/**
 * The broker's security configs, with Kafka's names, types and defaults: listeners and their
 * security protocols, TLS (PEM and PKCS12 keystores, PEM truststores), SASL, the authorizer,
 * quotas and connection limits. Per-listener overrides are `listener.name.<listener>.<config>`
 * (the listener name in lower case) and, for SASL settings of one mechanism,
 * `listener.name.<listener>.<mechanism>.<config>` (e.g. `listener.name.sasl_ssl.plain.sasl.jaas.config`).
 */
import { type ConfigKey, key } from '../../common/config-def.js';

const password = (name: string, doc: string): ConfigKey => ({ name, type: 'PASSWORD', default: null, doc, sensitive: true });
const ignored = (name: string, def: string | null): ConfigKey => key.string(name, def, 'Accepted for compatibility with Kafka; Samsa uses OpenSSL through node:tls and ignores it.');

/** Configs that may be set per listener (`listener.name.<l>.<config>`). */
export const LISTENER_CONFIG_KEYS: readonly ConfigKey[] = [
  key.string('ssl.keystore.type', 'JKS', 'The format of the keystore: PEM or PKCS12 (JKS cannot be read by Samsa).', ['JKS', 'PEM', 'PKCS12']),
  key.string('ssl.keystore.location', null, 'The keystore file: for PEM, the private key and its certificate chain; for PKCS12, the .p12 file.'),
  password('ssl.keystore.password', 'The keystore password (PKCS12).'),
  password('ssl.key.password', 'The password of the private key (an encrypted PEM key, or the PKCS12 key).'),
  password('ssl.keystore.key', 'The private key in PEM (PKCS#8), given inline.'),
  password('ssl.keystore.certificate.chain', 'The certificate chain in PEM, given inline.'),
  key.string('ssl.truststore.type', 'JKS', 'The format of the truststore: PEM (JKS and PKCS12 cannot be read by Samsa).', ['JKS', 'PEM', 'PKCS12']),
  key.string('ssl.truststore.location', null, 'The truststore file: PEM certificates of the CAs whose client certificates are trusted.'),
  password('ssl.truststore.password', 'The truststore password (not used for PEM).'),
  password('ssl.truststore.certificates', 'The trusted certificates in PEM, given inline.'),
  key.string('ssl.client.auth', 'none', 'Whether TLS clients must present a certificate: required, requested or none.', ['required', 'requested', 'none']),
  key.string('ssl.protocol', 'TLSv1.3', 'The newest TLS protocol to use.', ['TLSv1.2', 'TLSv1.3', 'TLS']),
  key.list('ssl.enabled.protocols', ['TLSv1.2', 'TLSv1.3'], 'The TLS protocols enabled.', ['TLSv1.2', 'TLSv1.3']),
  key.list('ssl.cipher.suites', [], 'The cipher suites enabled (IANA names as Java writes them, or OpenSSL names); all strong defaults when empty.'),
  key.string('ssl.principal.mapping.rules', 'DEFAULT', 'Rules mapping a client certificate\'s distinguished name to a principal name.'),
  key.string('ssl.endpoint.identification.algorithm', 'https', 'Host name verification of the peer (as a TLS client).'),
  ignored('ssl.keymanager.algorithm', 'SunX509'),
  ignored('ssl.trustmanager.algorithm', 'PKIX'),
  ignored('ssl.secure.random.implementation', null),
  ignored('ssl.provider', null),
  key.list('sasl.enabled.mechanisms', ['GSSAPI'], 'The SASL mechanisms enabled: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER.'),
  password('sasl.jaas.config', 'The JAAS login module entry of a mechanism; set it as listener.name.<listener>.<mechanism>.sasl.jaas.config.'),
  key.string('sasl.server.callback.handler.class', null, 'For OAUTHBEARER: org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler validates signed tokens against the JWKS; unset, unsecured tokens are accepted (development).'),
  key.int('sasl.server.max.receive.size', 524288, 'The largest frame accepted before a SASL client has authenticated.', 1),
  key.long('connections.max.reauth.ms', 0, 'Sessions of SASL clients end after this long (0: never), so clients re-authenticate (KIP-368).', 0),
  key.string('sasl.oauthbearer.jwks.endpoint.url', null, 'Where the JWKS of signed OAuth tokens is: a file: URL or a path.'),
  key.long('sasl.oauthbearer.jwks.endpoint.refresh.ms', 3600000, 'How often the JWKS is read again.', 1),
  key.long('sasl.oauthbearer.jwks.endpoint.retry.backoff.ms', 100, 'Accepted for compatibility.', 0),
  key.long('sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms', 10000, 'Accepted for compatibility.', 0),
  key.list('sasl.oauthbearer.expected.audience', [], 'Audiences a token must name one of (none checked when empty).'),
  key.string('sasl.oauthbearer.expected.issuer', null, 'The issuer a token must name (not checked when unset).'),
  key.string('sasl.oauthbearer.scope.claim.name', 'scope', 'The claim holding a token\'s scope.'),
  key.string('sasl.oauthbearer.sub.claim.name', 'sub', 'The claim holding a token\'s principal.'),
  key.int('sasl.oauthbearer.clock.skew.seconds', 30, 'Clock skew allowed checking a token\'s times.', 0),
  key.int('max.connections', 2147483647, 'Largest number of client connections (per listener when prefixed).', 0),
  key.int('max.connection.creation.rate', 2147483647, 'New connections accepted per second (per listener when prefixed).', 0),
];

export const SECURITY_CONFIG_KEYS: readonly ConfigKey[] = [
  // listener.security.protocol.map and inter.broker.listener.name are KRaft's (kraft-configs.ts).
  key.string('security.inter.broker.protocol', 'PLAINTEXT', 'The security protocol between brokers.', ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']),
  key.string('sasl.mechanism.inter.broker.protocol', 'GSSAPI', 'The SASL mechanism between brokers.'),
  key.string('sasl.mechanism.controller.protocol', 'GSSAPI', 'The SASL mechanism of connections to the controller listener.'),
  key.int('connection.failed.authentication.delay.ms', 100, 'A failed login is answered after this long, then the connection is closed.', 0),
  key.long('samsa.authentication.timeout.ms', 10000, 'Samsa: a connection that has not finished its TLS and SASL handshakes within this long is closed.', 1),
  key.string('authorizer.class.name', '', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer enables ACLs; empty allows everything.'),
  key.string('super.users', null, 'Principals allowed everything, separated by semicolons: User:admin;User:ops.'),
  key.bool('allow.everyone.if.no.acl.found', false, 'With an authorizer, allow a request on a resource that no ACL names.'),
  key.string('principal.builder.class', 'org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder', 'Only the default principal builder is served.', ['org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder']),
  key.int('quota.window.num', 11, 'Samples retained to measure client quotas.', 1),
  key.int('quota.window.size.seconds', 1, 'The time span of each sample of client quotas.', 1),
  key.int('controller.quota.window.num', 11, 'Samples retained for controller mutation quotas.', 1),
  key.int('controller.quota.window.size.seconds', 1, 'The time span of each sample of controller mutation quotas.', 1),
  key.int('max.connections.per.ip', 2147483647, 'Connections allowed from one IP address.', 0),
  key.string('max.connections.per.ip.overrides', '', 'Per-IP or host overrides of max.connections.per.ip: 10.0.0.1:200,10.0.0.2:50.'),
  ...LISTENER_CONFIG_KEYS,
];

/** Mechanism prefixes of listener configs (`listener.name.<l>.<mechanism>.`). */
const MECHANISM_PREFIXES = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer', 'gssapi'];

/**
 * The base config a listener-prefixed name stands for, or undefined when it is not one:
 * `listener.name.sasl_ssl.plain.sasl.jaas.config` → `sasl.jaas.config`.
 */
export function listenerPrefixedBase(name: string): { listener: string; mechanism: string | null; base: string } | undefined {
  const m = /^listener\.name\.([^.]+)\.(.+)$/.exec(name);
  if (!m) return undefined;
  const listener = m[1]!;
  let rest = m[2]!;
  let mechanism: string | null = null;
  const mech = MECHANISM_PREFIXES.find((p) => rest.startsWith(p + '.'));
  if (mech) {
    mechanism = mech;
    rest = rest.slice(mech.length + 1);
  }
  if (!LISTENER_CONFIG_KEYS.some((k) => k.name === rest)) return undefined;
  return { listener, mechanism, base: rest };
}

/** Kafka's class names for the authorizer switch. */
export const STANDARD_AUTHORIZER = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';
export const OAUTH_VALIDATOR_HANDLER = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler';
