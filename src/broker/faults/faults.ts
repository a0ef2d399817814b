/**
 * Fault injection for people testing Kafka applications against an in-process broker, in the
 * spirit of franz-go's kfake ControlKey: requests of an API (optionally only those touching a
 * topic, or one of its partitions) are answered with a chosen error code without being handled,
 * delayed, dropped (the connection closes without an answer), answered by a function of the
 * request, or only counted; once, N times, or until removed. Every request the broker decodes can
 * be observed.
 *
 *   const fault = broker.faults.inject({ apiKey: ApiKey.Produce, topic: 'orders', times: 2 }, { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
 *   ...; fault.hits === 2; fault.remove();
 *
 * The first active rule that matches a request acts on it (with the other rules giving the same
 * error for other topics, so that two topics' faults hold in one request). For partitioned APIs
 * with a topic filter, only the matching partitions get the error; the others are handled as usual. An
 * incremental Fetch (KIP-227: a session's epoch above 0) need not name the partitions it fetches,
 * so while a Fetch rule with a topic filter is active, such requests are refused with
 * INVALID_FETCH_SESSION_EPOCH (not counted as hits): the client (a consumer, or a follower's
 * replica fetcher) starts a new session with a full request, which names every partition.
 */
import type { Clock } from '../../common/clock.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { ApiKey, apiByKey } from '../../protocol/messages/index.js';
import type { AnyHandler, HandlerResult, RequestInfo } from '../api-handler.js';
import { errorResponse, hasErrorResponse, isPartitioned, mergeErrors, requestPartitions, splitRequest } from './error-responses.js';

export interface FaultMatch {
  apiKey: number;
  /** Only requests about this topic (partitioned APIs: Produce, Fetch, ListOffsets, OffsetCommit, OffsetForLeaderEpoch, DeleteRecords). */
  topic?: string;
  /** With `topic`: only this partition. */
  partition?: number;
  /** How many requests the rule acts on before it removes itself (default: until removed). */
  times?: number;
}

export type FaultAction =
  /** Answer with this error code, without handling (after `delayMs`, if given). */
  | { errorCode: number; delayMs?: number }
  /** Close the connection without an answer (after `delayMs`, if given). */
  | { drop: true; delayMs?: number }
  /** Answer with what this returns, without handling (the decoded request, at its version). */
  | { respond: (request: unknown, apiVersion: number) => object }
  /** Handle as usual after `delayMs`. */
  | { delayMs: number }
  /** Handle as usual; only count (and let `seen` show) the requests. */
  | Record<string, never>;

export interface InjectedFault {
  /** Requests the rule has acted on. */
  readonly hits: number;
  /** False once removed, or once it acted `times` times. */
  readonly active: boolean;
  remove(): void;
}

export interface SeenRequest {
  apiKey: number;
  apiName: string;
  apiVersion: number;
  clientId: string | null;
  correlationId: number;
  request: unknown;
}

interface Rule extends InjectedFault {
  match: FaultMatch;
  action: FaultAction;
  hits: number;
  active: boolean;
}

/** Requests kept in `seen` (the oldest are dropped). */
const SEEN_LIMIT = 10_000;

type Obj = Record<string, unknown>;

export class Faults {
  private rules: Rule[] = [];
  private readonly seenRequests: SeenRequest[] = [];
  private observing = false;

  constructor(
    private readonly clock: Clock,
    /** Topic ids to names (Fetch v13+ names topics by id). */
    private readonly topicName: (topicId: string) => string | undefined,
  ) {}

  /** Adds a rule; see the file comment. Throws for an error no answer can be built for (use `respond`). */
  inject(match: FaultMatch, action: FaultAction = {}): InjectedFault {
    if (!apiByKey(match.apiKey)) throw new RangeError(`unknown API key ${match.apiKey}`);
    if (match.topic !== undefined && !isPartitioned(match.apiKey)) throw new RangeError(`a topic filter needs a partitioned API (Produce, Fetch, ListOffsets, OffsetCommit, OffsetForLeaderEpoch, DeleteRecords), not ${apiByKey(match.apiKey)!.name}`);
    if ('errorCode' in action && !hasErrorResponse(match.apiKey)) throw new RangeError(`no error answer is built for ${apiByKey(match.apiKey)!.name}: give a respond function`);
    const rule: Rule = {
      match,
      action,
      hits: 0,
      active: true,
      remove: () => {
        rule.active = false;
        this.rules = this.rules.filter((r) => r !== rule);
      },
    };
    this.rules.push(rule);
    return rule;
  }

  /** Starts keeping every request decoded from now on (the last 10,000) in `seen`. */
  observe(): void {
    this.observing = true;
  }

  get seen(): readonly SeenRequest[] {
    return this.seenRequests;
  }

  /** Removes every rule, stops observing and forgets what was seen. */
  clear(): void {
    for (const r of [...this.rules]) r.remove();
    this.observing = false;
    this.seenRequests.length = 0;
  }

  /** Whether the dispatcher must go through `run` (false costs nothing on the hot path). */
  get active(): boolean {
    return this.rules.length > 0 || this.observing;
  }

  /** Runs `handler` for a request, or what a rule says instead. */
  run<C extends RequestInfo>(handler: AnyHandler<C>, body: unknown, ctx: C): HandlerResult<unknown> | Promise<HandlerResult<unknown>> {
    const apiKey = handler.api.apiKey;
    if (this.observing) {
      if (this.seenRequests.length >= SEEN_LIMIT) this.seenRequests.shift();
      this.seenRequests.push({ apiKey, apiName: handler.api.name, apiVersion: ctx.apiVersion, clientId: ctx.clientId, correlationId: ctx.correlationId, request: body });
    }
    const req = body as Obj;
    if (apiKey === ApiKey.Fetch && ctx.apiVersion >= 7 && (req['sessionEpoch'] as number) > 0 && this.rules.some((r) => r.match.apiKey === ApiKey.Fetch && r.match.topic !== undefined)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: req['sessionId'], responses: [] };
    }
    const rule = this.rules.find((r) => this.matches(r.match, apiKey, ctx.apiVersion, req));
    if (!rule) return handler.handle(body, ctx);
    const a = rule.action as { errorCode?: number; drop?: true; delayMs?: number; respond?: (request: unknown, version: number) => object };
    // Rules answering the same error for other topics of the same request act on it together.
    const together = a.errorCode !== undefined && rule.match.topic !== undefined ? this.rules.filter((r) => r === rule || (r.match.topic !== undefined && (r.action as { errorCode?: number; delayMs?: number }).errorCode === a.errorCode && !(r.action as { delayMs?: number }).delayMs && this.matches(r.match, apiKey, ctx.apiVersion, req))) : [rule];
    for (const r of together) {
      r.hits++;
      if (r.match.times !== undefined && r.hits >= r.match.times) r.remove();
    }
    const act = (): HandlerResult<unknown> | Promise<HandlerResult<unknown>> => {
      if (a.drop) return 'close';
      if (a.respond) return a.respond(body, ctx.apiVersion);
      if (a.errorCode !== undefined) return this.answerError(together.map((r) => r.match), a.errorCode, handler, req, ctx);
      return handler.handle(body, ctx);
    };
    if (!a.delayMs) return act();
    return new Promise((resolve) => this.clock.setTimeout(() => resolve(act()), a.delayMs!));
  }

  private hit(m: FaultMatch, version: number): (topic: string, partition: number) => boolean {
    return (topic, partition) => {
      const name = m.apiKey === ApiKey.Fetch && version >= 13 ? this.topicName(topic) : topic;
      return name === m.topic && (m.partition === undefined || m.partition === partition);
    };
  }

  private matches(m: FaultMatch, apiKey: number, version: number, req: Obj): boolean {
    if (m.apiKey !== apiKey) return false;
    if (m.topic === undefined) return true;
    const hit = this.hit(m, version);
    return requestPartitions(apiKey, version, req).some((p) => hit(p.topic, p.partition));
  }

  private async answerError<C extends RequestInfo>(ms: readonly FaultMatch[], errorCode: number, handler: AnyHandler<C>, req: Obj, ctx: C): Promise<HandlerResult<unknown>> {
    const apiKey = handler.api.apiKey;
    if (ms.some((m) => m.topic === undefined)) return noAnswerForAcksZero(apiKey, req) ? 'close' : errorResponse(apiKey, ctx.apiVersion, req, errorCode);
    const hits = ms.map((m) => this.hit(m, ctx.apiVersion));
    const { hitPartitions, rest } = splitRequest(apiKey, ctx.apiVersion, req, (topic, partition) => hits.some((h) => h(topic, partition)));
    const handled = rest ? await handler.handle(rest, ctx) : undefined;
    if (handled === 'close' || noAnswerForAcksZero(apiKey, req)) return 'close';
    return mergeErrors(apiKey, ctx.apiVersion, (handled ?? undefined) as Obj | undefined, hitPartitions, errorCode);
  }
}

/** A produce with acks=0 gets no answer; Kafka closes the connection on an error so the producer notices. */
function noAnswerForAcksZero(apiKey: number, req: Obj): boolean {
  return apiKey === ApiKey.Produce && req['acks'] === 0;
}
