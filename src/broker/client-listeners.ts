/**
 * The broker's client listeners: one server per listener of `listeners` that is not a controller
 * listener, bound before the broker registers (its registration advertises their ports) and
 * serving requests only once the broker is ready (registered, caught up with the metadata, its
 * partitions open, unfenced) — as Kafka binds its sockets early and enables request processing
 * last. Requests that arrive before wait, in their order.
 */
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import type { FrameHandler } from '../network/connection.js';
import type { FramePool } from '../network/frame-pool.js';
import type { Network } from '../network/network.js';
import { type AdmissionPolicy, NetworkServer, type ServerOptions } from '../network/server.js';
import type { BrokerConfig } from './config/broker-config.js';
import { maxConnectionsOf } from './security/connection-admission.js';
import type { ListenerSpec } from './config/listeners.js';

export interface BoundListener {
  readonly spec: ListenerSpec;
  readonly server: NetworkServer;
}

/** Holds requests until `open()` (or fails them, closing their connections, after `fail()`). */
export class RequestGate {
  private state: 'waiting' | 'open' | 'failed' = 'waiting';
  private readonly ready: Promise<void>;
  private resolve!: () => void;
  private reject!: (err: unknown) => void;

  constructor() {
    this.ready = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.ready.catch(() => undefined);
  }

  open(): void {
    this.state = 'open';
    this.resolve();
  }

  fail(err: unknown): void {
    this.state = 'failed';
    this.reject(err);
  }

  /** A handler that runs `make()`'s handler once the gate opens (made then, once). */
  wrap(make: () => FrameHandler): FrameHandler {
    let handler: FrameHandler | undefined;
    const get = () => (handler ??= make());
    return (frame, conn) => (this.state === 'open' ? get()(frame, conn) : this.ready.then(() => get()(frame, conn)));
  }
}

/** What a listener's security adds: TLS, the SASL handshake in front of the handler, its limits (security/broker-security.ts). */
export interface ListenerSecurity {
  handler: FrameHandler;
  tls?: ServerOptions['tls'];
  authentication?: ServerOptions['authentication'];
  onConnection?: ServerOptions['onConnection'];
}

export async function bindClientListeners(
  specs: readonly ListenerSpec[],
  config: BrokerConfig,
  world: { network: Network; clock: Clock },
  log: Logger,
  handlerFor: (listenerName: string) => FrameHandler,
  /** Each listener's security, and `frames`: the pool request frames are assembled in (shared by the listeners), given back by the dispatcher. */
  security?: { admission: AdmissionPolicy; setup(spec: ListenerSpec, handler: FrameHandler): Promise<ListenerSecurity>; frames?: FramePool },
): Promise<BoundListener[]> {
  const bound: BoundListener[] = [];
  try {
    for (const spec of specs) {
      const setup: ListenerSecurity = security ? await security.setup(spec, handlerFor(spec.name)) : { handler: handlerFor(spec.name) };
      const server = await NetworkServer.listen(
        {
          host: spec.host,
          port: spec.port,
          maxFrameBytes: config.num('socket.request.max.bytes'),
          maxInFlightRequests: config.num('samsa.max.in.flight.requests.per.connection'),
          maxInFlightBytes: config.num('samsa.max.in.flight.bytes.per.connection'),
          idleTimeoutMs: config.num('connections.max.idle.ms'),
          maxConnections: () => maxConnectionsOf(config, spec.name),
          network: world.network,
          clock: world.clock,
          listenerName: spec.name,
          securityProtocol: spec.securityProtocol,
          ...(security ? { admission: security.admission } : {}),
          ...(setup.tls ? { tls: setup.tls } : {}),
          ...(setup.authentication ? { authentication: setup.authentication } : {}),
          ...(setup.onConnection ? { onConnection: setup.onConnection } : {}),
          ...(security?.frames ? { frames: security.frames } : {}),
        },
        setup.handler,
        log,
      );
      bound.push({ spec, server });
    }
  } catch (err) {
    await Promise.all(bound.map((b) => b.server.close(0)));
    throw err;
  }
  return bound;
}
