/**
 * What a request handler is: the API it serves, the versions it serves (the ones ApiVersions
 * advertises), and a function from the decoded request to the response. Handlers are thin:
 * decode is done for them, they route to the metadata, the logs or a coordinator and answer.
 */
import type { Logger } from 'pino';
import type { Connection } from '../network/connection.js';
import type { ApiDescriptor } from '../protocol/api-descriptor.js';
import type { BrokerContext } from './broker-context.js';

export interface RequestContext {
  readonly broker: BrokerContext;
  readonly apiVersion: number;
  readonly clientId: string | null;
  readonly correlationId: number;
  /** The request frame's size in bytes (what produce quotas count). */
  readonly requestBytes: number;
  /** The connection: its listener, client address and principal (`connection.channel`). */
  readonly connection: Connection;
  readonly log: Logger;
  /** Runs `fn` once the response has been written to the socket (or never will be): buffers it refers to may be reused then. */
  afterResponseWritten(fn: () => void): void;
}

/** A response, none at all (a produce with acks=0), or a request to close the connection. */
export type HandlerResult<Res> = Res | null | 'close';

export interface Handler<Req, Res> {
  readonly api: ApiDescriptor<Req, never, unknown, Res>;
  /** The versions served and advertised; within the codec's range. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * Handles one request. Side effects that must keep the client's request order (appends, group
   * joins) have to start before the first await: requests on a connection are dispatched in order.
   */
  handle(req: Req, ctx: RequestContext): HandlerResult<Res> | Promise<HandlerResult<Res>>;
}

// Request and response types vary per API; the dispatcher only passes them through.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHandler = Handler<any, any>;

/** Declares a handler with its types inferred from the API descriptor. */
export function defineHandler<Req, ReqIn, Res, ResIn>(
  api: ApiDescriptor<Req, ReqIn, Res, ResIn>,
  versions: { min: number; max: number },
  handle: (req: Req, ctx: RequestContext) => HandlerResult<ResIn> | Promise<HandlerResult<ResIn>>,
): Handler<Req, ResIn> {
  if (versions.min < api.minVersion || versions.max > api.maxVersion) {
    throw new Error(`${api.name} handler serves ${versions.min}-${versions.max} beyond the codec's ${api.minVersion}-${api.maxVersion}`);
  }
  return { api: api as unknown as Handler<Req, ResIn>['api'], minVersion: versions.min, maxVersion: versions.max, handle };
}

/**
 * Where the client of a request reaches this broker: the address advertised for the listener its
 * connection came in on (the first listener's for a connection that has none, as in unit tests).
 */
export function advertisedFor(ctx: RequestContext): { host: string; port: number } {
  const listener = ctx.connection.channel?.listenerName;
  return listener === undefined ? ctx.broker.advertised : ctx.broker.advertisedFor(listener);
}
