/**
 * TLS for a listener: its secure context built from the listener's `ssl.*` configs (files read
 * through the Disk), swapped for a new one by `reload()` (new connections get the new certificate,
 * open ones keep theirs), and what a client certificate makes of a connection: on an SSL listener
 * its principal (`ssl.principal.mapping.rules` over the certificate's distinguished name, or
 * `User:ANONYMOUS` without one), on SASL_SSL nothing but the check that it is trusted.
 */
import { type SecureContextOptions, type TLSSocket, createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { ConfigError } from '../../common/config-def.js';
import { ANONYMOUS_PRINCIPAL } from '../../network/channel.js';
import type { Connection } from '../../network/connection.js';
import type { ListenerTls } from '../../network/server.js';
import { SslPrincipalMapper, distinguishedName } from '../../security/ssl-principal-mapper.js';
import { secureContextOptions } from '../../security/ssl.js';
import type { Disk } from '../../storage/disk.js';
import { readWholeFile } from '../../storage/disk-files.js';
import type { BrokerConfig } from '../config/broker-config.js';

async function readConfigured(disk: Disk, path: string | null, config: string): Promise<Buffer | undefined> {
  if (path === null) return undefined;
  const bytes = await readWholeFile(disk, path, 16 << 20);
  if (!bytes) throw new ConfigError(config, `${config} ${path} not found`);
  return bytes;
}

/**
 * The listener's secure-context options from its configs (as they are now: run-time changes
 * included), checked to load. A keystore is required unless `asClient` (a node connecting to the
 * listener on others needs one only when they ask for client certificates).
 */
export async function listenerSecureContext(config: BrokerConfig, listener: string, disk: Disk, asClient = false): Promise<SecureContextOptions> {
  const get = (name: string) => config.listenerGet(listener, name);
  const keystorePath = get('ssl.keystore.location') as string | null;
  const inlineKey = get('ssl.keystore.key') as string | null;
  if (keystorePath === null && inlineKey === null && !asClient) throw new ConfigError('ssl.keystore.location', `Listener ${listener} uses TLS but has no keystore: set ssl.keystore.location (or listener.name.${listener.toLowerCase()}.ssl.keystore.location)`);
  const options = secureContextOptions({
    keystoreType: get('ssl.keystore.type') as string,
    keystore: await readConfigured(disk, keystorePath, 'ssl.keystore.location'),
    keystorePassword: get('ssl.keystore.password') as string | null,
    keyPassword: get('ssl.key.password') as string | null,
    inlineKey,
    inlineChain: get('ssl.keystore.certificate.chain') as string | null,
    truststoreType: get('ssl.truststore.type') as string,
    truststore: await readConfigured(disk, get('ssl.truststore.location') as string | null, 'ssl.truststore.location'),
    inlineTrusted: get('ssl.truststore.certificates') as string | null,
    enabledProtocols: get('ssl.enabled.protocols') as string[],
    protocol: get('ssl.protocol') as string,
    cipherSuites: get('ssl.cipher.suites') as string[],
  });
  // The listener picks the suite by its own order, as a Kafka broker's JVM does (server
  // preference): `ssl.cipher.suites` in the order given, else node's defaults (TLS 1.3:
  // AES-256-GCM, ChaCha20-Poly1305, AES-128-GCM; the JVM's puts AES-128-GCM second).
  if (!asClient) options.honorCipherOrder = true;
  try {
    createSecureContext(options);
    return options;
  } catch (err) {
    throw new ConfigError('ssl.keystore.location', `Listener ${listener}: cannot use its keystore or truststore: ${(err as Error).message}`);
  }
}

export class ListenerTlsContext implements ListenerTls {
  readonly clientAuth: 'none' | 'requested' | 'required';
  private readonly mapper: SslPrincipalMapper;

  private constructor(
    private readonly config: BrokerConfig,
    readonly listenerName: string,
    private readonly securityProtocol: string,
    private readonly disk: Disk,
    private current: SecureContextOptions,
    private readonly log: Logger,
  ) {
    this.clientAuth = config.listenerGet(listenerName, 'ssl.client.auth') as 'none' | 'requested' | 'required';
    this.mapper = new SslPrincipalMapper(config.listenerGet(listenerName, 'ssl.principal.mapping.rules') as string);
  }

  static async load(config: BrokerConfig, listenerName: string, securityProtocol: string, disk: Disk, log: Logger): Promise<ListenerTlsContext> {
    return new ListenerTlsContext(config, listenerName, securityProtocol, disk, await listenerSecureContext(config, listenerName, disk), log);
  }

  contextOptions(): SecureContextOptions {
    return this.current;
  }

  /** Reads the keystore and truststore again; new connections get them, open ones keep the old. Throws (keeping the old) when they do not load. */
  async reload(): Promise<void> {
    this.current = await listenerSecureContext(this.config, this.listenerName, this.disk);
    this.log.info({ listener: this.listenerName }, 'listener certificates reloaded');
  }

  /** Names a connection whose TLS handshake is done (SSL), or checks its certificate (SASL_SSL). */
  onConnection(conn: Connection): void {
    const socket = conn.socket as TLSSocket;
    const cert = socket.getPeerX509Certificate();
    if (cert && !socket.authorized) {
      // With ssl.client.auth=requested a client may send no certificate, but not an untrusted one.
      this.log.info({ conn: conn.id, remote: conn.remote, err: String(socket.authorizationError) }, 'closing connection: untrusted client certificate');
      socket.destroy();
      return;
    }
    conn.channel.peerCertificate = cert;
    if (this.securityProtocol !== 'SSL') return;
    let principal = ANONYMOUS_PRINCIPAL;
    if (cert) {
      const dn = distinguishedName(cert);
      const name = this.mapper.map(dn);
      if (name === undefined) {
        this.log.info({ conn: conn.id, remote: conn.remote, dn }, 'closing connection: no ssl.principal.mapping.rules rule applies to the client certificate');
        socket.destroy();
        return;
      }
      principal = `User:${name}`;
    }
    conn.authenticated(principal);
  }
}
