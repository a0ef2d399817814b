/**
 * The server side of SCRAM-SHA-256 / SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka's ScramSaslServer
 * serves it: client-first → server-first (the client's nonce extended with the server's, the
 * user's salt and iterations), client-final → server-final (`v=` the server signature) once the
 * client's proof verifies against the stored key. Credentials are looked up by user name from the
 * cluster's SCRAM credentials (AlterUserScramCredentials), which hold salted keys only.
 *
 * Failures are reported to the client with Kafka's words: an unknown user or a wrong password are
 * both "Authentication failed during authentication due to invalid credentials with SASL
 * mechanism SCRAM-SHA-256". Delegation tokens (the `tokenauth` extension) are not served.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  type ClientFirstMessage,
  type ScramCredential,
  type ScramMechanism,
  SCRAM_MIN_ITERATIONS,
  authMessage,
  formatServerFirst,
  hash,
  hmac,
  parseClientFinal,
  parseClientFirst,
  unescapeSaslName,
  xor,
} from '../../protocol/sasl/scram.js';
import { SaslAuthenticationError, type SaslServer } from './sasl-server.js';

/** Where the server finds a user's credential for a mechanism. */
export type ScramCredentialLookup = (user: string, mechanism: ScramMechanism) => ScramCredential | undefined;

export class ScramServer implements SaslServer {
  complete = false;
  authorizationId = '';
  private state: 'first' | 'final' | 'done' = 'first';
  private clientFirst: ClientFirstMessage | undefined;
  private serverFirst = '';
  private nonce = '';
  private credential: ScramCredential | undefined;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly lookup: ScramCredentialLookup,
    /** A fresh nonce (printable, no commas) from the broker's secure randomness. */
    private readonly serverNonce: () => string,
  ) {}

  private invalid(detail: string): SaslAuthenticationError {
    return new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`, { cause: new Error(detail) });
  }

  evaluate(token: Buffer): Buffer {
    const text = token.toString('utf8');
    if (this.state === 'first') return this.first(text);
    if (this.state === 'final') return this.final(text);
    throw new SaslAuthenticationError('Authentication failed: the SCRAM exchange is over');
  }

  private first(text: string): Buffer {
    const m = parseClientFirst(text);
    if (!m) throw this.invalid('Invalid SCRAM client first message');
    if (m.extensions.has('tokenauth')) throw this.invalid('Delegation tokens are not supported');
    const user = unescapeSaslName(m.saslName);
    if (user === undefined) throw this.invalid('Invalid user name ' + m.saslName);
    const credential = this.lookup(user, this.mechanism);
    if (!credential) throw this.invalid('Invalid user credentials');
    if (m.authorizationId !== '' && m.authorizationId !== user) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    }
    if (credential.iterations < SCRAM_MIN_ITERATIONS) throw this.invalid(`Iterations ${credential.iterations} is less than the minimum ${SCRAM_MIN_ITERATIONS} for ${this.mechanism}`);
    this.clientFirst = m;
    this.credential = credential;
    this.authorizationId = user;
    this.nonce = m.nonce + this.serverNonce();
    this.serverFirst = formatServerFirst(this.nonce, credential.salt, credential.iterations);
    this.state = 'final';
    return Buffer.from(this.serverFirst);
  }

  private final(text: string): Buffer {
    const m = parseClientFinal(text);
    if (!m) throw this.invalid('Invalid SCRAM client final message');
    // Kafka checks that the nonce ends with the server-first's, not that it equals it: librdkafka
    // sends the client nonce again in front of it, and works against Kafka.
    if (!m.nonce.endsWith(this.nonce)) throw this.invalid('Invalid client nonce in the final client message.');
    if (m.channelBinding.toString('utf8') !== this.clientFirst!.gs2Header) throw this.invalid('Invalid channel binding in the final client message.');
    const mech = this.mechanism;
    const cred = this.credential!;
    const auth = authMessage(this.clientFirst!.bare, this.serverFirst, m.withoutProof);
    const clientSignature = hmac(mech, cred.storedKey, auth);
    const computedStoredKey = hash(mech, xor(m.proof, clientSignature));
    if (m.proof.length !== cred.storedKey.length || !timingSafeEqual(computedStoredKey, cred.storedKey)) throw this.invalid('Invalid client credentials');
    this.state = 'done';
    this.complete = true;
    return Buffer.from(`v=${hmac(mech, cred.serverKey, auth).toString('base64')}`);
  }
}
