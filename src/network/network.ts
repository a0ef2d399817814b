/**
 * The network as an injected dependency (design principle 4): the broker's listener and every
 * outbound connection (the client's, later a broker's to another) are made through a Network, so
 * that a test or the simulator can substitute its own. `nodeNetwork` is the real one, on node:net.
 */
import { type OnReadOpts, type Server, Socket, connect, createServer } from 'node:net';

export interface ConnectOptions {
  host: string;
  port: number;
  /** Read into caller-provided buffers (node:net's `onread`). */
  onread?: OnReadOpts;
}

/** The part of a listening server Samsa uses. */
export type NetServer = Pick<Server, 'listen' | 'close' | 'address' | 'on' | 'once' | 'off'>;

/**
 * Reads of an accepted connection into buffers its owner picks (node:net's `onread`) rather than
 * as 'data' events with a fresh buffer each. The owner sets `onRead` (called synchronously after
 * each read with the byte count and the buffer read into) and may set `target` (where the next
 * read lands; by default the server's `readBuffer`) as `onConnection` runs, before any read.
 */
export interface UserReads {
  target: () => Uint8Array;
  onRead: (n: number, buf: Uint8Array) => void;
}

export interface ServerOptions {
  /**
   * Accept connections with UserReads where the network can (`onConnection` then gets them),
   * reading into `readBuffer` unless told otherwise. One buffer may serve every connection: each
   * read is handed over before the next one starts.
   */
  userReads?: { readBuffer: Uint8Array };
}

export interface Network {
  /**
   * A server that hands each accepted connection (TCP_NODELAY set) to `onConnection`; not yet
   * listening. With `userReads`, a connection whose reads the owner directs comes with its UserReads.
   */
  createServer(onConnection: (socket: Socket, reads?: UserReads) => void, options?: ServerOptions): NetServer;
  /** Starts an outbound connection; the socket emits 'connect' or 'error'. */
  connect(options: ConnectOptions): Socket;
}

export const nodeNetwork: Network = {
  createServer: (onConnection, options) => {
    const userReads = options?.userReads;
    if (!userReads) return createServer({ noDelay: true }, (socket) => onConnection(socket));
    return createServer({ noDelay: true, pauseOnConnect: true }, (accepted) => {
      const adopted = withUserReads(accepted, userReads.readBuffer);
      if (adopted) onConnection(adopted.socket, adopted.reads);
      else {
        accepted.resume();
        onConnection(accepted);
      }
    });
  },
  connect: (options) => connect(options),
};

/**
 * The accepted socket's connection as a socket reading with `onread`. node:net offers `onread`
 * only to sockets it creates from options, not to those a server accepts; so the accepted
 * socket, still paused (nothing read yet), gives its handle up to a new Socket made with
 * `onread`, and is destroyed empty (which keeps the server's connection count right). The
 * `handle` option and `_handle` field are node:net internals: where they are missing, nothing
 * is changed and the connection reads with 'data' events.
 */
function withUserReads(accepted: Socket, readBuffer: Uint8Array): { socket: Socket; reads: UserReads } | undefined {
  const holder = accepted as unknown as { _handle?: { useUserBuffer?: unknown; readStart?: unknown } | null };
  const handle = holder._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function' || typeof handle.readStart !== 'function') return undefined;
  const reads: UserReads = { target: () => readBuffer, onRead: () => undefined };
  holder._handle = null;
  accepted.destroy();
  const socket = new Socket({
    handle,
    readable: true,
    writable: true,
    onread: {
      buffer: () => reads.target(),
      callback: (n: number, buf: Uint8Array) => {
        reads.onRead(n, buf);
        return true;
      },
    },
  } as ConstructorParameters<typeof Socket>[0]);
  socket.setNoDelay(true);
  return { socket, reads };
}

/** node:net's own-property symbols of a socket reading with `onread`, found by their descriptions. */
function onreadSymbols(socket: Socket): { buffer: symbol; gen: symbol; cb: symbol } | undefined {
  const find = (name: string) => Object.getOwnPropertySymbols(socket).find((s) => s.description === name);
  const buffer = find('kBuffer');
  const gen = find('kBufferGen');
  const cb = find('kBufferCb');
  return buffer && gen && cb ? { buffer, gen, cb } : undefined;
}

/**
 * A connected TLS socket's reads as UserReads: each decrypted chunk (at most a TLS record, 16 KiB)
 * lands in the buffer `reads.target()` gives, rather than in a fresh buffer emitted as 'data'.
 * node:tls honours `onread` only for sockets it connects itself (`tls.connect` without `socket`;
 * lib/_tls_wrap.js passes `onread: !socket ? tlsOptions.onread : null`), not for one made over an
 * accepted or already connected socket, though its handle (TLSWrap) serves caller-provided
 * buffers all the same. So this does to the socket what node:net's constructor does for
 * `onread`: the handle's `useUserBuffer`, and the socket's kBuffer, kBufferGen and kBufferCb
 * fields that its read callback consults. Those are node:net internals: where they are missing,
 * nothing is changed and undefined is returned (the socket keeps emitting 'data').
 *
 * Call it once the handshake is done (or at least before any 'data' listener is added). Returns
 * the bytes the socket had already read and buffered; the caller handles them before the next read.
 */
export function adoptTlsReads(socket: Socket, reads: UserReads): Buffer[] | undefined {
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: unknown } | null })._handle;
  const symbols = onreadSymbols(socket);
  const fields = socket as unknown as Record<symbol, unknown>;
  if (!handle || typeof handle.useUserBuffer !== 'function' || !symbols || fields[symbols.buffer] !== null) return undefined;
  const buffered: Buffer[] = [];
  for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) buffered.push(chunk);
  const first = reads.target();
  (handle.useUserBuffer as (buf: Uint8Array) => void).call(handle, first);
  fields[symbols.buffer] = first;
  fields[symbols.gen] = () => reads.target();
  fields[symbols.cb] = (n: number, buf: Uint8Array) => {
    reads.onRead(n, buf);
    return true;
  };
  return buffered;
}
