/**
 * The TCP listener: accepts connections up to a bound, hands each to a Connection, and shuts
 * down gracefully (stop accepting, let in-flight requests finish, close).
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { Connection, type ConnectionLimits, type FrameHandler } from './connection.js';
import type { NetServer, Network } from './network.js';

export interface ServerOptions extends ConnectionLimits {
  host: string;
  /** 0 picks an ephemeral port. */
  port: number;
  /** Connections beyond this are closed as soon as they are accepted (Kafka's `max.connections`). */
  maxConnections: number;
  network: Network;
  clock: Clock;
}

/** The read buffer the server's connections share. */
const READ_BUFFER_BYTES = 64 * 1024;

export class NetworkServer {
  private readonly server: NetServer;
  private readonly connections = new Set<Connection>();

  private constructor(
    private readonly opts: ServerOptions,
    handler: FrameHandler,
    private readonly log: Logger,
  ) {
    this.server = opts.network.createServer(
      (socket, reads) => {
        if (this.connections.size >= opts.maxConnections) {
          log.warn({ remote: socket.remoteAddress, max: opts.maxConnections }, 'refusing connection: too many connections');
          socket.destroy();
          return;
        }
        const conn = new Connection(socket, handler, opts, opts.clock, log, reads);
        this.connections.add(conn);
        void conn.whenClosed().then(() => this.connections.delete(conn));
      },
      // Every connection reads into this one buffer (or straight into its large frames).
      { userReads: { readBuffer: Buffer.allocUnsafeSlow(READ_BUFFER_BYTES) } },
    );
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
    await Promise.all([...this.connections].map((c) => c.close(graceMs)));
    await closed;
  }
}
