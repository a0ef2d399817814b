/**
 * SaslHandshake (key 17), versions 0-1.
 *
 * On a SASL listener the handshake is run by the connection's authenticator
 * (security/sasl-authenticator.ts) before requests reach the dispatcher, and again for a
 * re-authentication (KIP-368). A SaslHandshake that reaches this handler is one Kafka refuses: on
 * a listener without SASL, or on an authenticated connection of a client that cannot
 * re-authenticate; it is answered ILLEGAL_SASL_STATE with no mechanisms, as Kafka does.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { SaslHandshakeApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const saslHandshakeHandler = defineHandler(SaslHandshakeApi, { min: 0, max: 1 }, () => ({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }));
