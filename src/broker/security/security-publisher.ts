/**
 * Keeps a broker's security metadata (its authorizer's ACLs, its SCRAM credentials, its client
 * quotas) equal to the metadata image's (Kafka's AclPublisher, ScramPublisher and
 * ClientQuotaMetadataManager): at start-up and after a snapshot load every part is synchronised,
 * after a commit only the parts it changed. It runs synchronously in the loader's callback, before
 * the broker's partition publisher, so a forwarded CreateAcls / AlterUserScramCredentials /
 * AlterClientQuotas answered once this broker's metadata caught up is already in force here.
 */
import type { MetadataPublisher, MetadataUpdate } from '../../controller/image/metadata-loader.js';
import type { SecurityImage } from '../../controller/image/security-image.js';
import { scramMechanismOf } from '../../protocol/sasl/scram.js';
import { type QuotaEntity, type QuotaKey, isQuotaKey } from '../../security/quota/client-quotas.js';
import type { SecurityMetadata } from '../../security/security-metadata.js';

export class SecurityPublisher implements MetadataPublisher {
  constructor(private readonly metadata: SecurityMetadata) {}

  onMetadataUpdate(u: MetadataUpdate): void {
    const all = u.fromSnapshot;
    const s = u.image.security;
    this.metadata.sync({
      ...(all || u.delta.aclsChanged ? { acls: s.acls() } : {}),
      ...(all || u.delta.scramChanged ? { scram: scramOf(s) } : {}),
      ...(all || u.delta.quotasChanged ? { quotas: quotasOf(s) } : {}),
    });
  }
}

function* scramOf(s: SecurityImage) {
  for (const c of s.scramCredentials()) {
    const mechanism = scramMechanismOf(c.mechanism);
    if (mechanism) yield { user: c.name, mechanism, credential: { salt: c.salt, storedKey: c.storedKey, serverKey: c.serverKey, iterations: c.iterations } };
  }
}

export function* quotasOf(s: SecurityImage): Generator<{ entity: QuotaEntity; key: QuotaKey; value: number }> {
  for (const q of s.quotas()) {
    const entity: QuotaEntity = {};
    for (const c of q.entity) if (c.entityType === 'user' || c.entityType === 'client-id' || c.entityType === 'ip') entity[c.entityType] = c.entityName;
    for (const [key, value] of q.values) if (isQuotaKey(key)) yield { entity, key, value };
  }
}
