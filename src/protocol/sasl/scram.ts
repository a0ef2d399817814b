/**
 * SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka speaks them: the four messages
 * and the key derivation, shared by the broker's ScramServer and the client's login. Pure:
 * hashing only; nonces are given by the caller (from its injected randomness).
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** Kafka's ScramMechanism codes on the wire (DescribeUserScramCredentials, AlterUserScramCredentials). */
export const SCRAM_MECHANISM_CODES: Readonly<Record<ScramMechanism, number>> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
export const scramMechanismOf = (code: number): ScramMechanism | undefined => (code === 1 ? 'SCRAM-SHA-256' : code === 2 ? 'SCRAM-SHA-512' : undefined);

/** Kafka's bounds on iterations: at least 4096 to log in, at most 16384 to store. */
export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_MAX_ITERATIONS = 16384;

const HASH: Readonly<Record<ScramMechanism, string>> = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' };
const KEY_BYTES: Readonly<Record<ScramMechanism, number>> = { 'SCRAM-SHA-256': 32, 'SCRAM-SHA-512': 64 };

/** What a server keeps of a password: never the password itself (RFC 5802 section 3). */
export interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

export function hmac(mechanism: ScramMechanism, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(HASH[mechanism], key).update(data).digest();
}

export function hash(mechanism: ScramMechanism, data: Buffer): Buffer {
  return createHash(HASH[mechanism]).update(data).digest();
}

/** Hi(password, salt, i): PBKDF2 with the mechanism's HMAC. */
export function saltedPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, KEY_BYTES[mechanism], HASH[mechanism]);
}

export function clientKey(mechanism: ScramMechanism, salted: Buffer): Buffer {
  return hmac(mechanism, salted, 'Client Key');
}

/** The credential a salted password gives (what AlterUserScramCredentials sends is the salted password). */
export function credentialFromSaltedPassword(mechanism: ScramMechanism, salt: Buffer, salted: Buffer, iterations: number): ScramCredential {
  return { salt, iterations, storedKey: hash(mechanism, clientKey(mechanism, salted)), serverKey: hmac(mechanism, salted, 'Server Key') };
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ (b[i] ?? 0);
  return out;
}

/** saslname escaping: ',' as =2C and '=' as =3D. */
export const escapeSaslName = (name: string): string => name.replace(/=/g, '=3D').replace(/,/g, '=2C');
export function unescapeSaslName(saslName: string): string | undefined {
  if (/=(?!2C|3D)/.test(saslName)) return undefined;
  return saslName.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export interface ClientFirstMessage {
  /** The GS2 header, e.g. `n,,` (what the final message's channel binding encodes). */
  gs2Header: string;
  authorizationId: string;
  saslName: string;
  nonce: string;
  extensions: Map<string, string>;
  /** Everything after the GS2 header (part of the AuthMessage). */
  bare: string;
}

const PRINTABLE = '[\\x21-\\x2B\\x2D-\\x7E]+';
const CLIENT_FIRST = new RegExp(`^(n,(?:a=([^,]+))?,)(n=([^,]+),r=(${PRINTABLE})((?:,[A-Za-z]+=[^,]+)*))$`);
const CLIENT_FINAL = new RegExp(`^(c=([A-Za-z0-9+/]+=*),r=(${PRINTABLE})((?:,[A-Za-z]+=[^,]+)*)),p=([A-Za-z0-9+/]+=*)$`);
const SERVER_FIRST = new RegExp(`^r=(${PRINTABLE}),s=([A-Za-z0-9+/]+=*),i=([0-9]+)((?:,[A-Za-z]+=[^,]+)*)$`);

function extensionsOf(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of text.split(',').filter((s) => s !== '')) {
    const eq = part.indexOf('=');
    m.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return m;
}

export function parseClientFirst(text: string): ClientFirstMessage | undefined {
  const m = CLIENT_FIRST.exec(text);
  if (!m) return undefined;
  return { gs2Header: m[1]!, authorizationId: m[2] ?? '', bare: m[3]!, saslName: m[4]!, nonce: m[5]!, extensions: extensionsOf(m[6] ?? '') };
}

export function formatClientFirst(username: string, nonce: string): { message: string; bare: string } {
  const bare = `n=${escapeSaslName(username)},r=${nonce}`;
  return { message: `n,,${bare}`, bare };
}

export interface ServerFirstMessage {
  nonce: string;
  salt: Buffer;
  iterations: number;
  text: string;
}

export function formatServerFirst(nonce: string, salt: Buffer, iterations: number): string {
  return `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
}

export function parseServerFirst(text: string): ServerFirstMessage | undefined {
  const m = SERVER_FIRST.exec(text);
  if (!m) return undefined;
  return { nonce: m[1]!, salt: Buffer.from(m[2]!, 'base64'), iterations: Number(m[3]), text };
}

export interface ClientFinalMessage {
  channelBinding: Buffer;
  nonce: string;
  proof: Buffer;
  withoutProof: string;
}

export function parseClientFinal(text: string): ClientFinalMessage | undefined {
  const m = CLIENT_FINAL.exec(text);
  if (!m) return undefined;
  return { withoutProof: m[1]!, channelBinding: Buffer.from(m[2]!, 'base64'), nonce: m[3]!, proof: Buffer.from(m[5]!, 'base64') };
}

/** AuthMessage = client-first-bare "," server-first "," client-final-without-proof. */
export const authMessage = (clientFirstBare: string, serverFirst: string, clientFinalWithoutProof: string): string => `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;

/** The client's final message for a password, and the server signature it must see back. */
export function clientFinal(mechanism: ScramMechanism, password: string, clientFirstBare: string, serverFirst: ServerFirstMessage, gs2Header = 'n,,'): { message: string; expectedServerSignature: Buffer } {
  const salted = saltedPassword(mechanism, password, serverFirst.salt, serverFirst.iterations);
  const withoutProof = `c=${Buffer.from(gs2Header).toString('base64')},r=${serverFirst.nonce}`;
  const auth = authMessage(clientFirstBare, serverFirst.text, withoutProof);
  const ck = clientKey(mechanism, salted);
  const proof = xor(ck, hmac(mechanism, hash(mechanism, ck), auth));
  const serverSignature = hmac(mechanism, hmac(mechanism, salted, 'Server Key'), auth);
  return { message: `${withoutProof},p=${proof.toString('base64')}`, expectedServerSignature: serverSignature };
}

/** `v=<signature>` or `e=<error>`. */
export function parseServerFinal(text: string): { signature: Buffer } | { error: string } | undefined {
  const v = /^v=([A-Za-z0-9+/]+=*)(?:,.*)?$/.exec(text);
  if (v) return { signature: Buffer.from(v[1]!, 'base64') };
  const e = /^e=([^,]*)(?:,.*)?$/.exec(text);
  return e ? { error: e[1]! } : undefined;
}
