/**
 * The client's connection to one broker: src/network's RequestConnection (pipelined requests,
 * versions learnt with ApiVersions, timeouts, TLS) reporting its failures as the client's errors —
 * SamsaClientError with SAMSA_CONNECTION, SAMSA_REQUEST_TIMEOUT, SAMSA_DECODE, SAMSA_TLS or
 * SAMSA_UNSUPPORTED_API, and a KafkaProtocolError for an ApiVersions error code — and logging in
 * with `sasl` after ApiVersions (security.ts), again before the session the broker gave ends
 * (KIP-368).
 */
import type { RandomBytes } from '../common/random.js';
import { type ConnectionErrors, type ConnectionOptions as RequestConnectionOptions, RequestConnection } from '../network/request-connection.js';
import { KafkaProtocolError, SamsaClientError } from './errors.js';
import { type SaslOptions, saslLogin } from './security.js';

const CLIENT_ERRORS: ConnectionErrors = {
  create: (code, message, options) => new SamsaClientError(code, message, options),
  protocol: (errorCode) => new KafkaProtocolError(errorCode),
};

export type BrokerConnection = RequestConnection;

export interface ConnectionOptions extends Omit<RequestConnectionOptions, 'errors' | 'authenticate'> {
  /** SASL login after ApiVersions. */
  sasl?: SaslOptions | undefined;
  /** SCRAM nonces. */
  randomBytes?: RandomBytes;
}

export const BrokerConnection = {
  connect: (options: ConnectionOptions): Promise<RequestConnection> => {
    const { sasl, randomBytes, ...rest } = options;
    const nonce = () => (randomBytes ? randomBytes(24).toString('base64url') : `${Math.floor((options.random ?? (() => 0.5))() * 2 ** 52).toString(36)}`);
    return RequestConnection.connect({ ...rest, errors: CLIENT_ERRORS, ...(sasl ? { authenticate: (conn: RequestConnection) => saslLogin(conn, sasl, nonce) } : {}) });
  },
};
