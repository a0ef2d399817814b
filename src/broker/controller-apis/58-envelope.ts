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
 * The client's principal (DefaultPrincipalData) reaches the inner handler's context and its log;
 * the forwarding broker has authorized the request with its ACLs and quotas
 * (broker/security/forward-checked.ts), whose ACLs are those of the metadata log. Not yet: the
 * controller authorizing it again (docs/security.md).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { readRequestFrame } from '../../protocol/frames.js';
import { EnvelopeApi } from '../../protocol/messages/index.js';
import { DecodeError } from '../../protocol/samsa-error.js';
import { metadataOffsetTag, principalOf, responseData } from '../cluster/envelope.js';
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
    const log = principal === undefined ? ctx.log : ctx.log.child({ principal });
    const inner = await handler.handle(body, { node, apiVersion: frame.apiVersion, clientId: frame.header.clientId, correlationId: frame.correlationId, log, ...(principal !== undefined ? { principal } : {}) });
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
