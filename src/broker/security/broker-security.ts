/**
 * Everything about who may connect, who a connection is, what it may do and how fast, for one
 * broker: the security metadata (ACLs, SCRAM credentials, quotas; security-metadata.ts), the
 * authorizer when `authorizer.class.name` names Kafka's StandardAuthorizer, the quota manager,
 * connection admission, and each listener's TLS context and SASL handshake. A PLAINTEXT listener
 * with no authorizer and no quotas goes straight to the dispatcher, as before any of this existed.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import { ConfigError } from '../../common/config-def.js';
import type { RandomBytes } from '../../common/random.js';
import type { AuthenticationLimits, Connection, FrameHandler } from '../../network/connection.js';
import type { ListenerTls } from '../../network/server.js';
import { StandardAuthorizer } from '../../security/authorizer.js';
import { QuotaManager } from '../../security/quota/quota-manager.js';
import type { ScramCredentialLookup } from '../../security/sasl/scram.js';
import { SecurityMetadata, type SecurityMetadataStore } from '../../security/security-metadata.js';
import type { Disk } from '../../storage/disk.js';
import type { BrokerConfig, ListenerSpec } from '../config/broker-config.js';
import { STANDARD_AUTHORIZER } from '../config/security-configs.js';
import { ConnectionAdmission } from './connection-admission.js';
import { saslListener } from './listener-sasl.js';
import { ListenerTlsContext } from './listener-tls.js';
import { ListenerTlsSet } from './listener-tls-set.js';
import { saslAuthenticator } from './sasl-authenticator.js';

export interface SecurityWorld {
  config: BrokerConfig;
  /** Where keystores, truststores and JWKS files are read. */
  disk: Disk;
  clock: Clock;
  randomBytes: RandomBytes;
  log: Logger;
}

/** How a listener serves its connections. */
export interface ListenerSetup {
  handler: FrameHandler;
  tls?: ListenerTls;
  authentication?: AuthenticationLimits;
  onConnection?: (conn: Connection) => void;
}

/**
 * The TLS context and SASL handshake of a listener (a client listener, or a controller's), in front
 * of `dispatcher`, with SCRAM logins checked against `scram`.
 */
export async function listenerSecuritySetup(w: SecurityWorld, spec: ListenerSpec, dispatcher: FrameHandler, scram: ScramCredentialLookup): Promise<ListenerSetup & { tlsContext?: ListenerTlsContext }> {
  const c = w.config;
  const protocol = spec.securityProtocol;
  const usesTls = protocol === 'SSL' || protocol === 'SASL_SSL';
  const usesSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  const timeoutMs = c.num('samsa.authentication.timeout.ms');
  const setup: ListenerSetup & { tlsContext?: ListenerTlsContext } = { handler: dispatcher };
  if (usesTls) {
    const tls = await ListenerTlsContext.load(c, spec.name, protocol, w.disk, w.log);
    setup.tlsContext = tls;
    setup.tls = tls;
    setup.onConnection = (conn) => tls.onConnection(conn);
    setup.authentication = { preAuthMaxFrameBytes: c.listenerGet(spec.name, 'sasl.server.max.receive.size') as number, timeoutMs };
  }
  if (usesSasl) {
    const sasl = await saslListener(spec.name, { config: c, disk: w.disk, clock: w.clock, scram, nonce: () => w.randomBytes(24).toString('base64url') });
    setup.handler = saslAuthenticator(sasl, dispatcher, { clock: w.clock, log: w.log, timeoutMs });
    setup.authentication = { preAuthMaxFrameBytes: sasl.maxReceiveBytes, timeoutMs };
  }
  return setup;
}

/** The authorizer `authorizer.class.name` names (Kafka's StandardAuthorizer, with `super.users`), without ACLs yet; undefined when none is configured. */
export function configuredAuthorizer(c: BrokerConfig): StandardAuthorizer | undefined {
  const className = c.str('authorizer.class.name').trim();
  if (className === '') return undefined;
  if (className !== STANDARD_AUTHORIZER) {
    throw new ConfigError('authorizer.class.name', `authorizer.class.name ${className} is not served by Samsa: use ${STANDARD_AUTHORIZER} (Kafka 4's), or leave it empty for no authorization`);
  }
  const superUsers = ((c.get('super.users') as string | null) ?? '').split(';').map((s) => s.trim()).filter((s) => s !== '');
  return new StandardAuthorizer({ superUsers, allowEveryoneIfNoAclFound: c.bool('allow.everyone.if.no.acl.found') });
}

export class BrokerSecurity {
  readonly authorizer: StandardAuthorizer | undefined;
  readonly quotas: QuotaManager;
  readonly admission: ConnectionAdmission;

  private constructor(
    private readonly w: SecurityWorld,
    readonly metadata: SecurityMetadata,
    /** The node's TLS contexts, which the client listeners join (the controller listener's are there already). */
    readonly tls: ListenerTlsSet,
  ) {
    const c = w.config;
    this.authorizer = configuredAuthorizer(c);
    if (this.authorizer) metadata.listen({ aclAdded: (acl) => this.authorizer!.add(acl), aclRemoved: (acl) => this.authorizer!.remove(acl) });
    this.quotas = new QuotaManager(metadata.quotas, { samples: c.num('quota.window.num'), windowMs: c.num('quota.window.size.seconds') * 1000 });
    this.admission = new ConnectionAdmission(c, metadata.quotas, w.clock, { samples: c.num('quota.window.num'), windowMs: c.num('quota.window.size.seconds') * 1000 });
  }

  /** Loads the security metadata and checks the configs. */
  static async open(w: SecurityWorld, store: SecurityMetadataStore, tls = new ListenerTlsSet()): Promise<BrokerSecurity> {
    return new BrokerSecurity(w, await SecurityMetadata.open(store), tls);
  }

  /** The TLS context and SASL handshake of a listener, in front of `dispatcher`. */
  async listenerSetup(spec: ListenerSpec, dispatcher: FrameHandler): Promise<ListenerSetup> {
    const setup = await listenerSecuritySetup(this.w, spec, dispatcher, (user, mechanism) => this.metadata.scramCredential(user, mechanism));
    if (setup.tlsContext) this.tls.add(setup.tlsContext);
    return setup;
  }

  /** Reads every TLS listener's keystore and truststore again: the node's, client and controller listeners alike. */
  reloadTls(): Promise<void> {
    return this.tls.reload();
  }

  /** Checks run-time keystore and truststore values against every TLS listener of the node (listener-tls-set.ts). */
  validateTlsChange(changes: readonly { name: string; value: string | null }[]): Promise<{ errorCode: number; errorMessage: string } | undefined> {
    return this.tls.validateChange(this.w.config, changes);
  }
}
