/**
 * SaslAuthenticate (key 36), versions 0-2.
 *
 * SASL tokens are exchanged by the connection's authenticator (security/sasl-authenticator.ts) on
 * SASL listeners, after SaslHandshake v1; v1+ answers carry the session lifetime
 * (`connections.max.reauth.ms`, KIP-368). One that reaches this handler came without a handshake
 * (on a listener without SASL, or after the login) and is answered ILLEGAL_SASL_STATE, as Kafka does.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { SaslAuthenticateApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const saslAuthenticateHandler = defineHandler(SaslAuthenticateApi, { min: 0, max: 2 }, () => ({
  errorCode: ErrorCode.ILLEGAL_SASL_STATE,
  errorMessage: 'SaslAuthenticate request received after successful authentication',
  authBytes: Buffer.alloc(0),
  sessionLifetimeMs: 0n,
}));
