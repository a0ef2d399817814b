/**
 * What a handler of one Kafka API is, whichever listener serves it: the API, the versions it serves
 * (the ones ApiVersions advertises), and a function from the decoded request to the response.
 * handler.ts gives these the broker's client-listener context by default; the controller listener
 * (controller-apis/) gives its own.
 */
import type { Logger } from 'pino';
import type { ApiDescriptor } from '../protocol/api-descriptor.js';

/** What every handler knows of its request, whichever listener it came in on. */
export interface RequestInfo {
  readonly apiVersion: number;
  readonly clientId: string | null;
  readonly correlationId: number;
  readonly log: Logger;
}

/** A response, none at all (a produce with acks=0), or a request to close the connection. */
export type HandlerResult<Res> = Res | null | 'close';

/**
 * A handler of one API. `C` is what it is given besides the request: the broker's RequestContext
 * for the client listener, the controller's context for the controller listener
 * (controller-apis/).
 */
export interface Handler<Req, Res, C extends RequestInfo> {
  readonly api: ApiDescriptor<Req, never, unknown, Res>;
  /** The versions served and advertised; within the codec's range. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * Handles one request. Side effects that must keep the client's request order (appends, group
   * joins) have to start before the first await: requests on a connection are dispatched in order.
   */
  handle(req: Req, ctx: C): HandlerResult<Res> | Promise<HandlerResult<Res>>;
}

// Request and response types vary per API; the dispatcher only passes them through.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHandler<C extends RequestInfo> = Handler<any, any, C>;

/** Declares a handler with its types inferred from the API descriptor. */
export function defineApiHandler<Req, ReqIn, Res, ResIn, C extends RequestInfo>(
  api: ApiDescriptor<Req, ReqIn, Res, ResIn>,
  versions: { min: number; max: number },
  handle: (req: Req, ctx: C) => HandlerResult<ResIn> | Promise<HandlerResult<ResIn>>,
): Handler<Req, ResIn, C> {
  if (versions.min < api.minVersion || versions.max > api.maxVersion) {
    throw new Error(`${api.name} handler serves ${versions.min}-${versions.max} beyond the codec's ${api.minVersion}-${api.maxVersion}`);
  }
  return { api: api as unknown as Handler<Req, ResIn, C>['api'], minVersion: versions.min, maxVersion: versions.max, handle };
}
