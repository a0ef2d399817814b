/**
 * AlterUserScramCredentials (key 51), version 0.
 *
 * Upserts and deletes SCRAM credentials. The client sends the salt and the salted password (never
 * the password). Forwarded to the active controller (controller-apis/51-alter-user-scram-credentials.ts),
 * which checks them with Kafka's errors (a non-empty user: UNACCEPTABLE_CREDENTIAL; a known
 * mechanism: UNSUPPORTED_SASL_MECHANISM; 4096 to 16384 iterations and a salt and salted password:
 * UNACCEPTABLE_CREDENTIAL; one alteration per user and mechanism: DUPLICATE_RESOURCE; an existing
 * credential to delete: RESOURCE_NOT_FOUND) and writes what RFC 5802 calls the stored key and the
 * server key, with the salt and iterations, to the metadata log; a user's alterations apply
 * together or not at all. The answer comes back once this broker's metadata has them; the user can
 * log in on every broker once its metadata catches up. The principal needs ALTER on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED), checked here before forwarding.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { AlterUserScramCredentialsApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';

export const alterUserScramCredentialsHandler = defineHandler(AlterUserScramCredentialsApi, { min: 0, max: 0 }, async (req, ctx) => {
  if (!authorizeCluster(ctx, AclOperation.ALTER)) {
    const users = [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])];
    return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })) };
  }
  return ctx.broker.forwarder.forward(ctx, AlterUserScramCredentialsApi, req);
});
