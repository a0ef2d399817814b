/**
 * Keeps an authorizer's ACLs equal to the metadata image's (Kafka's AclPublisher for a
 * controller's StandardAuthorizer): everything after a snapshot load, the difference after a
 * commit that changed ACLs. A controller authorizes its listener's requests with it
 * (controller-apis/controller-authorization.ts); a broker's authorizer follows the image through
 * its security metadata instead (security-publisher.ts).
 */
import type { MetadataPublisher, MetadataUpdate } from '../../controller/image/metadata-loader.js';
import { type AclBinding, aclKey } from '../../security/acl.js';
import type { StandardAuthorizer } from '../../security/authorizer.js';

export class AuthorizerPublisher implements MetadataPublisher {
  private readonly current = new Map<string, AclBinding>();

  constructor(private readonly authorizer: StandardAuthorizer) {}

  onMetadataUpdate(u: MetadataUpdate): void {
    if (!u.fromSnapshot && !u.delta.aclsChanged) return;
    const wanted = new Map<string, AclBinding>();
    for (const e of u.image.security.acls()) {
      const acl: AclBinding = { resourceType: e.resourceType, resourceName: e.resourceName, patternType: e.patternType, principal: e.principal, host: e.host, operation: e.operation, permissionType: e.permissionType };
      wanted.set(aclKey(acl), acl);
    }
    for (const [k, acl] of [...this.current]) {
      if (wanted.has(k)) continue;
      this.authorizer.remove(acl);
      this.current.delete(k);
    }
    for (const [k, acl] of wanted) {
      if (this.current.has(k)) continue;
      this.authorizer.add(acl);
      this.current.set(k, acl);
    }
  }
}
