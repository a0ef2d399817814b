/**
 * The security part of the metadata image (Kafka's AclsImage, ScramImage and ClientQuotasImage):
 * ACLs by id (AccessControlEntryRecord, RemoveAccessControlEntryRecord), SCRAM credentials by user
 * and mechanism (UserScramCredentialRecord, RemoveUserScramCredentialRecord: salt, stored key,
 * server key and iterations, never a password), and client quotas by entity
 * (ClientQuotaRecord, `remove` dropping a key). Built only by replaying records, written back as
 * records in canonical order for snapshots (image-records.ts).
 *
 * The active controller writes these records (controller/security-control.ts); every broker's
 * security metadata follows them (broker/security/security-publisher.ts).
 */
import { type MetadataRecord, type MetadataRecordInput, MetadataRecordType } from '../../protocol/metadata/index.js';
import type { MetadataDelta } from './metadata-delta.js';

export interface AclEntry {
  readonly id: string;
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

export interface ScramEntry {
  readonly name: string;
  /** Kafka's ScramMechanism ids: 1 SCRAM-SHA-256, 2 SCRAM-SHA-512. */
  readonly mechanism: number;
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
  readonly iterations: number;
}

/** One quota entity: its components (user, client-id, ip), each a name or null for the default, sorted by type. */
export type QuotaEntityComponents = readonly { readonly entityType: string; readonly entityName: string | null }[];

const entityKey = (e: QuotaEntityComponents) => e.map((c) => `${c.entityType}=${c.entityName === null ? '\u0000' : c.entityName}`).join(',');
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class SecurityImage {
  private readonly aclMap = new Map<string, AclEntry>();
  private readonly scramMap = new Map<string, ScramEntry>();
  private readonly quotaMap = new Map<string, { entity: QuotaEntityComponents; values: Map<string, number> }>();

  /** Applies a security record (true), or says it is not one (false). */
  apply(record: MetadataRecord, delta: MetadataDelta): boolean {
    switch (record.apiKey) {
      case MetadataRecordType.AccessControlEntryRecord: {
        const d = record.data;
        this.aclMap.set(d.id, { id: d.id, resourceType: d.resourceType, resourceName: d.resourceName, patternType: d.patternType, principal: d.principal, host: d.host, operation: d.operation, permissionType: d.permissionType });
        delta.aclsChanged = true;
        return true;
      }
      case MetadataRecordType.RemoveAccessControlEntryRecord:
        this.aclMap.delete(record.data.id);
        delta.aclsChanged = true;
        return true;
      case MetadataRecordType.UserScramCredentialRecord: {
        const d = record.data;
        this.scramMap.set(`${d.name}\u0000${d.mechanism}`, { name: d.name, mechanism: d.mechanism, salt: d.salt, storedKey: d.storedKey, serverKey: d.serverKey, iterations: d.iterations });
        delta.scramChanged = true;
        return true;
      }
      case MetadataRecordType.RemoveUserScramCredentialRecord:
        this.scramMap.delete(`${record.data.name}\u0000${record.data.mechanism}`);
        delta.scramChanged = true;
        return true;
      case MetadataRecordType.ClientQuotaRecord: {
        const entity = [...record.data.entity].map((c) => ({ entityType: c.entityType, entityName: c.entityName })).sort((a, b) => byString(a.entityType, b.entityType));
        const k = entityKey(entity);
        let q = this.quotaMap.get(k);
        if (record.data.remove) {
          q?.values.delete(record.data.key);
          if (q && q.values.size === 0) this.quotaMap.delete(k);
        } else {
          if (!q) this.quotaMap.set(k, (q = { entity, values: new Map() }));
          q.values.set(record.data.key, record.data.value);
        }
        delta.quotasChanged = true;
        return true;
      }
      default:
        return false;
    }
  }

  /** A copy sharing nothing mutable (entries are immutable). */
  clone(): SecurityImage {
    const c = new SecurityImage();
    for (const [k, v] of this.aclMap) c.aclMap.set(k, v);
    for (const [k, v] of this.scramMap) c.scramMap.set(k, v);
    for (const [k, v] of this.quotaMap) c.quotaMap.set(k, { entity: v.entity, values: new Map(v.values) });
    return c;
  }

  acls(): IterableIterator<AclEntry> {
    return this.aclMap.values();
  }

  scramCredential(name: string, mechanism: number): ScramEntry | undefined {
    return this.scramMap.get(`${name}\u0000${mechanism}`);
  }

  scramCredentials(): IterableIterator<ScramEntry> {
    return this.scramMap.values();
  }

  /** Every entity with quotas, and its quota keys and values. */
  *quotas(): Generator<{ entity: QuotaEntityComponents; values: ReadonlyMap<string, number> }> {
    for (const q of this.quotaMap.values()) yield q;
  }

  /** The security records of the image, in canonical order (ACLs by id, credentials by user and mechanism, quotas by entity and key). */
  *records(): Generator<MetadataRecordInput> {
    for (const a of [...this.aclMap.values()].sort((x, y) => byString(x.id, y.id))) {
      yield { apiKey: MetadataRecordType.AccessControlEntryRecord, data: { ...a } };
    }
    for (const s of [...this.scramMap.values()].sort((x, y) => byString(x.name, y.name) || x.mechanism - y.mechanism)) {
      yield { apiKey: MetadataRecordType.UserScramCredentialRecord, data: { ...s } };
    }
    for (const [, q] of [...this.quotaMap].sort(([a], [b]) => byString(a, b))) {
      for (const [key, value] of [...q.values].sort(([a], [b]) => byString(a, b))) {
        yield { apiKey: MetadataRecordType.ClientQuotaRecord, data: { entity: q.entity.map((c) => ({ ...c })), key, value, remove: false } };
      }
    }
  }
}
