/**
 * How the client proves who it is: TLS (`ssl`, node:tls options: the CA to trust, a client
 * certificate and key) and SASL (`sasl`: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 with a user name and
 * password, or OAUTHBEARER with a token provider), as Kafka's `security.protocol` SSL, SASL_PLAINTEXT
 * and SASL_SSL. The login runs on every new connection after ApiVersions: SaslHandshake v1, then
 * SaslAuthenticate until the mechanism is done; when the broker gives the session a lifetime
 * (`connections.max.reauth.ms`, KIP-368) the connection logs in again before it ends.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { ErrorCode } from '../protocol/error-codes.js';
import { SaslAuthenticateApi, SaslHandshakeApi } from '../protocol/messages/index.js';
import { formatOAuthBearerInitial } from '../protocol/sasl/oauthbearer.js';
import { type ScramMechanism, clientFinal, formatClientFirst, parseServerFinal, parseServerFirst } from '../protocol/sasl/scram.js';
import { KafkaProtocolError, SamsaClientError } from './errors.js';

/** TLS options (node:tls's): `ca`, `cert`, `key`, `passphrase`, `pfx`, `servername`, `rejectUnauthorized`, … */
export type TlsOptions = Pick<TlsConnectionOptions, 'ca' | 'cert' | 'key' | 'passphrase' | 'pfx' | 'servername' | 'rejectUnauthorized' | 'checkServerIdentity' | 'minVersion' | 'maxVersion' | 'ciphers'>;

export type SaslOptions =
  | { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string }
  | {
      mechanism: 'OAUTHBEARER';
      /** Gives a token (called for every login, so it may refresh it), with optional SASL extensions. */
      oauthBearerProvider: () => Promise<{ value: string; extensions?: Record<string, string> }> | { value: string; extensions?: Record<string, string> };
    };

/** Sends one request and resolves with its response: how the login talks to its connection. */
export interface SaslTransport {
  send<Req, ReqIn, Res, ResIn>(api: import('../protocol/api-descriptor.js').ApiDescriptor<Req, ReqIn, Res, ResIn>, body: ReqIn, options?: { version?: number }): Promise<Res>;
  versionFor(api: import('../protocol/api-descriptor.js').AnyApiDescriptor): number | undefined;
  readonly address: string;
}

/** Logs in on a connection; resolves with the session lifetime the broker gave (0: none). */
export async function saslLogin(t: SaslTransport, sasl: SaslOptions, nonce: () => string): Promise<number> {
  const authVersion = t.versionFor(SaslAuthenticateApi as never);
  if (authVersion === undefined) throw new SamsaClientError('SAMSA_UNSUPPORTED_API', `broker ${t.address} does not serve SaslAuthenticate: Samsa's client needs Kafka 1.0 or newer for SASL`);
  const hs = await t.send(SaslHandshakeApi, { mechanism: sasl.mechanism }, { version: 1 });
  if (hs.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(hs.errorCode, `SASL mechanism ${sasl.mechanism} on ${t.address} (the broker enables ${hs.mechanisms.join(', ') || 'none'})`);
  let lifetime = 0n;
  const step = async (token: Buffer): Promise<Buffer> => {
    const r = await t.send(SaslAuthenticateApi, { authBytes: token }, { version: authVersion });
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaProtocolError(r.errorCode, r.errorMessage ?? `SASL ${sasl.mechanism} authentication with ${t.address} failed`);
    lifetime = r.sessionLifetimeMs ?? 0n;
    return r.authBytes;
  };
  switch (sasl.mechanism) {
    case 'PLAIN':
      await step(Buffer.from(`\u0000${sasl.username}\u0000${sasl.password}`, 'utf8'));
      break;
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-512':
      await scram(step, sasl.mechanism, sasl.username, sasl.password, nonce(), t.address);
      break;
    case 'OAUTHBEARER': {
      const token = await sasl.oauthBearerProvider();
      const reply = await step(Buffer.from(formatOAuthBearerInitial(token.value, token.extensions ?? {})));
      // A non-empty reply is the broker's error challenge; answering it ends the exchange with the error.
      if (reply.length > 0) await step(Buffer.from([1]));
      break;
    }
  }
  return Number(lifetime);
}

async function scram(step: (token: Buffer) => Promise<Buffer>, mechanism: ScramMechanism, username: string, password: string, nonce: string, address: string): Promise<void> {
  const first = formatClientFirst(username, nonce);
  const serverFirst = parseServerFirst((await step(Buffer.from(first.message))).toString('utf8'));
  if (!serverFirst || !serverFirst.nonce.startsWith(nonce)) throw new SamsaClientError('SAMSA_AUTHENTICATION', `invalid SCRAM server-first message from ${address}`);
  const final = clientFinal(mechanism, password, first.bare, serverFirst);
  const serverFinal = parseServerFinal((await step(Buffer.from(final.message))).toString('utf8'));
  if (!serverFinal || 'error' in serverFinal) throw new SamsaClientError('SAMSA_AUTHENTICATION', `SCRAM authentication with ${address} failed${serverFinal && 'error' in serverFinal ? `: ${serverFinal.error}` : ''}`);
  if (!serverFinal.signature.equals(final.expectedServerSignature)) throw new SamsaClientError('SAMSA_AUTHENTICATION', `the broker ${address} did not prove it knows the SCRAM credential (server signature mismatch)`);
}
