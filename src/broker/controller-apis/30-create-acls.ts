/**
 * CreateAcls (key 30), versions 1-3, on the controller listener (brokers forward theirs in an
 * Envelope, as Kafka's brokers do through their authorizer): each binding is validated as Kafka's
 * AclControlManager validates it (INVALID_REQUEST with the reason), an ACL that exists already is
 * a success, and new ones are written as AccessControlEntryRecords; answered once committed
 * (controller/security-control.ts). The forwarding broker has checked that an authorizer is
 * configured and that the principal may ALTER the cluster.
 */
import { CreateAclsApi } from '../../protocol/messages/index.js';
import { PatternType } from '../../security/acl.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const controllerCreateAclsHandler = defineControllerHandler(CreateAclsApi, { min: 1, max: 3 }, async (req, ctx) => {
  try {
    const results = await ctx.node.controller.createAcls(
      req.creations.map((c) => ({
        resourceType: c.resourceType,
        resourceName: c.resourceName,
        patternType: c.resourcePatternType ?? PatternType.LITERAL,
        principal: c.principal,
        host: c.host,
        operation: c.operation,
        permissionType: c.permissionType,
      })),
    );
    return { throttleTimeMs: 0, results };
  } catch (err) {
    const errorCode = controllerErrorCode(err, ctx);
    return { throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage: null })) };
  }
});
