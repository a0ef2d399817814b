/**
 * New keystore and truststore values for this node, checked where they arrive on the controller
 * listener (AlterConfigs and IncrementalAlterConfigs on the BROKER resource named by this node's
 * id — `kafka-configs --bootstrap-controller … --entity-type brokers --entity-name <id>`, KIP-919,
 * or a broker's forwarded request): the node's listeners, the controller listener included, must
 * load them (security/listener-tls-set.ts), else the resource is answered INVALID_CONFIG and
 * nothing is stored. Values for another node go on as they are: that node applies what the
 * metadata log then says, keeping its old certificates when the new ones do not load.
 */
import { ConfigResourceType } from '../../controller/image/image-types.js';
import type { ControllerRequestContext } from './controller-context.js';

export type TlsRefusal = { errorCode: number; errorMessage: string };

/** The resources of `resources` this node's listeners refuse, with why. */
export async function ownTlsRefusals<R extends { resourceType: number; resourceName: string }>(
  ctx: ControllerRequestContext,
  resources: readonly R[],
  changes: (r: R) => readonly { name: string; value: string | null }[],
): Promise<Map<R, TlsRefusal>> {
  const refused = new Map<R, TlsRefusal>();
  const validate = ctx.node.validateTlsChange;
  if (!validate) return refused;
  for (const r of resources) {
    if (r.resourceType !== ConfigResourceType.BROKER || r.resourceName !== String(ctx.node.nodeId)) continue;
    const bad = await validate(changes(r));
    if (bad) refused.set(r, bad);
  }
  return refused;
}
