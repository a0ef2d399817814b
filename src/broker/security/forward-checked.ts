/**
 * Admin requests a broker forwards to the active controller (CreateTopics, DeleteTopics,
 * CreatePartitions, AlterConfigs, IncrementalAlterConfigs), authorized and held to their
 * `controller_mutation_rate` quota on the broker that received them: an entry the principal may
 * not touch, or beyond the quota, is answered here, the rest forwarded (with the client's
 * principal in the Envelope), and the answer put back together in the request's order. The
 * active controller authorizes what it is sent again, as the client's principal from the Envelope
 * (controller-apis/controller-authorization.ts), as Kafka 4's ControllerApis does; Kafka's broker
 * checks only AlterConfigs and IncrementalAlterConfigs itself before forwarding, Samsa's checks
 * every forwarded API (both follow the ACLs of the metadata log, so they decide alike once the
 * broker has caught up; docs/security.md).
 */
import type { ApiDescriptor } from '../../protocol/api-descriptor.js';
import type { RequestContext } from '../handler.js';

export interface ForwardChecked<Req, Res, Item, Result> {
  readonly items: readonly Item[];
  /** The result decided on this broker (refused by an ACL or a quota, or served here), or undefined to forward the item. */
  local(item: Item): Result | undefined | Promise<Result | undefined>;
  /** The request with only these items. */
  withItems(items: Item[]): Req;
  /** The controller's results, in the order of the items sent. */
  resultsOf(res: Res): readonly Result[];
  /** The response of these results (`res`: the controller's answer, when anything went to it). */
  respond(results: Result[], res: Res | undefined): Res;
  readonly timeoutMs?: number;
}

export async function forwardChecked<Req, Res, Item, Result>(ctx: RequestContext, api: ApiDescriptor<Req, never, unknown, Res>, o: ForwardChecked<Req, Res, Item, Result>): Promise<Res> {
  const decided: (Result | undefined)[] = [];
  for (const item of o.items) decided.push(await o.local(item));
  const sent = o.items.filter((_, i) => decided[i] === undefined);
  const res = sent.length > 0 || o.items.length === 0 ? await ctx.broker.forwarder.forward(ctx, api, o.withItems(sent), o.timeoutMs) : undefined;
  const answered = res === undefined ? [] : o.resultsOf(res);
  let next = 0;
  const results = decided.map((d) => d ?? answered[next++]!);
  return o.respond(results, res);
}
