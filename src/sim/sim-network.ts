/**
 * The simulated network between Raft nodes. Every message is encoded with the generated codecs
 * and decoded at the other end (a deep copy, and a check that the core only sends what the wire
 * can carry), then delayed by a random time, so messages overtake each other. Faults: a message
 * may be dropped or duplicated, links may be cut one way or both (partitions), and a node that is
 * down refuses connections. A request whose answer never comes is the sender's to time out.
 */
import {
  type InboundRequest,
  type InboundResponse,
  type OutboundRequest,
  type OutboundResponse,
  type RaftApi,
  type RaftTransport,
  decodeRaftRequest,
  decodeRaftResponse,
  encodeRaftRequest,
  encodeRaftResponse,
} from '../controller/raft/raft-rpc.js';
import type { SimWorld } from './sim-world.js';

export interface NetworkConditions {
  /** Probability that one message is lost. */
  dropRate: number;
  /** Probability that a request is delivered twice. */
  duplicateRate: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export const CALM_NETWORK: NetworkConditions = { dropRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 5 };

type Handler = (req: InboundRequest) => Promise<OutboundResponse>;

interface Endpoint {
  readonly incarnation: number;
  readonly handler: Handler;
}

/** Sees every answered exchange (the invariant checker watches votes here). */
export type ExchangeObserver = (from: number, to: number, req: InboundRequest, res: InboundResponse) => void;

export class ConnectionRefusedError extends Error {
  readonly code = 'ECONNREFUSED';
}

/** One instance for every refusal: building an Error (its stack) per message is most of a refusal's cost. */
const REFUSED = new ConnectionRefusedError('the node is down or closed the connection');

export class SimNetwork {
  private readonly endpoints = new Map<number, Endpoint>();
  private readonly cut = new Set<string>();
  conditions: NetworkConditions = { ...CALM_NETWORK };
  observer: ExchangeObserver | undefined;
  messages = 0;

  constructor(private readonly world: SimWorld) {}

  /** The node's current incarnation answers requests with `handler`. */
  listen(nodeId: number, incarnation: number, handler: Handler): void {
    this.endpoints.set(nodeId, { incarnation, handler });
  }

  /** The node is down: requests to it are refused, answers to its old requests are lost. */
  close(nodeId: number): void {
    this.endpoints.delete(nodeId);
  }

  private alive(nodeId: number, incarnation: number): boolean {
    return this.endpoints.get(nodeId)?.incarnation === incarnation;
  }

  /** Cuts the link from `a` to `b` (one way). */
  cutLink(a: number, b: number): void {
    this.cut.add(`${a}>${b}`);
  }

  /** Splits the nodes into groups that cannot reach each other. */
  partition(groups: readonly (readonly number[])[]): void {
    for (const g of groups) for (const h of groups) if (g !== h) for (const a of g) for (const b of h) this.cutLink(a, b);
  }

  healLinks(): void {
    this.cut.clear();
  }

  private blocked(a: number, b: number): boolean {
    return this.cut.has(`${a}>${b}`);
  }

  private delay(): number {
    const c = this.conditions;
    return c.minDelayMs + this.world.random.next() * (c.maxDelayMs - c.minDelayMs);
  }

  private lost(): boolean {
    return this.world.random.next() < this.conditions.dropRate;
  }

  /** The transport of one incarnation of `from`: what its Raft client sends through. */
  transport(from: number, incarnation: number): RaftTransport {
    return { send: (to, req) => this.send(from, incarnation, to, req) };
  }

  private send(from: number, incarnation: number, to: number, req: OutboundRequest): Promise<InboundResponse> {
    const bytes = encodeRaftRequest(req);
    return new Promise((resolve, reject) => {
      const copies = this.world.random.next() < this.conditions.duplicateRate ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        if (this.blocked(from, to) || this.lost()) continue;
        this.messages++;
        this.world.schedule(this.delay(), () => this.deliver({ from, incarnation, to, api: req.api, bytes, resolve, reject }));
      }
    });
  }

  private deliver(m: { from: number; incarnation: number; to: number; api: RaftApi; bytes: Buffer; resolve: (r: InboundResponse) => void; reject: (e: Error) => void }): void {
    if (this.blocked(m.from, m.to)) return;
    const ep = this.endpoints.get(m.to);
    if (!ep) {
      this.world.schedule(this.delay(), () => {
        if (this.alive(m.from, m.incarnation)) m.reject(REFUSED);
      });
      return;
    }
    const req = decodeRaftRequest(m.api, m.bytes);
    ep.handler(req).then(
      (res) => {
        if (!this.alive(m.to, ep.incarnation)) return;
        const resBytes = encodeRaftResponse(res);
        const decoded = decodeRaftResponse(m.api, resBytes);
        this.observer?.(m.from, m.to, req, decoded);
        if (this.blocked(m.to, m.from) || this.lost()) return;
        this.messages++;
        this.world.schedule(this.delay(), () => {
          if (this.alive(m.from, m.incarnation) && !this.blocked(m.to, m.from)) m.resolve(decodeRaftResponse(m.api, resBytes));
        });
      },
      () => {
        // The handler failed (its node stopped): the connection closes.
        this.world.schedule(this.delay(), () => {
          if (this.alive(m.from, m.incarnation)) m.reject(REFUSED);
        });
      },
    );
  }
}
