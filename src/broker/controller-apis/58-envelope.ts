/**
 * Envelope (key 58), version 0, on the controller listener: an admin request a broker forwards
 * (KIP-590). The inner request frame is decoded and handled by this listener's handler of its API
 * (CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs, IncrementalAlterConfigs,
 * CreateAcls, DeleteAcls, AlterClientQuotas, AlterUserScramCredentials, DescribeQuorum,
 * UnregisterBroker, ...), and its response frame returned, tagged with the committed
 * metadata offset it reflects (cluster/envelope.ts). NOT_CONTROLLER when this controller is not
 * active (the broker tries the active one), INVALID_REQUEST for a frame that does not decode or an
 * API that cannot be forwarded.
 *
 * As Kafka's controller does, the Envelope itself needs CLUSTER_ACTION on the cluster for the
 * forwarding broker's principal (controller-authorization.ts: CLUSTER_AUTHORIZATION_FAILED), and
 * the inner request is authorized here as the client's principal (DefaultPrincipalData,
 * PRINCIPAL_DESERIALIZATION_FAILURE when it does not decode) from the client's address (4 or 16
 * bytes, else INVALID_REQUEST): its handler checks it as it would a request on this listener. The
 * forwarding broker has checked it too (broker/security/forward-checked.ts).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { readRequestFrame } from '../../protocol/frames.js';
import { EnvelopeApi } from '../../protocol/messages/index.js';
import { DecodeError } from '../../protocol/samsa-error.js';
import { hostOfAddressBytes, metadataOffsetTag, principalOf, responseData } from '../cluster/envelope.js';
import { defineControllerHandler } from './controller-context.js';

export const envelopeHandler = defineControllerHandler(EnvelopeApi, { min: 0, max: 0 }, async (req, ctx) => {
  const node = ctx.node;
  if (!node.controller.isActive) return { errorCode: ErrorCode.NOT_CONTROLLER, responseData: null };
  let frame;
  let body: unknown;
  try {
    frame = readRequestFrame(req.requestData);
    const handler = node.forwardable.get(frame.apiKey);
    if (!handler || !frame.header || frame.apiVersion < handler.minVersion || frame.apiVersion > handler.maxVersion) {
      return { errorCode: ErrorCode.INVALID_REQUEST, responseData: null };
    }
    body = handler.api.decodeRequest(frame.body, frame.apiVersion);
    const principal = principalOf(req.requestPrincipal);
    if (principal === undefined) return { errorCode: ErrorCode.PRINCIPAL_DESERIALIZATION_FAILURE, responseData: null };
    const clientHost = hostOfAddressBytes(req.clientHostAddress);
    if (clientHost === undefined) return { errorCode: ErrorCode.INVALID_REQUEST, responseData: null };
    const log = ctx.log.child({ principal, clientHost });
    const inner = await handler.handle(body, { node, apiVersion: frame.apiVersion, clientId: frame.header.clientId, correlationId: frame.correlationId, log, identity: { principal, clientHost } });
    if (inner === null || inner === 'close') return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, responseData: null };
    return {
      errorCode: ErrorCode.NONE,
      responseData: responseData(handler.api, frame.apiVersion, frame.correlationId, inner),
      unknownTaggedFields: [metadataOffsetTag(node.committedOffset())],
    };
  } catch (err) {
    if (err instanceof DecodeError) return { errorCode: ErrorCode.INVALID_REQUEST, responseData: null };
    throw err;
  }
});
