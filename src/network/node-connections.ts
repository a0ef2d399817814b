/**
 * A node's outbound connections to the other nodes of its cluster, one per node id, opened when
 * first needed and opened again after a failure (or when the node's address changed): what the
 * Raft client's transport and a broker's channel to the controller send through.
 */
import type { Clock } from '../common/clock.js';
import type { AnyApiDescriptor, ApiDescriptor } from '../protocol/api-descriptor.js';
import type { Network } from './network.js';
import { ConnectionError, RequestConnection, type TlsOptions } from './request-connection.js';

export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

export interface NodeConnectionsOptions {
  /** Where a node is reached, if known. */
  address(nodeId: number): NodeAddress | undefined;
  readonly clock: Clock;
  readonly network: Network;
  readonly clientId: string;
  /** Default per-request timeout. */
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** TLS to the nodes (their listener's security protocol is SSL or SASL_SSL). */
  readonly tls?: TlsOptions | undefined;
  /** A SASL login after ApiVersions (SASL_PLAINTEXT or SASL_SSL); resolves with the session lifetime. */
  readonly authenticate?: ((conn: RequestConnection) => Promise<number>) | undefined;
  /**
   * Told when connecting to a node fails for a reason other than the node being unreachable (a
   * TLS or SASL refusal, an unusable ApiVersions answer): retries go on, but a misconfigured
   * cluster must not wait in silence. Once per node until the reason changes or a connection opens.
   */
  readonly onRefused?: ((nodeId: number, err: Error) => void) | undefined;
}

interface Entry {
  readonly address: string;
  readonly conn: Promise<RequestConnection>;
}

export class NodeConnections {
  private readonly entries = new Map<number, Entry>();
  /** The last refusal reported per node. */
  private readonly refusals = new Map<number, string>();
  private closed = false;

  constructor(private readonly o: NodeConnectionsOptions) {}

  /** Sends `body` to `nodeId` at `version`; rejects with a ConnectionError when the node cannot be reached or does not answer in time. */
  async send<Req, ReqIn, Res, ResIn>(nodeId: number, api: ApiDescriptor<Req, ReqIn, Res, ResIn>, body: ReqIn, opts: { version: number; timeoutMs?: number }): Promise<Res> {
    const conn = await this.connection(nodeId);
    return conn.send(api, body, { version: opts.version, timeoutMs: opts.timeoutMs ?? this.o.requestTimeoutMs });
  }

  /** Whether `nodeId` serves `api` at `version` (once connected). */
  async serves(nodeId: number, api: AnyApiDescriptor, version: number): Promise<boolean> {
    const conn = await this.connection(nodeId);
    return conn.versionFor(api, version) === version;
  }

  private async connection(nodeId: number): Promise<RequestConnection> {
    if (this.closed) throw new ConnectionError('SAMSA_CONNECTION', 'the node is shutting down');
    const address = this.o.address(nodeId);
    if (!address) throw new ConnectionError('SAMSA_CONNECTION', `no address known for node ${nodeId}`);
    const key = `${address.host}:${address.port}`;
    const e = this.entries.get(nodeId);
    if (e && e.address === key) {
      const open = await e.conn.catch(() => undefined);
      if (open?.isOpen) return open;
      if (this.entries.get(nodeId) === e) this.entries.delete(nodeId);
    } else if (e) {
      this.entries.delete(nodeId);
      void e.conn.then((c) => c.close(), () => undefined);
    }
    const conn = RequestConnection.connect({
      host: address.host,
      port: address.port,
      clientId: this.o.clientId,
      clock: this.o.clock,
      network: this.o.network,
      requestTimeoutMs: this.o.requestTimeoutMs,
      connectTimeoutMs: this.o.connectTimeoutMs,
      ...(this.o.tls ? { tls: this.o.tls } : {}),
      ...(this.o.authenticate ? { authenticate: this.o.authenticate } : {}),
    });
    const entry = { address: key, conn };
    this.entries.set(nodeId, entry);
    conn.then(
      (c) => {
        this.refusals.delete(nodeId);
        if (this.closed) c.close();
      },
      (err: Error) => {
        if (this.entries.get(nodeId) === entry) this.entries.delete(nodeId);
        this.reportRefusal(nodeId, err);
      },
    );
    return conn;
  }

  private reportRefusal(nodeId: number, err: Error): void {
    if ((err as { code?: unknown }).code === 'SAMSA_CONNECTION' || this.closed || !this.o.onRefused) return;
    if (this.refusals.get(nodeId) === err.message) return;
    this.refusals.set(nodeId, err.message);
    this.o.onRefused(nodeId, err);
  }

  close(): void {
    this.closed = true;
    for (const e of this.entries.values()) void e.conn.then((c) => c.close(), () => undefined);
    this.entries.clear();
  }
}
