/**
 * One client connection: frames in, responses out, in request order.
 *
 * Requests are dispatched in the order they arrive, synchronously one after another, so that a
 * handler which starts its side effect before its first await (an append, a group join) keeps
 * the client's order. Their completions may overlap — a long-poll fetch does not hold up a
 * heartbeat behind it — but responses are written strictly in request order, as Kafka requires.
 *
 * Bounds: the frame size (checked before allocating; smaller until the client has authenticated,
 * Kafka's `sasl.server.max.receive.size`), the number of requests and the bytes of request frames
 * in flight (reading from the socket pauses at either limit), idle time, and the time a client may
 * take to finish its TLS and SASL handshakes. A frame that cannot be parsed, or a handler that
 * asks for it, closes this connection only. A throttled client (quotas) is muted: nothing more is
 * read from it until its throttle time has passed.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../common/clock.js';
import { ANONYMOUS_PRINCIPAL, type ChannelInfo, clientHostOf } from './channel.js';
import type { FramePool } from './frame-pool.js';
import { FrameError, FrameReader } from './frame-reader.js';
import type { UserReads } from './network.js';

export interface ConnectionLimits {
  /** Largest request frame accepted (Kafka's `socket.request.max.bytes`). */
  maxFrameBytes: number;
  /** Requests dispatched but not yet answered before reading pauses. */
  maxInFlightRequests: number;
  /** Bytes of request frames dispatched but not yet answered before reading pauses. */
  maxInFlightBytes: number;
  /** Close a connection with no traffic for this long (Kafka's `connections.max.idle.ms`). */
  idleTimeoutMs: number;
  /** Where frames assembled across reads get their buffers (the handler releases those it is done with). */
  frames?: FramePool;
}

/** How a connection starts when its client must authenticate first (TLS or SASL listeners). */
export interface AuthenticationLimits {
  /** Largest frame accepted until authenticated (Kafka's `sasl.server.max.receive.size`). */
  preAuthMaxFrameBytes: number;
  /** The connection is closed if not authenticated within this long. */
  timeoutMs: number;
}

/** Response bytes with a callback for when the socket is done with them (written, or never will be). */
export interface WrittenReply {
  buffers: Buffer[];
  written?: () => void;
  /** Close the connection once these bytes are written (a failed login's answer). */
  thenClose?: boolean;
}

/** What a handler answers: response bytes, `null` for no response (acks=0), or `close`. */
export type Reply = Buffer[] | WrittenReply | null | 'close';
export type FrameHandler = (frame: Buffer, conn: Connection) => Reply | Promise<Reply>;

interface Pending {
  done: boolean;
  reply: Reply;
  bytes: number;
}

let nextId = 0;

/** A frame missing at least this much is read into directly rather than copied out of the read buffer. */
const DIRECT_READ_MIN_BYTES = 16 * 1024;
/**
 * Over TLS, buffers of at least TLS_GATHER_MAX_BYTES are written alone, in pieces of at most
 * TLS_WRITE_PIECE_BYTES; smaller ones are gathered into one write. node:tls encrypts a write
 * whole before sending any of it, and first copies the buffers of a vectored write into one: an
 * 8 MiB fetch response written at once was copied, then encrypted whole while the client waited
 * to decrypt it. In pieces, the client decrypts one while the next is encrypted, and the records
 * are not copied. (Pieces of 256 KiB cost the broker more CPU per GB than 1 MiB ones did.)
 */
const TLS_GATHER_MAX_BYTES = 64 * 1024;
const TLS_WRITE_PIECE_BYTES = 1024 * 1024;

export class Connection {
  readonly id = ++nextId;
  readonly remote: string;
  readonly channel: ChannelInfo;
  private readonly reader: FrameReader;
  private readonly queue: Pending[] = [];
  /** Frames read but not yet dispatched, waiting for the in-flight bounds. */
  private readonly backlog: Buffer[] = [];
  private inFlightBytes = 0;
  private closing = false;
  private corked = false;
  /** Over TLS: small buffers written this tick, sent together as one write at the end of it. */
  private readonly encrypted: boolean;
  private gathered: Buffer[] = [];
  private gatheredBytes = 0;
  private gatheredCallbacks: (() => void)[] = [];
  private readonly closed: Promise<void>;
  private authTimer: TimerHandle | undefined;
  private mutedUntil = 0;
  private unmuteTimer: TimerHandle | undefined;

  constructor(
    readonly socket: Socket,
    private readonly handler: FrameHandler,
    private readonly limits: ConnectionLimits,
    private readonly clock: Clock,
    private readonly log: Logger,
    options: { listenerName?: string; securityProtocol?: ChannelInfo['securityProtocol']; remoteAddress?: string; remotePort?: number; authentication?: AuthenticationLimits; reads?: UserReads } = {},
  ) {
    const address = options.remoteAddress ?? socket.remoteAddress;
    this.remote = `${address}:${options.remotePort ?? socket.remotePort}`;
    const auth = options.authentication;
    this.channel = {
      listenerName: options.listenerName ?? 'PLAINTEXT',
      securityProtocol: options.securityProtocol ?? 'PLAINTEXT',
      clientHost: clientHostOf(address),
      principal: ANONYMOUS_PRINCIPAL,
      authenticated: auth === undefined,
      peerCertificate: undefined,
      sessionExpiresAtMs: undefined,
    };
    const maxFrameBytes = auth ? Math.min(auth.preAuthMaxFrameBytes, limits.maxFrameBytes) : limits.maxFrameBytes;
    const frames = limits.frames;
    const allocate = frames ? { allocate: (size: number) => frames.take(size) } : {};
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.once('close', () => this.cancelTimers());
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleTimeoutMs, () => {
      this.log.debug({ conn: this.id }, 'closing idle connection');
      socket.destroy();
    });
    if (auth) {
      this.authTimer = clock.setTimeout(() => {
        this.log.info({ conn: this.id, remote: this.remote, listener: this.channel.listenerName }, 'closing connection: authentication did not complete in time');
        socket.destroy();
      }, auth.timeoutMs);
    }
    const reads = options.reads;
    if (reads) {
      // Reads land in a buffer shared by the server's connections (each is handled before the
      // next read), or straight in the rest of a large frame: no buffer is allocated per read.
      const reader = (this.reader = new FrameReader(maxFrameBytes, { reusedChunks: true, ...allocate }));
      const shared = reads.target() as Buffer;
      reads.target = () => reader.directTarget(DIRECT_READ_MIN_BYTES) ?? shared;
      reads.onRead = (n, buf) => this.onRead(buf === shared ? shared.subarray(0, n) : undefined, n);
    } else {
      this.reader = new FrameReader(maxFrameBytes, allocate);
      socket.on('data', (chunk: Buffer) => this.onRead(chunk, chunk.length));
    }
    this.encrypted = (socket as { encrypted?: boolean }).encrypted === true;
    // A TLS socket writes each buffer by itself (writeEncrypted gathers the small ones): a
    // vectored write would copy buffers together again, and encrypt them all before sending any.
    if (this.encrypted) (socket as unknown as { _writev: unknown })._writev = null;
    socket.on('drain', () => this.drainBacklog());
    socket.on('error', (err) => this.log.debug({ conn: this.id, err: err.message }, 'socket error'));
  }

  /** Resolves when the socket has closed. */
  whenClosed(): Promise<void> {
    return this.closed;
  }

  get inFlight(): number {
    return this.queue.length;
  }

  /** The client has authenticated as `principal`: requests may be served and frames may be full size. */
  authenticated(principal: string): void {
    this.channel.principal = principal;
    this.channel.authenticated = true;
    this.reader.maxFrameBytes = this.limits.maxFrameBytes;
    this.authTimer?.cancel();
    this.authTimer = undefined;
  }

  /** A re-authentication (KIP-368) started: frames are bounded, and time-limited, as before a login until it completes. */
  reauthenticating(auth: AuthenticationLimits): void {
    this.reader.maxFrameBytes = Math.min(auth.preAuthMaxFrameBytes, this.limits.maxFrameBytes);
    this.authTimer?.cancel();
    this.authTimer = this.clock.setTimeout(() => {
      this.log.info({ conn: this.id, remote: this.remote }, 'closing connection: re-authentication did not complete in time');
      this.socket.destroy();
    }, auth.timeoutMs);
  }

  /** Stops reading from the client for `ms` (it exceeded a quota), as Kafka mutes a throttled channel. */
  mute(ms: number): void {
    if (ms <= 0) return;
    const until = this.clock.now() + ms;
    if (until <= this.mutedUntil) return;
    this.mutedUntil = until;
    this.unmuteTimer?.cancel();
    this.unmuteTimer = this.clock.setTimeout(() => {
      this.unmuteTimer = undefined;
      this.mutedUntil = 0;
      this.drainBacklog();
    }, ms);
    this.drainBacklog();
  }

  get muted(): boolean {
    return this.mutedUntil !== 0;
  }

  private cancelTimers(): void {
    this.authTimer?.cancel();
    this.unmuteTimer?.cancel();
  }

  /** Bytes the socket read before this connection took its reads over (see adoptTlsReads), in order, before any later read. */
  received(chunk: Buffer): void {
    this.onRead(chunk, chunk.length);
  }

  /** `n` bytes were read: into `chunk`, or (undefined) straight into the frame being assembled. */
  private onRead(chunk: Buffer | undefined, n: number): void {
    if (this.closing) return;
    let frames: Buffer[];
    try {
      frames = chunk ? this.reader.push(chunk) : this.reader.filledDirectly(n);
    } catch (err) {
      this.log.warn({ conn: this.id, remote: this.remote, err: (err as FrameError).message }, 'closing connection: bad frame');
      this.socket.destroy();
      return;
    }
    this.backlog.push(...frames);
    this.drainBacklog();
  }

  /** Dispatches waiting frames while under the in-flight bounds; reading stays paused otherwise. */
  private drainBacklog(): void {
    while (this.backlog.length > 0 && !this.overLimit() && !this.socket.destroyed) this.dispatch(this.backlog.shift()!);
    if (this.backlog.length > 0 || this.overLimit()) {
      if (!this.socket.isPaused()) this.socket.pause();
    } else if (!this.closing && this.socket.isPaused()) {
      this.socket.resume();
    }
  }

  private dispatch(frame: Buffer): void {
    const p: Pending = { done: false, reply: null, bytes: frame.length };
    this.queue.push(p);
    this.inFlightBytes += frame.length;
    let result: Reply | Promise<Reply>;
    try {
      result = this.handler(frame, this);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (reply) => this.complete(p, reply),
        (err: unknown) => this.fail(err),
      );
    } else {
      this.complete(p, result);
    }
  }

  private fail(err: unknown): void {
    this.log.error({ conn: this.id, remote: this.remote, err }, 'closing connection: request failed');
    this.socket.destroy();
  }

  private complete(p: Pending, reply: Reply): void {
    p.done = true;
    p.reply = reply;
    this.flush();
  }

  /** Writes every finished response at the head of the queue, in order. */
  private flush(): void {
    while (this.queue.length > 0 && this.queue[0]!.done) {
      const p = this.queue.shift()!;
      this.inFlightBytes -= p.bytes;
      if (p.reply === 'close') {
        // The answers before it are still corked: send them, then close.
        this.closeAfterWrites();
        return;
      }
      if (p.reply !== null) {
        const { buffers, written, thenClose } = Array.isArray(p.reply) ? { buffers: p.reply, written: undefined, thenClose: false } : p.reply;
        if (this.socket.destroyed) written?.();
        else this.write(buffers, written);
        if (thenClose) {
          this.closeAfterWrites();
          return;
        }
      }
    }
    if (this.closing && this.queue.length === 0) {
      this.writeGathered();
      this.socket.end();
      this.socket.resume();
    } else this.drainBacklog();
  }

  private closeAfterWrites(): void {
    this.closing = true;
    this.backlog.length = 0;
    this.writeGathered();
    this.socket.end(() => this.socket.destroy());
  }

  /**
   * Writes corked until the current tick's promise callbacks have run: responses that complete
   * together (a group of appends acknowledged by one write) leave in one writev, not a syscall each.
   */
  private write(buffers: Buffer[], written: (() => void) | undefined): void {
    if (this.encrypted) return this.writeEncrypted(buffers, written);
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    for (let i = 0; i < buffers.length; i++) {
      // The stream calls back once the bytes are handed to the kernel, or with an error if they never will be.
      if (written && i === buffers.length - 1) this.socket.write(buffers[i]!, () => written());
      else this.socket.write(buffers[i]!);
    }
    if (buffers.length === 0) written?.();
  }

  /**
   * Over TLS: small buffers are gathered and sent as one write at the end of the
   * tick (one run of TLS records for many small responses, as corking gives a plain socket one
   * writev); larger ones go in order with them, in pieces written one by one. The reply's callback
   * goes with its last bytes.
   */
  private writeEncrypted(buffers: Buffer[], written: (() => void) | undefined): void {
    if (buffers.length === 0) return void written?.();
    let held: Buffer | undefined;
    for (const b of buffers) {
      if (held) this.socket.write(held);
      held = undefined;
      if (b.length < TLS_GATHER_MAX_BYTES) {
        if (this.gatheredBytes > 0 && this.gatheredBytes + b.length > TLS_WRITE_PIECE_BYTES) this.writeGathered();
        this.gathered.push(b);
        this.gatheredBytes += b.length;
        continue;
      }
      this.writeGathered();
      let off = 0;
      for (; b.length - off > TLS_WRITE_PIECE_BYTES; off += TLS_WRITE_PIECE_BYTES) this.socket.write(b.subarray(off, off + TLS_WRITE_PIECE_BYTES));
      held = b.subarray(off);
    }
    if (held) {
      // The stream calls back once the bytes are handed on, or with an error if they never will be.
      this.socket.write(held, written ? () => written() : undefined);
      return;
    }
    if (written) this.gatheredCallbacks.push(written);
    if (!this.corked) {
      this.corked = true;
      process.nextTick(() => {
        this.corked = false;
        this.writeGathered();
      });
    }
  }

  /** Writes the small buffers gathered so far, as one buffer. */
  private writeGathered(): void {
    if (this.gathered.length === 0) return;
    const data = this.gathered.length === 1 ? this.gathered[0]! : Buffer.concat(this.gathered, this.gatheredBytes);
    const callbacks = this.gatheredCallbacks;
    this.gathered = [];
    this.gatheredBytes = 0;
    this.gatheredCallbacks = [];
    this.socket.write(
      data,
      callbacks.length === 0
        ? undefined
        : () => {
            for (const f of callbacks) f();
          },
    );
  }

  private overLimit(): boolean {
    return this.queue.length >= this.limits.maxInFlightRequests || this.inFlightBytes >= this.limits.maxInFlightBytes || this.socket.writableNeedDrain || this.mutedUntil !== 0;
  }

  /** Stops reading, lets in-flight requests finish and be answered, then ends the socket. */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    // Bytes still arriving are dropped (onRead ignores them while closing); reading goes on so that
    // the peer's end is seen, also on a connection paused by its bounds or muted by a quota (a
    // socket reading with onread reads nothing while paused, so it would never see the end).
    this.unmuteTimer?.cancel();
    if (this.socket.isPaused()) this.socket.resume();
    if (this.queue.length === 0) {
      this.writeGathered();
      this.socket.end();
    }
    // A paused socket does not keep the process alive: the grace timer must, until the end.
    const timer = this.clock.setTimeout(() => this.socket.destroy(), timeoutMs, { keepAlive: true });
    await this.closed;
    timer.cancel();
  }
}
