/**
 * DescribeUserScramCredentials (key 50), version 0.
 *
 * Which SCRAM mechanisms and iteration counts each user has credentials for (never the
 * credentials): the users named, or all users with credentials for a null or empty list. A user
 * without credentials is RESOURCE_NOT_FOUND, one named twice DUPLICATE_RESOURCE, with Kafka's
 * messages. The principal needs DESCRIBE on the cluster (top-level CLUSTER_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeUserScramCredentialsApi } from '../../protocol/messages/index.js';
import { SCRAM_MECHANISM_CODES } from '../../protocol/sasl/scram.js';
import { defineHandler } from '../handler.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';

export const describeUserScramCredentialsHandler = defineHandler(DescribeUserScramCredentialsApi, { min: 0, max: 0 }, (req, ctx) => {
  if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, results: [] };
  const users = ctx.broker.security.metadata.scramUsers();
  const names = req.users === null || req.users.length === 0 ? [...users.keys()].sort() : req.users.map((u) => u.name);
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  const results = [...new Set(names)].map((user) => {
    if (counts.get(user)! > 1) return { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] };
    const creds = users.get(user);
    if (!creds) return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] };
    return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: creds.map((c) => ({ mechanism: SCRAM_MECHANISM_CODES[c.mechanism], iterations: c.iterations })) };
  });
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
});
