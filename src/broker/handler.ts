/**
 * What a request handler is: the API it serves, the versions it serves (the ones ApiVersions
 * advertises), and a function from the decoded request to the response. Handlers are thin:
 * decode is done for them, they route to the metadata, the logs or a coordinator and answer.
 */
import type { Connection } from '../network/connection.js';
import type { BrokerContext } from './broker-context.js';

import type { ApiDescriptor } from '../protocol/api-descriptor.js';
import { type HandlerResult, type Handler as ApiHandler, type RequestInfo, defineApiHandler } from './api-handler.js';

export type { HandlerResult, RequestInfo } from './api-handler.js';

export interface RequestContext extends RequestInfo {
  readonly broker: BrokerContext;
  /** The listener the request came in on (Metadata answers with the brokers' endpoints of that name). */
  readonly listenerName: string;
  /** The request frame's size in bytes (what produce quotas count). */
  readonly requestBytes: number;
  /** The connection: its listener, client address and principal (`connection.channel`). */
  readonly connection: Connection;
  /** Runs `fn` once the response has been written to the socket (or never will be): buffers it refers to may be reused then. */
  afterResponseWritten(fn: () => void): void;
}

/** A handler of one API; `C` defaults to the client listener's context. */
export type Handler<Req, Res, C extends RequestInfo = RequestContext> = ApiHandler<Req, Res, C>;

// Request and response types vary per API; the dispatcher only passes them through.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHandler<C extends RequestInfo = RequestContext> = ApiHandler<any, any, C>;

/** Declares a handler with its types inferred from the API descriptor (the client listener's context unless given). */
export function defineHandler<Req, ReqIn, Res, ResIn, C extends RequestInfo = RequestContext>(
  api: ApiDescriptor<Req, ReqIn, Res, ResIn>,
  versions: { min: number; max: number },
  handle: (req: Req, ctx: C) => HandlerResult<ResIn> | Promise<HandlerResult<ResIn>>,
): Handler<Req, ResIn, C> {
  return defineApiHandler(api, versions, handle);
}

