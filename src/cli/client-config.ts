/**
 * Kafka's client configs (`--command-config`, as Kafka's tools take it) turned into Samsa client
 * options: `security.protocol`, `sasl.mechanism`, `sasl.jaas.config` (PlainLoginModule and
 * ScramLoginModule with username and password; OAuthBearerLoginModule with Kafka's unsecured
 * login options `unsecuredLoginStringClaim_sub`, `unsecuredLoginLifetimeSeconds`, …), the
 * `ssl.truststore.*` and `ssl.keystore.*` files (PEM; PKCS12 keystores), `ssl.key.password`,
 * `ssl.endpoint.identification.algorithm` (empty: no host name check), `ssl.enabled.protocols`,
 * `ssl.cipher.suites`, `client.id` and `request.timeout.ms`. Anything else is refused by name, so a
 * typo does not silently leave a connection unprotected.
 */
import { readFileSync } from 'node:fs';
import type { ClientOptions, SaslOptions, TlsOptions } from '../client/index.js';
import { ConfigError, parseProperties } from '../common/config-def.js';
import { unsecuredJws } from '../protocol/sasl/oauthbearer.js';
import { parseJaasConfig } from '../security/jaas.js';
import { secureContextOptions } from '../security/ssl.js';

const KNOWN = new Set([
  'security.protocol',
  'sasl.mechanism',
  'sasl.jaas.config',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.truststore.certificates',
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.key.password',
  'ssl.keystore.key',
  'ssl.keystore.certificate.chain',
  'ssl.endpoint.identification.algorithm',
  'ssl.enabled.protocols',
  'ssl.protocol',
  'ssl.cipher.suites',
  'client.id',
  'request.timeout.ms',
]);

type Props = ReadonlyMap<string, string>;

/** Reads a properties file and maps it; `readFile` is injectable for tests. */
export function clientOptionsFromFile(path: string, readFile: (p: string) => Buffer = (p) => readFileSync(p)): Partial<ClientOptions> {
  return clientOptionsFromProperties(parseProperties(readFile(path).toString('utf8')), readFile);
}

export function clientOptionsFromProperties(props: Props, readFile: (p: string) => Buffer): Partial<ClientOptions> {
  for (const name of props.keys()) if (!KNOWN.has(name)) throw new ConfigError(name, `${name} is not a client config the samsa command knows (known: ${[...KNOWN].join(', ')})`);
  const protocol = (props.get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) throw new ConfigError('security.protocol', `Invalid security.protocol ${protocol}`);
  const o: Partial<ClientOptions> = {};
  if (props.has('client.id')) o.clientId = props.get('client.id')!;
  if (props.has('request.timeout.ms')) o.requestTimeoutMs = Number(props.get('request.timeout.ms'));
  if (protocol.endsWith('SSL')) o.ssl = tlsOptions(props, readFile);
  if (protocol.startsWith('SASL')) o.sasl = saslOptions(props);
  return o;
}

function tlsOptions(props: Props, readFile: (p: string) => Buffer): TlsOptions {
  const file = (name: string) => (props.has(name) ? readFile(props.get(name)!) : undefined);
  const keystoreType = props.get('ssl.keystore.type') ?? (props.has('ssl.keystore.location') ? 'PEM' : 'JKS');
  const options = secureContextOptions({
    keystoreType,
    keystore: file('ssl.keystore.location'),
    keystorePassword: props.get('ssl.keystore.password') ?? null,
    keyPassword: props.get('ssl.key.password') ?? null,
    inlineKey: props.get('ssl.keystore.key') ?? null,
    inlineChain: props.get('ssl.keystore.certificate.chain') ?? null,
    // A truststore file without a type is taken as PEM: Samsa cannot read Java's JKS either way.
    truststoreType: props.get('ssl.truststore.type') ?? 'PEM',
    truststore: file('ssl.truststore.location'),
    inlineTrusted: props.get('ssl.truststore.certificates') ?? null,
    enabledProtocols: (props.get('ssl.enabled.protocols') ?? 'TLSv1.2,TLSv1.3').split(',').map((s) => s.trim()),
    protocol: props.get('ssl.protocol') ?? 'TLSv1.3',
    cipherSuites: (props.get('ssl.cipher.suites') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
  });
  const tls: TlsOptions = { ...(options as TlsOptions) };
  if (props.get('ssl.endpoint.identification.algorithm') === '') tls.checkServerIdentity = () => undefined;
  return tls;
}

function saslOptions(props: Props): SaslOptions {
  const mechanism = (props.get('sasl.mechanism') ?? 'GSSAPI').toUpperCase();
  const jaasText = props.get('sasl.jaas.config');
  if (!jaasText) throw new ConfigError('sasl.jaas.config', 'SASL needs sasl.jaas.config (e.g. org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="…";)');
  const jaas = parseJaasConfig(jaasText).options;
  switch (mechanism) {
    case 'PLAIN':
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-512': {
      const username = jaas.get('username');
      const password = jaas.get('password');
      if (username === undefined || password === undefined) throw new ConfigError('sasl.jaas.config', `${mechanism} needs username and password in sasl.jaas.config`);
      return { mechanism, username, password };
    }
    case 'OAUTHBEARER': {
      const sub = jaas.get('unsecuredLoginStringClaim_sub');
      if (sub === undefined) throw new ConfigError('sasl.jaas.config', "OAUTHBEARER from the command line uses Kafka's unsecured tokens: set unsecuredLoginStringClaim_sub in sasl.jaas.config (token endpoints are not served yet)");
      const lifetimeS = Number(jaas.get('unsecuredLoginLifetimeSeconds') ?? 3600);
      const extra = Object.fromEntries([...jaas].filter(([k]) => k.startsWith('unsecuredLoginStringClaim_') && k !== 'unsecuredLoginStringClaim_sub').map(([k, v]) => [k.slice('unsecuredLoginStringClaim_'.length), v]));
      return {
        mechanism,
        oauthBearerProvider: () => {
          const now = Math.floor(Date.now() / 1000);
          return { value: unsecuredJws({ ...extra, sub, iat: now, exp: now + lifetimeS }) };
        },
      };
    }
    default:
      throw new ConfigError('sasl.mechanism', `sasl.mechanism ${mechanism} is not served by Samsa's client: use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER`);
  }
}
