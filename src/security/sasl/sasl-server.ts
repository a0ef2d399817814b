/**
 * A server side of one SASL mechanism for one connection (Java's javax.security.sasl.SaslServer
 * as Kafka uses it): `evaluate` takes the client's next token and gives the server's reply;
 * once `complete`, `authorizationId` names the client. A failed login throws SaslAuthenticationError,
 * whose message goes back to the client in SaslAuthenticate's error message.
 */
import { SamsaError } from '../../protocol/samsa-error.js';

export class SaslAuthenticationError extends SamsaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SAMSA_SASL_AUTHENTICATION', message, options);
  }
}

export interface SaslServer {
  readonly mechanism: string;
  /** The client's next token → the server's reply (may be empty). Throws SaslAuthenticationError. */
  evaluate(token: Buffer): Buffer | Promise<Buffer>;
  readonly complete: boolean;
  /** The authenticated name (the principal's name), once complete. */
  readonly authorizationId: string;
  /** When the credential stops being valid (ms since the epoch; an OAuth token's `exp`), if it does. */
  readonly credentialExpiresAtMs?: number | undefined;
}

/** Kafka's SASL mechanism names served by Samsa. */
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export function isSaslMechanism(s: string): s is SaslMechanism {
  return (SASL_MECHANISMS as readonly string[]).includes(s);
}
