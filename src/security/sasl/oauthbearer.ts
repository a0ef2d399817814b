/**
 * The server side of SASL/OAUTHBEARER as Kafka's OAuthBearerSaslServer serves it: the client's
 * initial response carries the token; a valid one completes the exchange (the principal is the
 * token's subject, the session ends no later than the token expires); an invalid one is answered
 * with a JSON error challenge (`{"status":"invalid_token"}`), to which the client replies `^A`,
 * and the login then fails with that message. An authorization id, if given, must equal the
 * token's principal. SASL extensions are accepted and ignored (Kafka's default validators
 * validate none).
 */
import { parseOAuthBearerInitial } from '../../protocol/sasl/oauthbearer.js';
import type { OAuthBearerValidator } from '../oauth/validator.js';
import { SaslAuthenticationError, type SaslServer } from './sasl-server.js';

export class OAuthBearerServer implements SaslServer {
  readonly mechanism = 'OAUTHBEARER';
  complete = false;
  authorizationId = '';
  credentialExpiresAtMs: number | undefined;
  private errorMessage: string | undefined;

  constructor(private readonly validator: OAuthBearerValidator) {}

  async evaluate(token: Buffer): Promise<Buffer> {
    if (this.complete) throw new SaslAuthenticationError('Authentication failed: the OAUTHBEARER exchange is over');
    if (token.length === 1 && token[0] === 1 && this.errorMessage !== undefined) throw new SaslAuthenticationError(this.errorMessage);
    this.errorMessage = undefined;
    const initial = parseOAuthBearerInitial(token.toString('utf8'));
    if (!initial) throw new SaslAuthenticationError('Invalid OAUTHBEARER client first message');
    const r = await this.validator.validate(initial.token);
    if (!('token' in r)) {
      this.errorMessage = JSON.stringify({ status: r.errorStatus, ...(r.errorScope !== undefined ? { scope: r.errorScope } : {}) });
      return Buffer.from(this.errorMessage);
    }
    if (initial.authorizationId !== '' && initial.authorizationId !== r.token.principalName) {
      throw new SaslAuthenticationError(`Authentication failed: Client requested an authorization id (${initial.authorizationId}) that is different from the token's principal name (${r.token.principalName})`);
    }
    this.authorizationId = r.token.principalName;
    this.credentialExpiresAtMs = r.token.expiresAtMs;
    this.complete = true;
    return Buffer.alloc(0);
  }
}
