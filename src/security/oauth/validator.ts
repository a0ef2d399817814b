/**
 * Validating OAuth bearer tokens for SASL/OAUTHBEARER, as Kafka's two server callback handlers do:
 *
 * - `UnsecuredJwsValidator` (OAuthBearerUnsecuredValidatorCallbackHandler, Kafka's default, for
 *   development): an `alg: none` token with an empty signature, `exp` in the future (within
 *   `unsecuredValidatorAllowableClockSkewMs`), the principal claim (`sub`, or
 *   `unsecuredValidatorPrincipalClaimName`) and, if configured, the required scopes.
 * - `JwksValidator` (OAuthBearerValidatorCallbackHandler with `sasl.oauthbearer.jwks.endpoint.url`):
 *   a signed JWS (RS, PS, ES 256/384/512, EdDSA) whose key (by `kid`) is in the JWKS, with `exp`,
 *   the expected audience and issuer when configured, within `sasl.oauthbearer.clock.skew.seconds`.
 *
 * A failure is answered as Kafka does, with an error status (`invalid_token`,
 * `insufficient_scope`) that the SASL exchange sends back as a JSON challenge.
 */
import { type KeyObject, constants, createPublicKey, verify } from 'node:crypto';
import { splitJws } from '../../protocol/sasl/oauthbearer.js';

export interface OAuthBearerToken {
  principalName: string;
  /** `exp` in ms since the epoch. */
  expiresAtMs: number;
  scope: string[];
}

export type ValidationResult = { token: OAuthBearerToken } | { errorStatus: string; errorScope?: string; reason: string };

export interface OAuthBearerValidator {
  validate(token: string): ValidationResult | Promise<ValidationResult>;
}

const invalid = (reason: string): ValidationResult => ({ errorStatus: 'invalid_token', reason });

function scopeOf(claim: unknown): string[] | undefined {
  if (claim === undefined) return [];
  if (typeof claim === 'string') return claim.split(' ').filter((s) => s !== '');
  if (Array.isArray(claim) && claim.every((s) => typeof s === 'string')) return claim as string[];
  return undefined;
}

/** Common claim checks: exp, iat, the principal claim, the scope claim. */
function checkClaims(claims: Record<string, unknown>, o: { principalClaim: string; scopeClaim: string; skewMs: number; nowMs: number }): ValidationResult {
  const exp = claims['exp'];
  if (typeof exp !== 'number') return invalid("Required claim 'exp' is missing or not a number");
  const iat = claims['iat'];
  if (iat !== undefined && typeof iat !== 'number') return invalid("Claim 'iat' is not a number");
  const expiresAtMs = Math.round(exp * 1000);
  if (expiresAtMs + o.skewMs <= o.nowMs) return invalid(`The token expired at ${expiresAtMs}`);
  if (typeof iat === 'number' && iat * 1000 > expiresAtMs) return invalid("The token's 'iat' is after its 'exp'");
  const sub = claims[o.principalClaim];
  if (typeof sub !== 'string' || sub.trim() === '') return invalid(`Required claim '${o.principalClaim}' is missing or empty`);
  const scope = scopeOf(claims[o.scopeClaim]);
  if (!scope) return invalid(`Claim '${o.scopeClaim}' is not a string or a list of strings`);
  return { token: { principalName: sub, expiresAtMs, scope } };
}

export interface UnsecuredValidatorOptions {
  principalClaimName?: string;
  scopeClaimName?: string;
  requiredScope?: readonly string[];
  allowableClockSkewMs?: number;
}

/** The options of OAuthBearerLoginModule's JAAS entry that Kafka's unsecured validator reads. */
export function unsecuredValidatorOptions(jaas: ReadonlyMap<string, string>): UnsecuredValidatorOptions {
  const o: UnsecuredValidatorOptions = {};
  const principal = jaas.get('unsecuredValidatorPrincipalClaimName');
  const scope = jaas.get('unsecuredValidatorScopeClaimName');
  const required = jaas.get('unsecuredValidatorRequiredScope');
  const skew = jaas.get('unsecuredValidatorAllowableClockSkewMs');
  if (principal) o.principalClaimName = principal;
  if (scope) o.scopeClaimName = scope;
  if (required) o.requiredScope = required.split(/[\s,]+/).filter((s) => s !== '');
  if (skew) o.allowableClockSkewMs = Number(skew);
  return o;
}

export class UnsecuredJwsValidator implements OAuthBearerValidator {
  constructor(
    private readonly options: UnsecuredValidatorOptions,
    private readonly now: () => number,
  ) {}

  validate(token: string): ValidationResult {
    const jws = splitJws(token);
    if (!jws) return invalid('Not a JWS compact serialization');
    if (jws.header['alg'] !== 'none') return invalid("An unsecured JWS must have 'alg': 'none'");
    if (jws.signature.length !== 0) return invalid('An unsecured JWS must have an empty signature');
    const r = checkClaims(jws.claims, {
      principalClaim: this.options.principalClaimName ?? 'sub',
      scopeClaim: this.options.scopeClaimName ?? 'scope',
      skewMs: this.options.allowableClockSkewMs ?? 0,
      nowMs: this.now(),
    });
    if (!('token' in r)) return r;
    const missing = (this.options.requiredScope ?? []).filter((s) => !r.token.scope.includes(s));
    if (missing.length > 0) return { errorStatus: 'insufficient_scope', errorScope: (this.options.requiredScope ?? []).join(' '), reason: `The token's scope lacks ${missing.join(' ')}` };
    return r;
  }
}

export interface JwksValidatorOptions {
  /** Reads the JWKS document (the file of `sasl.oauthbearer.jwks.endpoint.url`). */
  loadJwks: () => Promise<string>;
  expectedAudience: readonly string[];
  expectedIssuer: string | null;
  subClaimName: string;
  scopeClaimName: string;
  clockSkewSeconds: number;
  /** `sasl.oauthbearer.jwks.endpoint.refresh.ms`: keys are read again after this long. */
  refreshMs: number;
  now: () => number;
}

const ALGORITHMS: Readonly<Record<string, { hash: string | null; kty: string; pss?: boolean; ieee?: boolean }>> = {
  RS256: { hash: 'sha256', kty: 'RSA' },
  RS384: { hash: 'sha384', kty: 'RSA' },
  RS512: { hash: 'sha512', kty: 'RSA' },
  PS256: { hash: 'sha256', kty: 'RSA', pss: true },
  PS384: { hash: 'sha384', kty: 'RSA', pss: true },
  PS512: { hash: 'sha512', kty: 'RSA', pss: true },
  ES256: { hash: 'sha256', kty: 'EC', ieee: true },
  ES384: { hash: 'sha384', kty: 'EC', ieee: true },
  ES512: { hash: 'sha512', kty: 'EC', ieee: true },
  EdDSA: { hash: null, kty: 'OKP' },
};

interface Jwk {
  kid?: string;
  kty?: string;
  alg?: string;
  use?: string;
  key: KeyObject;
}

/** Parses a JWKS document into public keys; keys it cannot use are skipped. */
export function parseJwks(text: string): Jwk[] {
  const doc = JSON.parse(text) as { keys?: unknown };
  if (!Array.isArray(doc.keys)) throw new Error('JWKS has no "keys" array');
  const out: Jwk[] = [];
  for (const k of doc.keys as Record<string, unknown>[]) {
    if (k['use'] !== undefined && k['use'] !== 'sig') continue;
    try {
      const key = createPublicKey({ key: k as never, format: 'jwk' });
      out.push({ key, ...(typeof k['kid'] === 'string' ? { kid: k['kid'] } : {}), ...(typeof k['kty'] === 'string' ? { kty: k['kty'] } : {}), ...(typeof k['alg'] === 'string' ? { alg: k['alg'] } : {}) });
    } catch {
      // An unusable key (a private one, an unknown type) is left out, as jose4j does.
    }
  }
  return out;
}

export class JwksValidator implements OAuthBearerValidator {
  private keys: Jwk[] = [];
  private loadedAt = -Infinity;
  private loading: Promise<void> | undefined;

  constructor(private readonly o: JwksValidatorOptions) {}

  /** Reads the keys now (at broker start, so a bad JWKS fails the start). */
  async refresh(): Promise<void> {
    this.loading ??= (async () => {
      try {
        this.keys = parseJwks(await this.o.loadJwks());
        this.loadedAt = this.o.now();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  async validate(token: string): Promise<ValidationResult> {
    const jws = splitJws(token);
    if (!jws) return invalid('Not a JWS compact serialization');
    const alg = jws.header['alg'];
    const spec = typeof alg === 'string' ? ALGORITHMS[alg] : undefined;
    if (!spec || typeof alg !== 'string') return invalid(`Unsupported or missing signature algorithm ${String(alg)}`);
    const kid = typeof jws.header['kid'] === 'string' ? jws.header['kid'] : undefined;
    if (this.o.now() - this.loadedAt >= this.o.refreshMs) await this.refresh().catch(() => undefined);
    let candidates = this.candidates(kid, alg, spec.kty);
    if (candidates.length === 0 && kid !== undefined) {
      // A key rotated in since the last read.
      await this.refresh().catch(() => undefined);
      candidates = this.candidates(kid, alg, spec.kty);
    }
    if (candidates.length === 0) return invalid(`No key in the JWKS for kid ${kid ?? '(none)'} and alg ${alg}`);
    const data = Buffer.from(jws.signingInput);
    const ok = candidates.some((k) => {
      const key = spec.pss ? { key: k.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : spec.ieee ? { key: k.key, dsaEncoding: 'ieee-p1363' as const } : k.key;
      try {
        return verify(spec.hash, data, key, jws.signature);
      } catch {
        return false;
      }
    });
    if (!ok) return invalid('The token signature does not verify');
    const c = jws.claims;
    const skewMs = this.o.clockSkewSeconds * 1000;
    const nbf = c['nbf'];
    if (typeof nbf === 'number' && nbf * 1000 - skewMs > this.o.now()) return invalid('The token is not valid yet (nbf)');
    if (this.o.expectedIssuer !== null && c['iss'] !== this.o.expectedIssuer) return invalid(`The token's issuer ${String(c['iss'])} is not ${this.o.expectedIssuer}`);
    if (this.o.expectedAudience.length > 0) {
      const aud = typeof c['aud'] === 'string' ? [c['aud']] : Array.isArray(c['aud']) ? (c['aud'] as unknown[]) : [];
      if (!aud.some((a) => typeof a === 'string' && this.o.expectedAudience.includes(a))) return invalid(`The token's audience is not one of ${this.o.expectedAudience.join(', ')}`);
    }
    return checkClaims(c, { principalClaim: this.o.subClaimName, scopeClaim: this.o.scopeClaimName, skewMs, nowMs: this.o.now() });
  }

  private candidates(kid: string | undefined, alg: string, kty: string): Jwk[] {
    return this.keys.filter((k) => (kid === undefined || k.kid === kid) && (k.alg === undefined || k.alg === alg) && (k.kty === undefined || k.kty === kty));
  }
}
