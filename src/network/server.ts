/**
 * A listener: accepts connections up to its bounds, runs their TLS handshake when the listener's
 * security protocol asks for it (a node:tls server, not listening itself, is handed each accepted
 * socket; a new one is made when the listener's secure context changes, so that reloaded
 * certificates serve new connections at once), hands each to a Connection once it is ready, and
 * shuts down gracefully (stop accepting, let in-flight requests finish, close).
 *
 * An admission policy (the broker's connection quotas: `max.connections.per.ip`, connection
 * creation rates) may refuse a connection, close it after a delay, or hold it unserved for a while.
 */
import type { AddressInfo, Socket } from 'node:net';
import { type SecureContextOptions, type Server as TlsServer, type TLSSocket, createServer as createTlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import type { ChannelInfo } from './channel.js';
import { type AuthenticationLimits, Connection, type ConnectionLimits, type FrameHandler } from './connection.js';
import { type NetServer, type Network, type UserReads, adoptTlsReads } from './network.js';

/** TLS for a listener: the secure-context options to serve new connections with (a new object after a reload), and whether client certificates are asked for. */
export interface ListenerTls {
  contextOptions(): SecureContextOptions;
  clientAuth: 'none' | 'requested' | 'required';
}

/** What an admission policy decides for a new connection. */
export type Admission = { kind: 'accept' } | { kind: 'refuse'; reason: string } | { kind: 'close-after'; delayMs: number; reason: string } | { kind: 'delay'; delayMs: number };

export interface AdmissionPolicy {
  admit(clientHost: string, listenerName: string): Admission;
  /** A connection admitted earlier has closed. */
  released(clientHost: string, listenerName: string): void;
}

export interface ServerOptions extends ConnectionLimits {
  host: string;
  /** 0 picks an ephemeral port. */
  port: number;
  /**
   * Connections beyond this are closed as soon as they are accepted (Kafka's `max.connections`); a
   * function is asked again at each new connection (the limit may change at run time: existing
   * connections stay when it is lowered).
   */
  maxConnections: number | (() => number);
  network: Network;
  clock: Clock;
  /** The listener's name and security protocol (default PLAINTEXT). */
  listenerName?: string;
  securityProtocol?: ChannelInfo['securityProtocol'];
  /** TLS on this listener (SSL, SASL_SSL). */
  tls?: ListenerTls;
  /** Set when clients must authenticate (TLS, SASL) before requests are served: `onConnection` then says when they have. */
  authentication?: AuthenticationLimits;
  /** Called once a connection exists (a TLS one: after its handshake). */
  onConnection?: (conn: Connection) => void;
  admission?: AdmissionPolicy;
}

/** Connections closed after a delay (throttled ones) held at once before the rest are closed at once. */
const MAX_DELAYED_CLOSES = 10_000;
/** The read buffer the server's connections share. */
const READ_BUFFER_BYTES = 64 * 1024;

export class NetworkServer {
  private readonly server: NetServer;
  private readonly connections = new Set<Connection>();
  private readonly held = new Set<Socket>();
  /** Sockets in their TLS handshake. */
  private readonly handshaking = new Set<Socket>();
  /** The TLS server (not listening: accepted sockets are handed to it) for the listener's current context. */
  private tlsServer: { server: TlsServer; options: SecureContextOptions } | undefined;
  /** The read buffer the server's connections share. */
  private readonly readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);

  private constructor(
    private readonly opts: ServerOptions,
    private readonly handler: FrameHandler,
    private readonly log: Logger,
  ) {
    // Every connection reads into one shared buffer (or straight into its large frames): PLAINTEXT
    // and SASL_PLAINTEXT ones from the accepted socket, TLS ones from node:tls once their handshake
    // is done (each read one decrypted record of at most 16 KiB).
    this.server = opts.network.createServer((socket, reads) => this.accept(socket, reads), opts.tls ? {} : { userReads: { readBuffer: this.readBuffer } });
  }

  static async listen(opts: ServerOptions, handler: FrameHandler, log: Logger): Promise<NetworkServer> {
    const s = new NetworkServer(opts, handler, log);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(opts.port, opts.host, () => {
        s.server.off('error', reject);
        resolve();
      });
    });
    s.server.on('error', (err) => log.error({ err }, 'listener error'));
    return s;
  }

  private accept(socket: Socket, reads?: UserReads): void {
    const opts = this.opts;
    const listener = opts.listenerName ?? 'PLAINTEXT';
    const maxConnections = typeof opts.maxConnections === 'function' ? opts.maxConnections() : opts.maxConnections;
    if (this.connections.size + this.held.size + this.handshaking.size >= maxConnections) {
      this.log.warn({ remote: socket.remoteAddress, max: maxConnections, listener }, 'refusing connection: too many connections');
      socket.destroy();
      return;
    }
    const address = socket.remoteAddress;
    const host = hostOf(address);
    const admission = opts.admission?.admit(host, listener) ?? { kind: 'accept' };
    if (admission.kind === 'refuse') {
      this.log.warn({ remote: address, listener, reason: admission.reason }, 'refusing connection');
      socket.destroy();
      return;
    }
    const release = () => opts.admission?.released(host, listener);
    if (admission.kind === 'close-after') {
      // Kafka closes a throttled connection after the throttle time, so a client does not reconnect at once.
      this.log.info({ remote: address, listener, reason: admission.reason, delayMs: admission.delayMs }, 'throttling connection: closing it after a delay');
      socket.on('error', () => undefined);
      socket.pause();
      if (this.held.size >= MAX_DELAYED_CLOSES) return void socket.destroy();
      this.held.add(socket);
      opts.clock.setTimeout(() => {
        this.held.delete(socket);
        socket.destroy();
      }, admission.delayMs);
      socket.once('close', () => this.held.delete(socket));
      return;
    }
    if (admission.kind === 'delay') {
      socket.on('error', () => undefined);
      socket.pause();
      this.held.add(socket);
      opts.clock.setTimeout(() => {
        this.held.delete(socket);
        if (socket.destroyed) return release();
        this.serve(socket, release, reads);
      }, admission.delayMs);
      return;
    }
    this.serve(socket, release, reads);
  }

  private serve(raw: Socket, release: () => void, reads?: UserReads): void {
    if (!this.opts.tls) {
      this.startConnection(raw, raw.remoteAddress, raw.remotePort, release, reads);
      return;
    }
    // node:tls's server runs the handshake (client certificates checked against the truststore,
    // `handshakeTimeout` bounding it) and hands over the socket once it is done.
    raw.on('error', () => undefined);
    this.handshaking.add(raw);
    raw.once('close', () => {
      if (this.handshaking.delete(raw)) release();
    });
    this.tlsServerFor(this.opts.tls).emit('connection', raw);
  }

  private tlsServerFor(tls: ListenerTls): TlsServer {
    const options = tls.contextOptions();
    if (this.tlsServer?.options === options) return this.tlsServer.server;
    const server = createTlsServer({
      ...options,
      requestCert: tls.clientAuth !== 'none',
      rejectUnauthorized: tls.clientAuth === 'required',
      handshakeTimeout: this.opts.authentication?.timeoutMs ?? 10_000,
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      const raw = this.handshakeOf(socket);
      if (!raw) return void socket.destroy();
      this.handshaking.delete(raw);
      // The connection sets where reads go as it starts; until then (nothing is read meanwhile) the shared buffer.
      const reads: UserReads = { target: () => this.readBuffer, onRead: () => undefined };
      const buffered = adoptTlsReads(socket, { target: () => reads.target(), onRead: (n, buf) => reads.onRead(n, buf) });
      const conn = this.startConnection(socket, raw.remoteAddress ?? socket.remoteAddress, raw.remotePort ?? socket.remotePort, () => this.opts.admission?.released(hostOf(raw.remoteAddress), this.opts.listenerName ?? 'PLAINTEXT'), buffered ? reads : undefined);
      for (const chunk of buffered ?? []) conn.received(chunk);
    });
    server.on('tlsClientError', (err, socket) => {
      this.log.debug({ remote: socket.remoteAddress, listener: this.opts.listenerName, err: err.message }, 'TLS handshake failed');
      socket.destroy();
    });
    this.tlsServer = { server, options };
    return server;
  }

  /** The accepted socket a TLS socket wraps: the one with its remote address and port. */
  private handshakeOf(socket: TLSSocket): Socket | undefined {
    for (const raw of this.handshaking) if (raw.remotePort === socket.remotePort && raw.remoteAddress === socket.remoteAddress) return raw;
    return undefined;
  }

  private startConnection(socket: Socket, remoteAddress: string | undefined, remotePort: number | undefined, release: () => void, reads?: UserReads): Connection {
    const opts = this.opts;
    const conn = new Connection(socket, this.handler, opts, opts.clock, this.log, {
      ...(opts.listenerName !== undefined ? { listenerName: opts.listenerName } : {}),
      ...(opts.securityProtocol !== undefined ? { securityProtocol: opts.securityProtocol } : {}),
      ...(remoteAddress !== undefined ? { remoteAddress } : {}),
      ...(remotePort !== undefined ? { remotePort } : {}),
      ...(opts.authentication ? { authentication: opts.authentication } : {}),
      ...(reads ? { reads } : {}),
    });
    this.connections.add(conn);
    void conn.whenClosed().then(() => {
      this.connections.delete(conn);
      release();
    });
    opts.onConnection?.(conn);
    return conn;
  }

  get address(): { host: string; port: number } {
    const a = this.server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, lets every connection answer what it has in flight, then closes them. */
  async close(graceMs = 5000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.held) s.destroy();
    this.held.clear();
    for (const s of this.handshaking) s.destroy();
    await Promise.all([...this.connections].map((c) => c.close(graceMs)));
    await closed;
  }
}

function hostOf(address: string | undefined): string {
  return address?.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : (address ?? '');
}
