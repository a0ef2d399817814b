/**
 * The client's connection to one broker: src/network's RequestConnection (pipelined requests,
 * versions learnt with ApiVersions, timeouts) reporting its failures as the client's errors —
 * SamsaClientError with SAMSA_CONNECTION, SAMSA_REQUEST_TIMEOUT, SAMSA_DECODE or
 * SAMSA_UNSUPPORTED_API, and a KafkaProtocolError for an ApiVersions error code.
 */
import { type ConnectionErrors, type ConnectionOptions, RequestConnection } from '../network/request-connection.js';
import { KafkaProtocolError, SamsaClientError } from './errors.js';

const CLIENT_ERRORS: ConnectionErrors = {
  create: (code, message, options) => new SamsaClientError(code, message, options),
  protocol: (errorCode) => new KafkaProtocolError(errorCode),
};

export type BrokerConnection = RequestConnection;

export const BrokerConnection = {
  connect: (options: Omit<ConnectionOptions, 'errors'>): Promise<RequestConnection> => RequestConnection.connect({ ...options, errors: CLIENT_ERRORS }),
};
