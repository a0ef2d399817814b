/**
 * SASL/OAUTHBEARER messages (RFC 7628) as Kafka exchanges them: the client's initial response
 * `n,[a=authzid],^Aauth=Bearer <token>^A[key=value^A...]^A`, the server's error challenge (a JSON
 * object) and the client's `^A` acknowledging it; and unsecured JWS tokens (`alg: none`), which
 * Kafka offers for development (OAuthBearerUnsecuredJws). Pure.
 */
const SEP = '\u0001';
// Kafka's grammar (OAuthBearerClientInitialResponse) separates with ^A and allows control characters in names.
// eslint-disable-next-line no-control-regex
const CLIENT_INITIAL = /^n,(?:a=((?:[\x01-\x2B\x2D-\x3C\x3E-\x7F]|=2C|=3D)+))?,\u0001((?:[A-Za-z]+=[\x21-\x7E \t\r\n]+\u0001)*)\u0001$/;
const AUTH = /^([\w]+)[ ]+([-_.a-zA-Z0-9]+)$/;

export interface OAuthBearerInitialResponse {
  token: string;
  authorizationId: string;
  extensions: Map<string, string>;
}

/** Parses the client's first message; undefined when malformed. */
export function parseOAuthBearerInitial(text: string): OAuthBearerInitialResponse | undefined {
  const m = CLIENT_INITIAL.exec(text);
  if (!m) return undefined;
  const pairs = new Map<string, string>();
  for (const kv of (m[2] ?? '').split(SEP).filter((s) => s !== '')) {
    const eq = kv.indexOf('=');
    pairs.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  const auth = AUTH.exec(pairs.get('auth') ?? '');
  if (!auth || auth[1]!.toLowerCase() !== 'bearer') return undefined;
  pairs.delete('auth');
  return { token: auth[2]!, authorizationId: (m[1] ?? '').replace(/=2C/g, ',').replace(/=3D/g, '='), extensions: pairs };
}

/** The client's first message for a token (and optional SASL extensions). */
export function formatOAuthBearerInitial(token: string, extensions: Readonly<Record<string, string>> = {}): string {
  const ext = Object.entries(extensions)
    .map(([k, v]) => `${k}=${v}${SEP}`)
    .join('');
  return `n,,${SEP}auth=Bearer ${token}${SEP}${ext}${SEP}`;
}

/** The client's reply to an error challenge. */
export const OAUTHBEARER_ERROR_ACK = Buffer.from(SEP);

const b64url = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/**
 * An unsecured JWS (`{"alg":"none"}`, empty signature) with the given claims, as Kafka's
 * OAuthBearerUnsecuredLoginCallbackHandler makes for development: sub, iat and exp (seconds).
 */
export function unsecuredJws(claims: Readonly<Record<string, unknown>>): string {
  return `${b64url({ alg: 'none' })}.${b64url(claims)}.`;
}

/** The three parts of a compact JWS, decoded; undefined when it is not one. */
export function splitJws(token: string): { header: Record<string, unknown>; claims: Record<string, unknown>; signingInput: string; signature: Buffer } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(claims)) return undefined;
    return { header, claims, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, 'base64url') };
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
