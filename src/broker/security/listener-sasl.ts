/**
 * A SASL listener's settings, from Kafka's configs: the enabled mechanisms
 * (`sasl.enabled.mechanisms`), PLAIN's users from the listener's JAAS config
 * (`listener.name.<l>.plain.sasl.jaas.config` with `user_<name>="<password>"`), SCRAM credentials
 * from the cluster's security metadata, OAUTHBEARER's validator (unsecured tokens by default, or
 * signed ones against a JWKS with `sasl.server.callback.handler.class` set to Kafka's
 * OAuthBearerValidatorCallbackHandler), re-authentication (`connections.max.reauth.ms`), the
 * largest frame before login (`sasl.server.max.receive.size`) and the delay before a failed login
 * is answered (`connection.failed.authentication.delay.ms`).
 */
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../common/clock.js';
import { ConfigError } from '../../common/config-def.js';
import type { ScramMechanism } from '../../protocol/sasl/scram.js';
import { parseJaasConfig } from '../../security/jaas.js';
import { JwksValidator, type OAuthBearerValidator, UnsecuredJwsValidator, unsecuredValidatorOptions } from '../../security/oauth/validator.js';
import { OAuthBearerServer } from '../../security/sasl/oauthbearer.js';
import { PlainServer, plainUsersFromJaas } from '../../security/sasl/plain.js';
import { type SaslMechanism, type SaslServer, isSaslMechanism } from '../../security/sasl/sasl-server.js';
import { type ScramCredentialLookup, ScramServer } from '../../security/sasl/scram.js';
import type { Disk } from '../../storage/disk.js';
import { readWholeFile } from '../../storage/disk-files.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { OAUTH_VALIDATOR_HANDLER } from '../config/security-configs.js';

export interface SaslListener {
  readonly listenerName: string;
  readonly mechanisms: readonly SaslMechanism[];
  /** A fresh server for one login with `mechanism` (one of `mechanisms`). */
  createServer(mechanism: SaslMechanism): SaslServer;
  /** `connections.max.reauth.ms` for a mechanism (0: sessions do not end by time). */
  reauthMs(mechanism: SaslMechanism): number;
  readonly maxReceiveBytes: number;
  readonly failedAuthenticationDelayMs: number;
}

export interface SaslDeps {
  config: BrokerConfig;
  disk: Disk;
  clock: Clock;
  scram: ScramCredentialLookup;
  /** A fresh SCRAM server nonce from secure randomness. */
  nonce: () => string;
}

/** Reads `file:` URLs and plain paths (the JWKS) through the Disk. */
async function readUrl(disk: Disk, url: string): Promise<string> {
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  if (/^https?:/.test(url)) throw new ConfigError('sasl.oauthbearer.jwks.endpoint.url', 'Samsa reads the JWKS from a file (file: URL or path); an https endpoint is not served yet');
  const bytes = await readWholeFile(disk, path, 1 << 20);
  if (!bytes) throw new ConfigError('sasl.oauthbearer.jwks.endpoint.url', `JWKS file ${path} not found`);
  return bytes.toString('utf8');
}

export async function saslListener(listenerName: string, d: SaslDeps): Promise<SaslListener> {
  const c = d.config;
  const get = (name: string, mechanism?: string) => c.listenerGet(listenerName, name, mechanism);
  const mechanisms = (get('sasl.enabled.mechanisms') as string[]).map((m) => m.toUpperCase());
  if (mechanisms.length === 0) throw new ConfigError('sasl.enabled.mechanisms', `No SASL mechanism is enabled on listener ${listenerName}`);
  for (const m of mechanisms) {
    if (!isSaslMechanism(m)) {
      throw new ConfigError('sasl.enabled.mechanisms', `SASL mechanism ${m} (enabled on listener ${listenerName}) is not served by Samsa: enable PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER${m === 'GSSAPI' ? " (GSSAPI is Kafka's default; set sasl.enabled.mechanisms)" : ''}`);
    }
  }
  const enabled = mechanisms as SaslMechanism[];
  const jaas = (mechanism: string) => {
    const text = get('sasl.jaas.config', mechanism) as string | null;
    return text === null ? undefined : parseJaasConfig(text);
  };
  let plainUsers = new Map<string, string>();
  if (enabled.includes('PLAIN')) {
    const entry = jaas('PLAIN');
    if (!entry) throw new ConfigError('sasl.jaas.config', `PLAIN on listener ${listenerName} needs listener.name.${listenerName.toLowerCase()}.plain.sasl.jaas.config with the users (user_<name>="<password>")`);
    plainUsers = plainUsersFromJaas(entry.options);
  }
  let oauth: OAuthBearerValidator | undefined;
  if (enabled.includes('OAUTHBEARER')) oauth = await oauthValidator(listenerName, d, get, jaas('OAUTHBEARER')?.options ?? new Map());
  const reauth = new Map(enabled.map((m) => [m, get('connections.max.reauth.ms', m) as number]));
  return {
    listenerName,
    mechanisms: enabled,
    maxReceiveBytes: get('sasl.server.max.receive.size') as number,
    failedAuthenticationDelayMs: c.num('connection.failed.authentication.delay.ms'),
    reauthMs: (m) => reauth.get(m) ?? 0,
    createServer(mechanism) {
      switch (mechanism) {
        case 'PLAIN':
          return new PlainServer(plainUsers);
        case 'OAUTHBEARER':
          return new OAuthBearerServer(oauth!);
        default:
          return new ScramServer(mechanism as ScramMechanism, d.scram, d.nonce);
      }
    },
  };
}

async function oauthValidator(listenerName: string, d: SaslDeps, get: (name: string, mechanism?: string) => unknown, jaasOptions: ReadonlyMap<string, string>): Promise<OAuthBearerValidator> {
  const handler = get('sasl.server.callback.handler.class', 'OAUTHBEARER') as string | null;
  const now = () => d.clock.now();
  if (handler === null) return new UnsecuredJwsValidator(unsecuredValidatorOptions(jaasOptions), now);
  if (handler !== OAUTH_VALIDATOR_HANDLER) throw new ConfigError('sasl.server.callback.handler.class', `Unsupported sasl.server.callback.handler.class ${handler} on listener ${listenerName}: Samsa serves ${OAUTH_VALIDATOR_HANDLER} (signed tokens, JWKS) or, unset, unsecured tokens`);
  const url = get('sasl.oauthbearer.jwks.endpoint.url', 'OAUTHBEARER') as string | null;
  if (url === null) throw new ConfigError('sasl.oauthbearer.jwks.endpoint.url', `OAUTHBEARER with ${OAUTH_VALIDATOR_HANDLER} on listener ${listenerName} needs sasl.oauthbearer.jwks.endpoint.url`);
  const v = new JwksValidator({
    loadJwks: () => readUrl(d.disk, url),
    expectedAudience: get('sasl.oauthbearer.expected.audience', 'OAUTHBEARER') as string[],
    expectedIssuer: get('sasl.oauthbearer.expected.issuer', 'OAUTHBEARER') as string | null,
    subClaimName: get('sasl.oauthbearer.sub.claim.name', 'OAUTHBEARER') as string,
    scopeClaimName: get('sasl.oauthbearer.scope.claim.name', 'OAUTHBEARER') as string,
    clockSkewSeconds: get('sasl.oauthbearer.clock.skew.seconds', 'OAUTHBEARER') as number,
    refreshMs: get('sasl.oauthbearer.jwks.endpoint.refresh.ms', 'OAUTHBEARER') as number,
    now,
  });
  await v.refresh();
  return v;
}
