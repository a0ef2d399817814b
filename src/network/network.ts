/**
 * The network as an injected dependency (design principle 4): the broker's listener and every
 * outbound connection (the client's, later a broker's to another) are made through a Network, so
 * that a test or the simulator can substitute its own. `nodeNetwork` is the real one, on node:net.
 */
import { type OnReadOpts, type Server, type Socket, connect, createServer } from 'node:net';

export interface ConnectOptions {
  host: string;
  port: number;
  /** Read into caller-provided buffers (node:net's `onread`). */
  onread?: OnReadOpts;
}

/** The part of a listening server Samsa uses. */
export type NetServer = Pick<Server, 'listen' | 'close' | 'address' | 'on' | 'once' | 'off'>;

export interface Network {
  /** A server that hands each accepted connection (TCP_NODELAY set) to `onConnection`; not yet listening. */
  createServer(onConnection: (socket: Socket) => void): NetServer;
  /** Starts an outbound connection; the socket emits 'connect' or 'error'. */
  connect(options: ConnectOptions): Socket;
}

export const nodeNetwork: Network = {
  createServer: (onConnection) => createServer({ noDelay: true }, onConnection),
  connect: (options) => connect(options),
};
