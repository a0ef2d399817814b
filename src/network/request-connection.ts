/**
 * One outbound TCP connection to a Kafka node, request/response: requests are pipelined (many in
 * flight, answered in order, matched by correlation id), each API is sent at the highest version
 * both sides support (learnt with ApiVersions when the connection opens), and a request not
 * answered within its timeout fails with SAMSA_REQUEST_TIMEOUT. A lost connection fails every
 * pending request with SAMSA_CONNECTION; the connection is then dead and its owner opens a new one.
 *
 * With `tls` the socket is wrapped in node:tls (the peer's certificate checked against `ca`, and
 * the host name unless `rejectUnauthorized` or `checkServerIdentity` say otherwise); with
 * `authenticate` the connection logs in after ApiVersions (the client's SASL login,
 * src/client/security.ts), and again before the session lifetime the broker gave runs out
 * (KIP-368), holding new requests back while it does.
 *
 * The client's connections to brokers are these (src/client/broker-connection.ts gives them the
 * client's error classes), and so are a node's to other nodes (Raft RPCs, broker registration and
 * forwarding to the controller).
 */
import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import { type ConnectionOptions as NodeTlsOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { Clock, TimerHandle } from '../common/clock.js';
import type { Random } from '../common/random.js';
import type { AnyApiDescriptor, ApiDescriptor } from '../protocol/api-descriptor.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { encodeRequestFrame, readResponseFrame } from '../protocol/frames.js';
import { ApiVersionsApi, SaslAuthenticateApi, SaslHandshakeApi } from '../protocol/messages/index.js';
import { SamsaError } from '../protocol/samsa-error.js';
import { FrameReader } from './frame-reader.js';
import { type Network, adoptTlsReads } from './network.js';

/** A connection's failure, with a stable code: SAMSA_CONNECTION, SAMSA_REQUEST_TIMEOUT, SAMSA_DECODE, SAMSA_UNSUPPORTED_API. */
export class ConnectionError extends SamsaError {}

/** How a connection's failures are reported (the client has error classes of its own). */
export interface ConnectionErrors {
  create(code: string, message: string, options?: { cause?: unknown }): Error;
  /** The ApiVersions answer carried this Kafka error code. */
  protocol(errorCode: number): Error;
}

export const DEFAULT_CONNECTION_ERRORS: ConnectionErrors = {
  create: (code, message, options) => new ConnectionError(code, message, options),
  protocol: (errorCode) => new ConnectionError('SAMSA_API_VERSIONS', `ApiVersions answered error code ${errorCode}`),
};

/** Runs `fn` every `ms` on `clock` until cancelled (a background timer). */
function every(clock: Clock, ms: number, fn: () => void): TimerHandle {
  let cancelled = false;
  let handle: TimerHandle;
  const tick = () => {
    if (cancelled) return;
    handle = clock.setTimeout(tick, ms);
    fn();
  };
  handle = clock.setTimeout(tick, ms);
  return {
    cancel: () => {
      cancelled = true;
      handle.cancel();
    },
  };
}

/** TLS options (node:tls's): `ca`, `cert`, `key`, `passphrase`, `pfx`, `servername`, `rejectUnauthorized`, … */
export type TlsOptions = Pick<NodeTlsOptions, 'ca' | 'cert' | 'key' | 'passphrase' | 'pfx' | 'servername' | 'rejectUnauthorized' | 'checkServerIdentity' | 'minVersion' | 'maxVersion' | 'ciphers'>;

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  /** How long a request may wait for its answer (default 30 s). */
  requestTimeoutMs?: number;
  /** How long connecting may take (default 10 s). */
  connectTimeoutMs?: number;
  /** The largest response frame accepted (default 256 MiB). */
  maxResponseBytes?: number;
  /** Times the connect and each request's deadline. */
  clock: Clock;
  /** Opens the socket. */
  network: Network;
  /** How failures are reported (default: ConnectionError). */
  errors?: ConnectionErrors;
  /** TLS to the peer (`true`: trust the system's CAs). */
  tls?: TlsOptions | true | undefined;
  /** Logs in after ApiVersions (SASL); resolves with the session lifetime the peer gave in ms (0: none). */
  authenticate?: ((conn: RequestConnection) => Promise<number>) | undefined;
  /** Jitter of re-authentication times. */
  random?: Random;
}

interface Pending {
  api: AnyApiDescriptor;
  version: number;
  deadline: number;
  resolve: (body: unknown) => void;
  reject: (err: Error) => void;
}

const SOFTWARE_VERSION = '0.1.0';
const SWEEP_INTERVAL_MS = 100;
const READ_BUFFER_BYTES = 256 * 1024;
/** A frame missing at least this much is read into directly rather than copied out of the read buffer. */
const DIRECT_READ_MIN_BYTES = 64 * 1024;
/**
 * After a large frame the next read takes at most this much into the read buffer: the next frame
 * is likely large too (a consumer's fetch answers), and what of it lands in the read buffer is
 * copied into its frame, while the rest is read straight into the frame. A full read buffer there
 * copied a quarter of each 1 MiB fetch answer. After a small frame, reads take the whole buffer
 * (a producer's many small answers come in one read).
 */
const HEAD_READ_BYTES = 16 * 1024;

/** How the socket's reads reach the connection (set up before the connection object exists). */
interface ReadHooks {
  readonly readBuffer: Buffer;
  /** The start of readBuffer, as the target of a read that should stop early (see HEAD_READ_BYTES). */
  readonly headBuffer: Buffer;
  onRead: (n: number, buf: Buffer) => void;
  /** The buffer the next read goes into. */
  nextTarget: () => Buffer;
  /** A read in a buffer of its own (a 'data' event, or bytes read before the reads were taken over). */
  onChunk: (chunk: Buffer) => void;
  /** Reads arrive as 'data' events in buffers of their own (TLS where node's internals are missing): no reused buffer, no direct reads. */
  dataEvents?: boolean;
}

export class RequestConnection {
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private readonly versions = new Map<number, { min: number; max: number }>();
  private readonly sweeper: TimerHandle;
  private readonly errors: ConnectionErrors;
  private failure: Error | undefined;
  private reauthTimer: TimerHandle | undefined;
  /** Writes held back while the connection logs in again (KIP-368). */
  private held: (() => void)[] | undefined;
  readonly requestTimeoutMs: number;
  /** Resolves once the socket has closed. */
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    readonly options: ConnectionOptions,
    reads: ReadHooks,
  ) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.errors = options.errors ?? DEFAULT_CONNECTION_ERRORS;
    const reader = new FrameReader(options.maxResponseBytes ?? 256 * 1024 * 1024, { reusedChunks: !reads.dataEvents });
    socket.setNoDelay(true);
    let afterLargeFrame = false;
    const take = (read: () => Buffer[]) => {
      try {
        for (const frame of read()) {
          afterLargeFrame = frame.length >= DIRECT_READ_MIN_BYTES;
          this.answer(frame);
        }
      } catch (err) {
        this.fail(this.errors.create('SAMSA_CONNECTION', `bad response from ${this.address}: ${(err as Error).message}`, { cause: err }));
      }
    };
    reads.onRead = (n, buf) => take(() => (buf === reads.readBuffer || buf === reads.headBuffer ? reader.push(buf.subarray(0, n)) : reader.filledDirectly(n)));
    reads.onChunk = (chunk) => take(() => reader.push(chunk));
    reads.nextTarget = () => reader.directTarget(DIRECT_READ_MIN_BYTES) ?? (afterLargeFrame ? reads.headBuffer : reads.readBuffer);
    socket.on('error', (err) => this.fail(this.errors.create('SAMSA_CONNECTION', `connection to ${this.address} failed: ${err.message}`, { cause: err })));
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.once('close', () => this.fail(this.errors.create('SAMSA_CONNECTION', `connection to ${this.address} closed`)));
    this.sweeper = every(options.clock, SWEEP_INTERVAL_MS, () => this.expire());
  }

  /** Connects and learns the broker's API versions. */
  static async connect(options: ConnectionOptions): Promise<RequestConnection> {
    const errors = options.errors ?? DEFAULT_CONNECTION_ERRORS;
    // Reads land in one buffer reused for the connection's life (a fresh buffer per read costs
    // page faults that dominate large fetches), and the frame reader copies each frame out of it;
    // the rest of a large frame is read straight into the frame's own buffer, saving that copy.
    const readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
    const reads: ReadHooks = { readBuffer, headBuffer: readBuffer.subarray(0, HEAD_READ_BYTES), onRead: () => undefined, nextTarget: () => readBuffer, onChunk: () => undefined };
    const onread = {
      buffer: () => reads.nextTarget(),
      callback: (n: number, buf: Uint8Array) => {
        reads.onRead(n, buf as Buffer);
        return true;
      },
    };
    // A TLS socket is made over the connected one, so node:tls ignores `onread`: its reads are
    // taken over once the handshake is done (adoptTlsReads), as decrypted records of 16 KiB at most.
    const tcp = options.network.connect(options.tls ? { host: options.host, port: options.port } : { host: options.host, port: options.port, onread });
    await new Promise<void>((resolve, reject) => {
      const socket = tcp;
      const timer = options.clock.setTimeout(
        () => {
          socket.destroy();
          reject(errors.create('SAMSA_CONNECTION', `connecting to ${options.host}:${options.port} timed out`));
        },
        options.connectTimeoutMs ?? 10_000,
        { keepAlive: true },
      );
      socket.once('connect', () => {
        timer.cancel();
        resolve();
      });
      socket.once('error', (err) => {
        timer.cancel();
        reject(errors.create('SAMSA_CONNECTION', `cannot connect to ${options.host}:${options.port}: ${err.message}`, { cause: err }));
      });
    });
    const socket = options.tls ? await RequestConnection.startTls(tcp, options) : tcp;
    let buffered: Buffer[] | undefined = [];
    if (options.tls) {
      buffered = adoptTlsReads(socket, { target: () => reads.nextTarget(), onRead: (n, buf) => reads.onRead(n, buf as Buffer) });
      if (!buffered) {
        reads.dataEvents = true;
        socket.on('data', (chunk: Buffer) => reads.onChunk(chunk));
      }
    }
    const conn = new RequestConnection(socket, options, reads);
    for (const chunk of buffered ?? []) reads.onChunk(chunk);
    try {
      await conn.negotiateVersions();
      if (options.authenticate) await conn.login();
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  /** Wraps a connected socket in TLS and waits for the handshake (within the connect timeout). */
  private static async startTls(tcp: Socket, options: ConnectionOptions): Promise<Socket> {
    const errors = options.errors ?? DEFAULT_CONNECTION_ERRORS;
    const tlsOptions = options.tls === true ? {} : (options.tls ?? {});
    const servername = tlsOptions.servername ?? (isIP(options.host) ? undefined : options.host);
    const socket: TLSSocket = tlsConnect({ ...tlsOptions, socket: tcp, ...(servername !== undefined ? { servername } : {}), ...(isIP(options.host) ? { host: options.host } : {}) });
    await new Promise<void>((resolve, reject) => {
      const timer = options.clock.setTimeout(
        () => {
          socket.destroy();
          reject(errors.create('SAMSA_CONNECTION', `TLS handshake with ${options.host}:${options.port} timed out`));
        },
        options.connectTimeoutMs ?? 10_000,
        { keepAlive: true },
      );
      socket.once('secureConnect', () => {
        timer.cancel();
        resolve();
      });
      socket.once('error', (err) => {
        timer.cancel();
        // A certificate the client refuses is not worth retrying; a dropped connection is.
        const code = (err as NodeJS.ErrnoException).code ?? '';
        const tlsRefusal = /CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ERR_TLS|ERR_SSL/.test(code);
        reject(errors.create(tlsRefusal ? 'SAMSA_TLS' : 'SAMSA_CONNECTION', `TLS handshake with ${options.host}:${options.port} failed: ${err.message}`, { cause: err }));
      });
    });
    return socket;
  }

  /** Logs in and, when the peer bounds the session, schedules the next login before it ends. */
  private async login(): Promise<void> {
    const o = this.options;
    const lifetimeMs = await o.authenticate!(this);
    this.reauthTimer?.cancel();
    this.reauthTimer = undefined;
    if (lifetimeMs > 0 && this.isOpen) {
      // Kafka's clients log in again at 85-95% of the session's lifetime.
      const at = Math.floor(lifetimeMs * (0.85 + 0.1 * (o.random ?? (() => 0.5))()));
      this.reauthTimer = o.clock.setTimeout(() => void this.reauthenticate(), at);
    }
  }

  /** KIP-368: logs in again on this connection; requests made meanwhile wait and then go in order. */
  private async reauthenticate(): Promise<void> {
    if (!this.isOpen) return;
    this.held = [];
    try {
      await this.login();
    } catch (err) {
      this.fail(err instanceof Error ? err : this.errors.create('SAMSA_AUTHENTICATION', String(err)));
      return;
    } finally {
      const held = this.held ?? [];
      this.held = undefined;
      for (const write of held) write();
    }
  }

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  get isOpen(): boolean {
    return this.failure === undefined;
  }

  /** The highest version of `api` both sides serve, or undefined when the broker lacks it. */
  versionFor(api: AnyApiDescriptor, atMost = api.maxVersion): number | undefined {
    const theirs = this.versions.get(api.apiKey);
    if (!theirs) return undefined;
    const v = Math.min(theirs.max, api.maxVersion, atMost);
    return v >= Math.max(theirs.min, api.minVersion) ? v : undefined;
  }

  /** Sends a request and resolves with the decoded response body. */
  send<Req, ReqIn, Res, ResIn>(api: ApiDescriptor<Req, ReqIn, Res, ResIn>, body: ReqIn, options: { version?: number; timeoutMs?: number } = {}): Promise<Res> {
    const version = options.version ?? this.requireVersion(api as unknown as AnyApiDescriptor);
    const reauth = api.apiKey === SaslHandshakeApi.apiKey || api.apiKey === SaslAuthenticateApi.apiKey;
    return new Promise<Res>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const go = () => {
        if (this.failure) return reject(this.failure);
        const correlationId = this.write(api as unknown as AnyApiDescriptor, version, body);
        this.pending.set(correlationId, {
          api: api as unknown as AnyApiDescriptor,
          version,
          deadline: this.options.clock.now() + (options.timeoutMs ?? this.requestTimeoutMs),
          resolve: resolve as (b: unknown) => void,
          reject,
        });
      };
      if (this.held && !reauth) this.held.push(go);
      else go();
    });
  }

  /** Sends a request the broker does not answer (Produce with acks=0). */
  sendWithoutResponse<Req, ReqIn, Res, ResIn>(api: ApiDescriptor<Req, ReqIn, Res, ResIn>, body: ReqIn, version?: number): void {
    if (this.failure) throw this.failure;
    const v = version ?? this.requireVersion(api as unknown as AnyApiDescriptor);
    if (this.held) this.held.push(() => void (this.failure ? undefined : this.write(api as unknown as AnyApiDescriptor, v, body)));
    else this.write(api as unknown as AnyApiDescriptor, v, body);
  }

  /** Whether the socket's buffer is over its high-water mark (the caller may wait for 'drain'). */
  get congested(): boolean {
    return this.socket.writableNeedDrain;
  }

  close(): void {
    this.fail(this.errors.create('SAMSA_CONNECTION', `connection to ${this.address} closed by the client`));
  }

  private requireVersion(api: AnyApiDescriptor): number {
    const v = this.versionFor(api);
    if (v === undefined) throw this.errors.create('SAMSA_UNSUPPORTED_API', `broker ${this.address} does not serve ${api.name} at a version Samsa knows`);
    return v;
  }

  private write(api: AnyApiDescriptor, version: number, body: unknown): number {
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = (this.nextCorrelationId + 1) & 0x7fffffff;
    const chunks = encodeRequestFrame(api, version, correlationId, this.options.clientId, body);
    if (chunks.length === 1) this.socket.write(chunks[0]!);
    else {
      this.socket.cork();
      for (const c of chunks) this.socket.write(c);
      this.socket.uncork();
    }
    return correlationId;
  }

  private answer(frame: Buffer): void {
    const p = this.pending.get(frame.readInt32BE(0));
    if (!p) return; // answered after its timeout
    this.pending.delete(frame.readInt32BE(0));
    try {
      p.resolve(readResponseFrame(p.api, p.version, frame).body);
    } catch (err) {
      p.reject(this.errors.create('SAMSA_DECODE', `cannot decode ${p.api.name} v${p.version} response from ${this.address}: ${(err as Error).message}`, { cause: err }));
    }
  }

  /** ApiVersions v3, or v0 when the broker answers UNSUPPORTED_VERSION (in v0's shape) or is older. */
  private async negotiateVersions(): Promise<void> {
    const api = ApiVersionsApi as unknown as AnyApiDescriptor;
    let res: { errorCode: number; apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[] };
    try {
      res = await this.send(ApiVersionsApi, { clientSoftwareName: 'samsa', clientSoftwareVersion: SOFTWARE_VERSION }, { version: Math.min(3, api.maxVersion) });
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SAMSA_DECODE') throw err;
      res = { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: [] };
    }
    if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) res = await this.send(ApiVersionsApi, {}, { version: 0 });
    if (res.errorCode !== ErrorCode.NONE) throw this.errors.protocol(res.errorCode);
    for (const k of res.apiKeys) this.versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
  }

  private expire(): void {
    if (this.pending.size === 0) return;
    const now = this.options.clock.now();
    for (const [id, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(id);
      p.reject(this.errors.create('SAMSA_REQUEST_TIMEOUT', `${p.api.name} to ${this.address} was not answered within its timeout`));
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.sweeper.cancel();
    this.reauthTimer?.cancel();
    for (const write of this.held ?? []) write();
    this.held = undefined;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.socket.destroy();
  }
}
