/**
 * Turns request frames into handler calls and handler results into response frames. The one
 * place that rejects what cannot be served: an unknown API key or an unparseable frame closes
 * the connection (as Kafka does); an ApiVersions request at a version we do not serve gets the
 * v0 answer UNSUPPORTED_VERSION with our ranges, so the client can pick a version; any other API
 * at an unsupported version closes the connection, since its response cannot be encoded.
 */
import type { Logger } from 'pino';
import type { Connection, FrameHandler, Reply } from '../network/connection.js';
import type { FramePool } from '../network/frame-pool.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { encodeResponseFrame, readRequestFrame, type RequestFrame } from '../protocol/frames.js';
import { ApiKey, ApiVersionsApi } from '../protocol/messages/index.js';
import { DecodeError } from '../protocol/samsa-error.js';
import type { BrokerContext } from './broker-context.js';
import type { Faults } from './faults/faults.js';
import type { AnyHandler, HandlerResult, RequestContext, RequestInfo } from './handler.js';
import { quotaUser } from './security/authorize.js';
import { clientThrottles, isQuotaExempt } from './security/throttle.js';

/** What the dispatcher builds a handler's context from. */
export interface RequestBasics extends RequestInfo {
  readonly connection: Connection;
  /** The request frame's size in bytes. */
  readonly requestBytes: number;
  afterResponseWritten(fn: () => void): void;
}

/**
 * The handlers a listener serves, their fault injection, and how their context is made.
 * `frames` is the pool the listener's connections take request frames from: a produce request's
 * frame goes back to it once the request is handled, since its appends are written by then and
 * nothing else keeps its bytes (other requests' decoded fields, such as a group member's metadata,
 * may outlive them; recorded requests of the fault injector too, so nothing is released while it
 * is active).
 */
export interface DispatchTarget<C extends RequestInfo> {
  readonly handlers: readonly AnyHandler<C>[];
  readonly faults: Faults;
  readonly frames?: FramePool;
  context(basics: RequestBasics): C;
  /** Runs a request's handler in its stead when given and it answers (quotas, on the client listeners). */
  intercept?(ctx: C, apiKey: number, run: () => HandlerResult<unknown> | Promise<HandlerResult<unknown>>, encode: (r: HandlerResult<unknown>) => Reply): Reply | Promise<Reply> | undefined;
}

/** The client listener's dispatcher: the broker's handlers, each given the broker and the listener's name. */
export function createDispatcher(broker: BrokerContext, handlers: readonly AnyHandler[], log: Logger, faults: Faults, listenerName = 'PLAINTEXT', frames?: FramePool): FrameHandler {
  return createListenerDispatcher<RequestContext>(
    {
      handlers,
      faults,
      ...(frames ? { frames } : {}),
      context: (b) => clientContext(b, broker, listenerName),
      intercept: (ctx, apiKey, run, encode) => (broker.security.quotas.active ? throttled(ctx, apiKey, run, encode) : undefined),
    },
    log,
  );
}

/**
 * The client listener's context, field by field: one object shape for every request (spreading
 * the basics into a new object took 2.2% of the broker thread's profile samples at 20,000
 * records/s of small produce requests).
 */
function clientContext(b: RequestBasics, broker: BrokerContext, listenerName: string): RequestContext {
  return { apiVersion: b.apiVersion, clientId: b.clientId, correlationId: b.correlationId, log: b.log, connection: b.connection, requestBytes: b.requestBytes, afterResponseWritten: b.afterResponseWritten, broker, listenerName };
}

export function createListenerDispatcher<C extends RequestInfo>(target: DispatchTarget<C>, log: Logger): FrameHandler {
  const { handlers, faults, frames } = target;
  const byKey = new Map(handlers.map((h) => [h.api.apiKey, h]));
  const supported = supportedVersions(handlers);

  const unsupportedApiVersions = (correlationId: number): Reply =>
    encodeResponseFrame(ApiVersionsApi, 0, correlationId, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: supported });

  return (frame: Buffer, conn: Connection): Reply | Promise<Reply> => {
    let req: RequestFrame;
    try {
      req = readRequestFrame(frame);
    } catch (err) {
      log.warn({ conn: conn.id, remote: conn.remote, err: (err as Error).message }, 'closing connection: unreadable request header');
      return 'close';
    }
    const handler = byKey.get(req.apiKey);
    if (!handler) {
      log.warn({ conn: conn.id, remote: conn.remote, apiKey: req.apiKey }, 'closing connection: unknown API key');
      return 'close';
    }
    if (req.apiVersion < handler.minVersion || req.apiVersion > handler.maxVersion || !req.header) {
      if (req.apiKey === ApiKey.ApiVersions) return unsupportedApiVersions(req.correlationId);
      log.warn({ conn: conn.id, api: handler.api.name, version: req.apiVersion }, 'closing connection: unsupported API version');
      return 'close';
    }
    let body: unknown;
    try {
      body = handler.api.decodeRequest(req.body, req.apiVersion);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      log.warn({ conn: conn.id, api: handler.api.name, version: req.apiVersion, err: err.message }, 'closing connection: malformed request');
      return 'close';
    }
    let afterWrite: (() => void)[] | undefined;
    const ctx = target.context({
      apiVersion: req.apiVersion,
      clientId: req.header.clientId,
      correlationId: req.correlationId,
      requestBytes: frame.length,
      connection: conn,
      log,
      afterResponseWritten: (fn) => (afterWrite ??= []).push(fn),
    });
    const encode = (result: HandlerResult<unknown>): Reply => {
      // Most requests register nothing: no callback is made for them.
      const fns = afterWrite;
      if (result === null || result === 'close') {
        if (fns) runAll(fns);
        return result;
      }
      const buffers = encodeResponseFrame(handler.api, req.apiVersion, req.correlationId, result);
      return fns ? { buffers, written: () => runAll(fns) } : buffers;
    };
    const run = () => (faults.active ? faults.run(handler, body, ctx) : handler.handle(body, ctx)) as HandlerResult<unknown> | Promise<HandlerResult<unknown>>;
    // Under quotas the handler runs timed and its response may be held back; its frame is left to the GC.
    const intercepted = target.intercept?.(ctx, req.apiKey, run, encode);
    if (intercepted !== undefined) return intercepted;
    const result = run();
    if (frames && req.apiKey === ApiKey.Produce && !faults.active) {
      const done = (r: HandlerResult<unknown>): Reply => {
        const reply = encode(r);
        frames.release(frame);
        return reply;
      };
      return result instanceof Promise ? result.then(done) : done(result);
    }
    return result instanceof Promise ? result.then(encode) : encode(result);
  };
}

/**
 * Runs a request under quotas: its handler time counts against `request_percentage` (the time
 * the broker thread spends on it: decoding is before, the handler's synchronous parts and encoding
 * here), and the response's throttle time (the largest of the quotas it exceeded) mutes the
 * connection for that long, or holds the response back for clients before KIP-219.
 */
function throttled(ctx: RequestContext, apiKey: number, run: () => HandlerResult<unknown> | Promise<HandlerResult<unknown>>, encode: (r: HandlerResult<unknown>) => Reply): Reply | Promise<Reply> {
  const clock = ctx.broker.clock;
  const now = () => clock.highResNow?.() ?? clock.now();
  let busyMs = 0;
  const timed = <T>(fn: () => T): T => {
    const t0 = now();
    try {
      return fn();
    } finally {
      busyMs += now() - t0;
    }
  };
  const finish = (result: HandlerResult<unknown>): Reply | Promise<Reply> => {
    if (result === null || result === 'close' || typeof result !== 'object') return encode(result);
    const response = result as { throttleTimeMs?: number };
    let throttleMs = response.throttleTimeMs ?? 0;
    if (!isQuotaExempt(apiKey)) {
      // Kafka records request time as a percentage of one thread: ms × 100 / 1000 per second.
      const requestThrottle = ctx.broker.security.quotas.record('request_percentage', quotaUser(ctx), ctx.clientId ?? '', busyMs / 10, clock.now());
      if (requestThrottle > throttleMs) response.throttleTimeMs = throttleMs = requestThrottle;
    }
    const reply = encode(result);
    if (throttleMs <= 0) return reply;
    if (clientThrottles(apiKey, ctx.apiVersion)) {
      ctx.connection.mute(throttleMs);
      return reply;
    }
    return new Promise((resolve) => clock.setTimeout(() => void Promise.resolve(reply).then(resolve), throttleMs));
  };
  const result = timed(run);
  return result instanceof Promise ? result.then(finish) : finish(result);
}

function runAll(fns: readonly (() => void)[]): void {
  for (const fn of fns) fn();
}

/**
 * Kafka 4 lists Produce from version 0 in ApiVersions although it serves 3 and up (KAFKA-18659:
 * librdkafka's compressed produce fails unless Produce v0 is listed); a request at v0-2 still
 * closes the connection, as any version outside a handler's range.
 */
const PRODUCE_ADVERTISED_MIN_VERSION = 0;

/** The versions each handler serves, as ApiVersions reports them. */
export function supportedVersions(handlers: readonly AnyHandler<never>[]): { apiKey: number; minVersion: number; maxVersion: number }[] {
  const advertisedMin = (h: AnyHandler<never>) => (h.api.apiKey === ApiKey.Produce ? PRODUCE_ADVERTISED_MIN_VERSION : h.minVersion);
  return handlers.map((h) => ({ apiKey: h.api.apiKey, minVersion: advertisedMin(h), maxVersion: h.maxVersion })).sort((a, b) => a.apiKey - b.apiKey);
}
