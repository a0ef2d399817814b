/**
 * The simulated network between the brokers, the controller and the clients of the partition
 * simulation (SimNetwork is the Raft quorum's). A request is a Kafka API request: encoded with the
 * generated codecs at the sender and decoded at the receiver, and its answer likewise, so what
 * crosses is what the wire could carry (and a deep copy). Every message is delayed by a random
 * time (they overtake each other). A message may be lost, and is lost when its link is cut (one
 * way or both: partitions); since TCP loses nothing silently, a loss breaks the connection: the
 * request fails on the sender's clock a while later (CONNECTION_LOSS_DETECTION_MS, a connect or
 * keepalive timeout), or at its own timeout if that comes first. A node that is down refuses.
 * Modelled: connections themselves (every request stands alone; the order of requests on one
 * connection is not kept).
 */
import type { Clock } from '../common/clock.js';
import type { ApiDescriptor } from '../protocol/api-descriptor.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import type { NetworkConditions } from './sim-network.js';
import { CALM_NETWORK } from './sim-network.js';
import type { SimWorld } from './sim-world.js';

/** A node's server: answers one request (its API key, version and bytes) with the response's bytes. */
export type RpcServer = (apiKey: number, version: number, request: Buffer) => Promise<Buffer>;

/** What a node sends through (NodeConnections' and ControllerChannel's `send`). */
export interface RpcConnections {
  send<Req, ReqIn, Res, ResIn>(nodeId: number, api: ApiDescriptor<Req, ReqIn, Res, ResIn>, body: ReqIn, opts: { version: number; timeoutMs?: number }): Promise<Res>;
}

export class SimRpcError extends Error {
  constructor(
    readonly code: 'ECONNREFUSED' | 'ETIMEDOUT',
    message: string,
  ) {
    super(message);
  }
}

/** How long a sender takes to notice that its connection broke (a lost message, a cut link). */
const CONNECTION_LOSS_DETECTION_MS = 1000;

interface Endpoint {
  readonly incarnation: number;
  readonly server: RpcServer;
}

/** Encodes a request or response body with a generated codec. */
export function encodeWith(encode: (w: Writer, version: number, v: never) => void, version: number, body: unknown): Buffer {
  const w = new Writer(256);
  encode(w, version, body as never);
  return w.toBuffer();
}

export function decodeWith<T>(decode: (r: Reader, version: number) => T, version: number, bytes: Buffer): T {
  return decode(new Reader(bytes), version);
}

export class SimRpcNetwork {
  private readonly endpoints = new Map<number, Endpoint>();
  private readonly cut = new Set<string>();
  conditions: NetworkConditions = { ...CALM_NETWORK };
  messages = 0;

  constructor(private readonly world: SimWorld) {}

  listen(nodeId: number, incarnation: number, server: RpcServer): void {
    this.endpoints.set(nodeId, { incarnation, server });
  }

  close(nodeId: number): void {
    this.endpoints.delete(nodeId);
  }

  cutLink(a: number, b: number): void {
    this.cut.add(`${a}>${b}`);
  }

  /** Cuts both ways between every member of `a` and every member of `b`. */
  isolate(a: readonly number[], b: readonly number[]): void {
    for (const x of a) {
      for (const y of b) {
        this.cutLink(x, y);
        this.cutLink(y, x);
      }
    }
  }

  healLinks(): void {
    this.cut.clear();
  }

  blocked(a: number, b: number): boolean {
    return this.cut.has(`${a}>${b}`);
  }

  private delay(): number {
    const c = this.conditions;
    return c.minDelayMs + this.world.random.next() * (c.maxDelayMs - c.minDelayMs);
  }

  private lost(): boolean {
    return this.world.random.next() < this.conditions.dropRate;
  }

  /**
   * What node `from` (this incarnation, `alive` while it is up) sends through; timeouts run on its
   * `clock` (`defaultTimeoutMs` when the caller gives none).
   */
  connections(from: number, clock: Clock, alive: () => boolean, defaultTimeoutMs: number): RpcConnections {
    return {
      send: <Req, ReqIn, Res, ResIn>(to: number, api: ApiDescriptor<Req, ReqIn, Res, ResIn>, body: ReqIn, opts: { version: number; timeoutMs?: number }): Promise<Res> => {
        const bytes = encodeWith(api.encodeRequest as never, opts.version, body);
        return new Promise<Res>((resolve, reject) => {
          let done = false;
          const finish = (fn: () => void) => {
            if (done || !alive()) return;
            done = true;
            timer.cancel();
            fn();
          };
          const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs;
          const timer = clock.setTimeout(() => finish(() => reject(new SimRpcError('ETIMEDOUT', `${api.name} to node ${to} timed out after ${timeoutMs} ms`))), timeoutMs);
          const refused = () => this.world.schedule(this.delay(), () => finish(() => reject(new SimRpcError('ECONNREFUSED', `node ${to} refused the connection`))));
          // TCP loses nothing silently: a lost message or a cut link breaks the connection, which
          // the sender notices after a while (a connect or keepalive timeout), or at its request timeout.
          const broken = () => clock.setTimeout(() => finish(() => reject(new SimRpcError('ETIMEDOUT', `the connection to node ${to} broke`))), Math.min(timeoutMs, CONNECTION_LOSS_DETECTION_MS));
          if (this.blocked(from, to) || this.lost()) return void broken();
          this.messages++;
          this.world.schedule(this.delay(), () => {
            if (this.blocked(from, to)) return void broken();
            const ep = this.endpoints.get(to);
            if (!ep) return refused();
            ep.server(api.apiKey, opts.version, bytes).then(
              (resBytes) => {
                if (this.endpoints.get(to)?.incarnation !== ep.incarnation) return;
                if (this.blocked(to, from) || this.lost()) return void broken();
                this.messages++;
                this.world.schedule(this.delay(), () => {
                  if (this.blocked(to, from)) return void broken();
                  finish(() => {
                    try {
                      resolve(decodeWith(api.decodeResponse, opts.version, resBytes));
                    } catch (err) {
                      reject(err as Error);
                    }
                  });
                });
              },
              () => refused(),
            );
          });
        });
      },
    };
  }
}
