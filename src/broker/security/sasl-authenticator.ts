/**
 * The SASL handshake of a connection on a SASL listener, as Kafka's SaslServerAuthenticator runs
 * it, in front of the request dispatcher:
 *
 * - before login only ApiVersions, SaslHandshake and then the mechanism's tokens are read: any
 *   other request, or a frame larger than `sasl.server.max.receive.size`, closes the connection,
 *   and so does not finishing within `samsa.authentication.timeout.ms`; one that comes after
 *   the handshake, instead of SaslAuthenticate, first gets its error answer with
 *   ILLEGAL_SASL_STATE, as Kafka answers it;
 * - SaslHandshake v1 is followed by SaslAuthenticate requests; v0 (old clients, kafka-python) by
 *   bare size-prefixed tokens, answered the same way;
 * - a failed login is answered SASL_AUTHENTICATION_FAILED (v0: nothing) after
 *   `connection.failed.authentication.delay.ms`, then the connection is closed; an unknown
 *   mechanism gets UNSUPPORTED_SASL_MECHANISM with the enabled ones, likewise;
 * - a successful login names the connection's principal (`User:<name>`) and, with
 *   `connections.max.reauth.ms`, the session's lifetime (the least of it and an OAuth token's
 *   remaining life), sent to clients of SaslAuthenticate v1+; once it has passed, any request but
 *   a re-authentication closes the connection (KIP-368). A re-authentication (SaslHandshake on an
 *   authenticated connection of a v1+ client) must keep the mechanism and the principal.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.js';
import type { Connection, FrameHandler, Reply } from '../../network/connection.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { type RequestFrame, encodeResponseFrame, readRequestFrame } from '../../protocol/frames.js';
import { ApiKey, SaslAuthenticateApi, SaslHandshakeApi, apiByKey } from '../../protocol/messages/index.js';
import { errorResponse, hasErrorResponse } from '../faults/error-responses.js';
import { SaslAuthenticationError, type SaslMechanism, type SaslServer } from '../../security/sasl/sasl-server.js';
import type { SaslListener } from './listener-sasl.js';

interface SaslState {
  stage: 'handshake' | 'authenticate' | 'evaluating' | 'failed';
  /** SaslHandshake v0: tokens travel bare. */
  raw: boolean;
  mechanism: SaslMechanism | undefined;
  server: SaslServer | undefined;
  /** The version of the client's last SaslAuthenticate (-1 with bare tokens): v1+ clients may re-authenticate. */
  authenticateVersion: number;
  /** A re-authentication is under way; the principal it must keep. */
  reauthOf: string | undefined;
}

export interface SaslAuthenticatorOptions {
  clock: Clock;
  log: Logger;
  /** `samsa.authentication.timeout.ms`, for re-authentications. */
  timeoutMs: number;
}

const EMPTY = Buffer.alloc(0);

/** Wraps `inner` (the dispatcher) so that it sees only requests of authenticated connections. */
export function saslAuthenticator(listener: SaslListener, inner: FrameHandler, o: SaslAuthenticatorOptions): FrameHandler {
  const states = new WeakMap<Connection, SaslState>();
  const stateOf = (conn: Connection): SaslState => {
    let st = states.get(conn);
    if (!st) states.set(conn, (st = { stage: 'handshake', raw: false, mechanism: undefined, server: undefined, authenticateVersion: -1, reauthOf: undefined }));
    return st;
  };

  const failed = (conn: Connection, st: SaslState, err: unknown, respond: Buffer[] | null): Promise<Reply> => {
    st.stage = 'failed';
    const detail = err instanceof Error ? (err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message) : String(err);
    o.log.info({ conn: conn.id, remote: conn.remote, listener: listener.listenerName, mechanism: st.mechanism, err: detail }, 'authentication failed');
    const reply: Reply = respond ? { buffers: respond, thenClose: true } : 'close';
    return new Promise((resolve) => o.clock.setTimeout(() => resolve(reply), listener.failedAuthenticationDelayMs));
  };

  const handshake = (frame: Buffer, conn: Connection, st: SaslState): Reply | Promise<Reply> => {
    let req: RequestFrame;
    try {
      req = readRequestFrame(frame);
    } catch {
      return 'close';
    }
    if (req.apiKey === ApiKey.ApiVersions && st.reauthOf === undefined) return inner(frame, conn);
    if (req.apiKey !== ApiKey.SaslHandshake || !req.header || req.apiVersion > SaslHandshakeApi.maxVersion) {
      o.log.warn({ conn: conn.id, remote: conn.remote, apiKey: req.apiKey }, 'closing connection: unexpected request before SASL authentication');
      return 'close';
    }
    let mechanism: string;
    try {
      mechanism = SaslHandshakeApi.decodeRequest(req.body, req.apiVersion).mechanism;
    } catch {
      return 'close';
    }
    const answer = (errorCode: number) => encodeResponseFrame(SaslHandshakeApi, req.apiVersion, req.correlationId, { errorCode, mechanisms: listener.mechanisms });
    const known = listener.mechanisms.find((m) => m === mechanism);
    if (!known || (st.reauthOf !== undefined && known !== st.mechanism)) {
      const why = known ? `re-authentication must use ${st.mechanism}, not ${mechanism}` : `Unsupported SASL mechanism ${mechanism}`;
      return failed(conn, st, new SaslAuthenticationError(why), answer(ErrorCode.UNSUPPORTED_SASL_MECHANISM));
    }
    st.mechanism = known;
    st.raw = req.apiVersion === 0;
    st.server = listener.createServer(known);
    st.stage = 'authenticate';
    return answer(ErrorCode.NONE);
  };

  const authenticate = (frame: Buffer, conn: Connection, st: SaslState): Reply | Promise<Reply> => {
    let token = frame;
    let version = -1;
    let correlationId = 0;
    if (!st.raw) {
      let req: RequestFrame;
      try {
        req = readRequestFrame(frame);
      } catch (err) {
        o.log.warn({ conn: conn.id, remote: conn.remote, err: (err as Error).message }, 'closing connection: unreadable request header');
        return 'close';
      }
      if (req.apiKey !== ApiKey.SaslAuthenticate || !req.header) {
        const unexpected = new SaslAuthenticationError(`Unexpected Kafka request of type ${apiByKey(req.apiKey)?.name ?? req.apiKey} during SASL authentication.`);
        return failed(conn, st, unexpected, illegalStateAnswer(req));
      }
      try {
        token = SaslAuthenticateApi.decodeRequest(req.body, req.apiVersion).authBytes;
      } catch (err) {
        o.log.warn({ conn: conn.id, remote: conn.remote, err: (err as Error).message }, 'closing connection: malformed SaslAuthenticate');
        return 'close';
      }
      version = req.apiVersion;
      correlationId = req.correlationId;
    }
    st.authenticateVersion = version;
    const respond = (errorCode: number, errorMessage: string | null, authBytes: Buffer, sessionLifetimeMs: number): Buffer[] =>
      st.raw ? [sizePrefixed(authBytes)] : encodeResponseFrame(SaslAuthenticateApi, version, correlationId, { errorCode, errorMessage, authBytes, sessionLifetimeMs: BigInt(sessionLifetimeMs) });
    const onError = (err: unknown): Promise<Reply> => {
      if (!(err instanceof SaslAuthenticationError)) o.log.error({ err }, 'SASL mechanism failed');
      const message = err instanceof SaslAuthenticationError ? err.message : `Authentication failed during authentication with SASL mechanism ${st.mechanism}`;
      return failed(conn, st, err, st.raw ? null : respond(ErrorCode.SASL_AUTHENTICATION_FAILED, message, EMPTY, 0));
    };
    const onReply = (reply: Buffer): Reply | Promise<Reply> => {
      const server = st.server!;
      if (!server.complete) {
        st.stage = 'authenticate';
        return respond(ErrorCode.NONE, null, reply, 0);
      }
      const principal = `User:${server.authorizationId}`;
      if (st.reauthOf !== undefined && principal !== st.reauthOf) return onError(new SaslAuthenticationError(`Cannot change principals during re-authentication from ${st.reauthOf}: ${principal}`));
      const lifetime = sessionLifetimeMs(listener.reauthMs(st.mechanism!), server.credentialExpiresAtMs, o.clock.now());
      conn.channel.sessionExpiresAtMs = lifetime === undefined ? undefined : o.clock.now() + lifetime;
      conn.authenticated(principal);
      o.log.debug({ conn: conn.id, principal, mechanism: st.mechanism, reauthentication: st.reauthOf !== undefined }, 'authenticated');
      st.stage = 'handshake';
      st.server = undefined;
      st.reauthOf = undefined;
      return respond(ErrorCode.NONE, null, reply, lifetime ?? 0);
    };
    st.stage = 'evaluating';
    let out: Buffer | Promise<Buffer>;
    try {
      out = st.server!.evaluate(token);
    } catch (err) {
      return onError(err);
    }
    return out instanceof Promise ? out.then(onReply, onError) : onReply(out);
  };

  return (frame, conn) => {
    let st: SaslState | undefined;
    if (conn.channel.authenticated) {
      st = states.get(conn);
      if (st?.reauthOf === undefined) {
        const handshakeNext = frame.length >= 2 && frame.readInt16BE(0) === ApiKey.SaslHandshake;
        const expires = conn.channel.sessionExpiresAtMs;
        if (expires !== undefined && !handshakeNext && o.clock.now() >= expires) {
          o.log.info({ conn: conn.id, remote: conn.remote, principal: conn.channel.principal }, 'closing connection: its SASL session expired without re-authentication');
          return 'close';
        }
        if (!handshakeNext || !st || st.authenticateVersion < 1) return inner(frame, conn);
        st.reauthOf = conn.channel.principal;
        st.stage = 'handshake';
        conn.reauthenticating({ preAuthMaxFrameBytes: listener.maxReceiveBytes, timeoutMs: o.timeoutMs });
      }
    }
    st ??= stateOf(conn);
    switch (st.stage) {
      case 'handshake':
        return handshake(frame, conn, st);
      case 'authenticate':
        return authenticate(frame, conn, st);
      case 'evaluating':
        o.log.warn({ conn: conn.id, remote: conn.remote }, 'closing connection: a request arrived while its SASL token was being checked');
        return 'close';
      case 'failed':
        return null;
    }
  };
}

/** KIP-368: with `connections.max.reauth.ms` set, the least of it and the credential's remaining life; else no expiry. */
export function sessionLifetimeMs(maxReauthMs: number, credentialExpiresAtMs: number | undefined, nowMs: number): number | undefined {
  if (maxReauthMs <= 0) return undefined;
  if (credentialExpiresAtMs === undefined) return maxReauthMs;
  return Math.max(0, Math.min(credentialExpiresAtMs - nowMs, maxReauthMs));
}

/**
 * The answer to a request other than SaslAuthenticate during a login: its error answer with
 * ILLEGAL_SASL_STATE, as Kafka's SaslServerAuthenticator sends before it closes the connection (a
 * client that took an OAUTHBEARER error challenge for a success learns what went wrong); null (the
 * connection just closes) for a request that cannot be decoded or has no error answer.
 */
function illegalStateAnswer(req: RequestFrame): Buffer[] | null {
  const api = apiByKey(req.apiKey);
  if (!api || !req.header || req.apiVersion < api.minVersion || req.apiVersion > api.maxVersion || !hasErrorResponse(req.apiKey)) return null;
  try {
    const body = api.decodeRequest(req.body, req.apiVersion) as Record<string, unknown>;
    return encodeResponseFrame(api, req.apiVersion, req.correlationId, errorResponse(req.apiKey, req.apiVersion, body, ErrorCode.ILLEGAL_SASL_STATE));
  } catch {
    return null;
  }
}

function sizePrefixed(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + b.length);
  out.writeInt32BE(b.length, 0);
  b.copy(out, 4);
  return out;
}
