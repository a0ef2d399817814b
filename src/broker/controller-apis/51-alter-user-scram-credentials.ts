/**
 * AlterUserScramCredentials (key 51), version 0, on the controller listener (brokers forward
 * theirs in an Envelope): deletions and upsertions checked as Kafka's ScramControlManager checks
 * them (a non-empty user, a known mechanism, 4096 to 16384 iterations, a salt and salted password,
 * one alteration per user and mechanism, an existing credential to delete); the salted password
 * becomes the stored key and server key, written with the salt and iterations as
 * UserScramCredentialRecords (never a password), answered once committed
 * (controller/security-control.ts). The forwarding broker has checked ALTER on the cluster.
 */
import { AlterUserScramCredentialsApi } from '../../protocol/messages/index.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const controllerAlterUserScramCredentialsHandler = defineControllerHandler(AlterUserScramCredentialsApi, { min: 0, max: 0 }, async (req, ctx) => {
  try {
    const results = await ctx.node.controller.alterScramCredentials(req.deletions, req.upsertions);
    return { throttleTimeMs: 0, results };
  } catch (err) {
    const errorCode = controllerErrorCode(err, ctx);
    const users = [...new Set([...req.deletions.map((d) => d.name), ...req.upsertions.map((u) => u.name)])];
    return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode, errorMessage: null })) };
  }
});
