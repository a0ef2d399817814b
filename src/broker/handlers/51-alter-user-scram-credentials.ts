/**
 * AlterUserScramCredentials (key 51), version 0.
 *
 * Upserts and deletes SCRAM credentials. The client sends the salt and the salted password (never
 * the password); the broker keeps what RFC 5802 calls the stored key and the server key, with the
 * salt and iterations, in the cluster's security metadata (persisted before the answer). Checks,
 * with Kafka's errors: a non-empty user (UNACCEPTABLE_CREDENTIAL), a known mechanism
 * (UNSUPPORTED_SASL_MECHANISM), 4096 to 16384 iterations and a salt and salted password
 * (UNACCEPTABLE_CREDENTIAL), one alteration per user and mechanism (DUPLICATE_RESOURCE), and an
 * existing credential to delete (RESOURCE_NOT_FOUND). One result per user; a user's alterations
 * apply together or not at all. The principal needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AlterUserScramCredentialsApi } from '../../protocol/messages/index.js';
import { SCRAM_MAX_ITERATIONS, SCRAM_MIN_ITERATIONS, credentialFromSaltedPassword, scramMechanismOf } from '../../protocol/sasl/scram.js';
import type { SecurityChange } from '../../security/security-metadata.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';

interface Outcome {
  errorCode: number;
  errorMessage: string | null;
  changes: SecurityChange[];
}

export const alterUserScramCredentialsHandler = defineHandler(AlterUserScramCredentialsApi, { min: 0, max: 0 }, async (req, ctx) => {
  const metadata = ctx.broker.security.metadata;
  const users = [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])];
  if (!authorizeCluster(ctx, AclOperation.ALTER)) return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })) };
  const outcomes = new Map<string, Outcome>(users.map((u) => [u, { errorCode: ErrorCode.NONE, errorMessage: null, changes: [] }]));
  const fail = (user: string, errorCode: number, errorMessage: string) => {
    const o = outcomes.get(user)!;
    if (o.errorCode === ErrorCode.NONE) Object.assign(o, { errorCode, errorMessage });
  };
  const seen = new Set<string>();
  const once = (user: string, mechanism: number) => {
    const k = `${mechanism}\u0000${user}`;
    if (seen.has(k)) fail(user, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
    seen.add(k);
  };
  for (const d of req.deletions) {
    once(d.name, d.mechanism);
    const mechanism = scramMechanismOf(d.mechanism);
    if (d.name === '') fail(d.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
    else if (!mechanism) fail(d.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
    else if (!metadata.scramCredential(d.name, mechanism)) fail(d.name, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
    else outcomes.get(d.name)!.changes.push({ type: 'remove-scram', user: d.name, mechanism });
  }
  for (const u of req.upsertions) {
    once(u.name, u.mechanism);
    const mechanism = scramMechanismOf(u.mechanism);
    if (u.name === '') fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
    else if (!mechanism) fail(u.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
    else if (u.iterations < SCRAM_MIN_ITERATIONS) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations');
    else if (u.iterations > SCRAM_MAX_ITERATIONS) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations');
    else if (u.salt.length === 0) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salt must not be empty');
    else if (u.saltedPassword.length === 0) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salted password must not be empty');
    else outcomes.get(u.name)!.changes.push({ type: 'scram', user: u.name, mechanism, credential: credentialFromSaltedPassword(mechanism, Buffer.from(u.salt), u.saltedPassword, u.iterations) });
  }
  const changes = [...outcomes.values()].filter((o) => o.errorCode === ErrorCode.NONE).flatMap((o) => o.changes);
  try {
    await metadata.commit(changes);
  } catch (err) {
    ctx.log.error({ err }, 'could not persist SCRAM credentials');
    return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The credentials could not be stored' })) };
  }
  return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: outcomes.get(user)!.errorCode, errorMessage: outcomes.get(user)!.errorMessage })) };
});
