/**
 * SASL/PLAIN (RFC 4616) as Kafka's PlainSaslServer serves it: one message
 * `[authzid] NUL authcid NUL passwd`, checked against the users of the listener's JAAS config
 * (`user_<name>="<password>"` options of PlainLoginModule). The authorization id, when given,
 * must equal the user name. Passwords are compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import { SaslAuthenticationError, type SaslServer } from './sasl-server.js';

/** The users PLAIN accepts: the `user_<name>` options of a JAAS entry. */
export function plainUsersFromJaas(options: ReadonlyMap<string, string>): Map<string, string> {
  const users = new Map<string, string>();
  for (const [k, v] of options) if (k.startsWith('user_')) users.set(k.slice('user_'.length), v);
  return users;
}

function equalSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  // Compare equal lengths in constant time; a length mismatch still costs one comparison.
  return timingSafeEqual(x, x.length === y.length ? y : x) && x.length === y.length;
}

export class PlainServer implements SaslServer {
  readonly mechanism = 'PLAIN';
  complete = false;
  authorizationId = '';

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  evaluate(token: Buffer): Buffer {
    if (this.complete) throw new SaslAuthenticationError('Authentication failed: the PLAIN exchange is over');
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) throw new SaslAuthenticationError(`Invalid SASL/PLAIN response: expected 3 tokens, got ${parts.length}`);
    const [authzid, username, password] = parts as [string, string, string];
    if (username === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
    if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified');
    const expected = this.users.get(username);
    if (expected === undefined || !equalSecret(password, expected)) throw new SaslAuthenticationError('Authentication failed: Invalid username or password');
    if (authzid !== '' && authzid !== username) throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    this.authorizationId = username;
    this.complete = true;
    return Buffer.alloc(0);
  }
}
