/**
 * A broker's channel to the active controller (Kafka's NodeToControllerChannelManager): requests
 * go to whichever controller the metadata quorum says leads, through the controller listener, or
 * in-process when that controller runs on this node (a combined node; always so for a standalone
 * one). The in-process path runs the controller listener's own handler on the request and response
 * encoded and decoded at the request's version, so both paths answer alike.
 *
 * A request that finds no controller, a lost connection or a NOT_CONTROLLER answer is tried again
 * (backing off) until its timeout; then it fails with SAMSA_CONTROLLER_UNAVAILABLE.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import type { NodeConnections } from '../../network/node-connections.js';
import type { ApiDescriptor } from '../../protocol/api-descriptor.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { Reader } from '../../protocol/primitives/reader.js';
import { Writer } from '../../protocol/primitives/writer.js';
import { SamsaError } from '../../protocol/samsa-error.js';
import type { Handler } from '../api-handler.js';
import type { ControllerNode, ControllerRequestContext } from '../controller-apis/controller-context.js';

export class ControllerUnavailableError extends SamsaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SAMSA_CONTROLLER_UNAVAILABLE', message, options);
  }
}

export interface ControllerChannelOptions {
  readonly nodeId: number;
  /** The controller this node knows leads the quorum (-1: none yet). */
  activeController(): number;
  /** Resolves when a leader of the quorum becomes known (waits on events, not on the clock). */
  whenControllerKnown(): Promise<void>;
  /** The controller on this node, if any, with its listener's handlers by API key. */
  readonly local?: { readonly node: ControllerNode; readonly handlers: ReadonlyMap<number, Handler<unknown, unknown, ControllerRequestContext>> };
  /** Connections to the controllers' listeners (absent on a standalone node). */
  readonly connections?: Pick<NodeConnections, 'send'>;
  readonly clock: Clock;
  readonly retryBackoffMs: number;
  readonly logger: Logger;
}

export interface SendOptions<Res> {
  readonly version: number;
  readonly timeoutMs: number;
  /** Whether an answer says to try again elsewhere (default: a top-level NOT_CONTROLLER). */
  readonly retry?: (res: Res) => boolean;
}

const MAX_BACKOFF_MS = 1000;

const notController = (res: unknown): boolean => (res as { errorCode?: unknown } | null)?.errorCode === ErrorCode.NOT_CONTROLLER;

export class ControllerChannel {
  private closed = false;

  constructor(private readonly o: ControllerChannelOptions) {}

  async send<Req, ReqIn, Res, ResIn>(api: ApiDescriptor<Req, ReqIn, Res, ResIn>, body: ReqIn, opts: SendOptions<Res>): Promise<Res> {
    const deadline = this.o.clock.now() + opts.timeoutMs;
    const retry = opts.retry ?? notController;
    let backoff = this.o.retryBackoffMs;
    let last: unknown;
    for (;;) {
      if (this.closed) throw new ControllerUnavailableError('the node is shutting down');
      const id = this.o.activeController();
      if (id < 0) {
        await Promise.race([this.o.whenControllerKnown(), this.sleep(deadline - this.o.clock.now())]);
        if (this.o.clock.now() >= deadline && this.o.activeController() < 0) throw new ControllerUnavailableError(`${api.name} found no active controller within ${opts.timeoutMs} ms`);
        continue;
      }
      {
        try {
          const res = await this.sendTo(id, api, body, opts.version, Math.max(1, deadline - this.o.clock.now()));
          if (!retry(res)) return res;
          last = `controller ${id} answered that it is not the active controller`;
        } catch (err) {
          last = err;
        }
      }
      const now = this.o.clock.now();
      if (now >= deadline) throw new ControllerUnavailableError(`${api.name} found no active controller within ${opts.timeoutMs} ms (${describe(last)})`, { cause: last });
      await this.sleep(Math.min(backoff, deadline - now));
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.o.clock.setTimeout(resolve, Math.max(0, ms)));
  }

  private sendTo<Req, ReqIn, Res, ResIn>(id: number, api: ApiDescriptor<Req, ReqIn, Res, ResIn>, body: ReqIn, version: number, timeoutMs: number): Promise<Res> {
    const local = this.o.local;
    if (local && id === this.o.nodeId) return this.sendLocal(local, api, body, version);
    if (!this.o.connections) return Promise.reject(new ControllerUnavailableError(`controller ${id} cannot be reached from a standalone node`));
    return this.o.connections.send(id, api, body, { version, timeoutMs });
  }

  /** The controller listener's handler on this node, with the request and answer as the wire would carry them. */
  private async sendLocal<Req, ReqIn, Res, ResIn>(local: NonNullable<ControllerChannelOptions['local']>, api: ApiDescriptor<Req, ReqIn, Res, ResIn>, body: ReqIn, version: number): Promise<Res> {
    const handler = local.handlers.get(api.apiKey);
    if (!handler) throw new ControllerUnavailableError(`the controller does not serve ${api.name}`);
    const w = new Writer(128);
    api.encodeRequest(w, version, body);
    const req = api.decodeRequest(new Reader(w.toBuffer()), version);
    const answer = await handler.handle(req, { node: local.node, apiVersion: version, clientId: `broker-${this.o.nodeId}`, correlationId: 0, log: this.o.logger });
    if (answer === null || answer === 'close') throw new ControllerUnavailableError(`the controller closed the ${api.name} request`);
    const out = new Writer(128);
    api.encodeResponse(out, version, answer as ResIn);
    return api.decodeResponse(new Reader(out.toBuffer()), version);
  }

  close(): void {
    this.closed = true;
  }
}

function describe(x: unknown): string {
  return x instanceof Error ? x.message : String(x);
}
