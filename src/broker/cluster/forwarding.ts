/**
 * Forwarding admin requests to the active controller (Kafka's ForwardingManager): CreateTopics,
 * DeleteTopics, CreatePartitions, AlterConfigs, IncrementalAlterConfigs, ElectLeaders,
 * AlterPartitionReassignments, ListPartitionReassignments, CreateAcls, DeleteAcls,
 * AlterUserScramCredentials, AlterClientQuotas, DescribeQuorum and UnregisterBroker are changed or answered by the controller, whichever broker a client sends them
 * to. The request goes in an Envelope (envelope.ts); the controller's answer comes back to the
 * client once this broker's metadata has caught up to the offset the answer reflects (bounded by
 * the request's time), so that what a client just created is visible on the broker it asked.
 * When no controller answers in time, every resource of the request gets REQUEST_TIMED_OUT.
 * The Envelope carries the client's principal (`User:alice`, from its TLS or SASL login) and
 * address; the broker has authorized the request before forwarding it (security/forward-checked.ts),
 * and the controller authorizes it again as that principal (controller-apis/controller-authorization.ts).
 */
import type { Clock } from '../../common/clock.js';
import type { ApiDescriptor, AnyApiDescriptor } from '../../protocol/api-descriptor.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { EnvelopeApi } from '../../protocol/messages/index.js';
import { readResponseFrame } from '../../protocol/frames.js';
import { errorResponse } from '../faults/error-responses.js';
import type { Connection } from '../../network/connection.js';
import type { RequestInfo } from '../api-handler.js';
import type { BrokerMetadataPublisher } from './broker-metadata-publisher.js';
import { ControllerUnavailableError, type ControllerChannel } from './controller-channel.js';
import { addressBytes, metadataOffsetOf, principalData, requestData } from './envelope.js';

/** The client's principal (`User:alice`) as the Envelope's DefaultPrincipalData. */
function principalDataOf(principal: string | undefined): Buffer {
  const i = principal?.indexOf(':') ?? -1;
  return i > 0 ? principalData(principal!.slice(0, i), principal!.slice(i + 1)) : principalData();
}

export class Forwarder {
  constructor(
    private readonly channel: ControllerChannel,
    private readonly publisher: BrokerMetadataPublisher,
    private readonly clock: Clock,
    private readonly defaultTimeoutMs: number,
  ) {}

  /** Forwards a decoded request to the active controller; resolves with the answer for the client. */
  async forward<Req, Res>(ctx: RequestInfo & { readonly connection: Connection }, api: ApiDescriptor<Req, never, unknown, Res>, req: Req, timeoutMs = this.defaultTimeoutMs): Promise<Res> {
    const version = ctx.apiVersion;
    const deadline = this.clock.now() + timeoutMs;
    const any = api as unknown as AnyApiDescriptor;
    const failed = (code: number) => errorResponse(api.apiKey, version, req as Record<string, unknown>, code) as Res;
    let envelope;
    try {
      envelope = await this.channel.send(
        EnvelopeApi,
        { requestData: requestData(any, version, ctx.correlationId, ctx.clientId, req), requestPrincipal: principalDataOf(ctx.connection.channel?.principal), clientHostAddress: addressBytes(ctx.connection.remote) },
        { version: 0, timeoutMs },
      );
    } catch (err) {
      if (!(err instanceof ControllerUnavailableError) && (err as { code?: unknown }).code !== 'SAMSA_CONNECTION') throw err;
      ctx.log.warn({ api: api.name, err: (err as Error).message }, 'could not forward a request to the controller');
      return failed(ErrorCode.REQUEST_TIMED_OUT);
    }
    if (envelope.errorCode !== ErrorCode.NONE || !envelope.responseData) {
      // As Kafka's ForwardingManager: an Envelope error says this broker is misconfigured (its
      // principal lacks CLUSTER_ACTION on the controller, ...), which is not the client's to know.
      ctx.log.warn({ api: api.name, errorCode: envelope.errorCode }, 'the controller refused a forwarded request\'s Envelope');
      return failed(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    const answer = readResponseFrame(any, version, envelope.responseData).body as Res;
    const offset = metadataOffsetOf(envelope.unknownTaggedFields);
    if (offset !== undefined) await this.caughtUp(offset, deadline);
    return answer;
  }

  /** Waits (at most until `deadline`) for this broker's partitions to reflect the metadata at `offset`. */
  private async caughtUp(offset: number, deadline: number): Promise<void> {
    const wait = deadline - this.clock.now();
    if (wait <= 0) return;
    let timer: { cancel(): void } | undefined;
    await Promise.race([this.publisher.whenPublished(offset), new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, wait)))]);
    timer?.cancel();
  }
}
