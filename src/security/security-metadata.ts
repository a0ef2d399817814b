/**
 * The cluster's security metadata: ACLs, SCRAM credentials (salted keys, never passwords) and
 * client quotas (broker configs altered at run time are in the metadata log: broker/config/dynamic-broker-configs.ts). Changes go
 * through a `SecurityMetadataStore` first, then take effect here, so what the broker enforces is
 * what survives a restart.
 *
 * The changes are the records of Kafka's KRaft metadata log (AccessControlEntryRecord,
 * RemoveAccessControlEntryRecord, UserScramCredentialRecord, RemoveUserScramCredentialRecord,
 * ClientQuotaRecord), so that the Raft metadata quorum can carry them in place of
 * today's JSON file (src/broker/metadata/security-store.ts) by implementing the same store.
 */
import type { ScramCredential, ScramMechanism } from '../protocol/sasl/scram.js';
import { type AclBinding, aclKey } from './acl.js';
import { ClientQuotas, type QuotaEntity, type QuotaKey } from './quota/client-quotas.js';

export type SecurityChange =
  | { type: 'acl'; acl: AclBinding }
  | { type: 'remove-acl'; acl: AclBinding }
  | { type: 'scram'; user: string; mechanism: ScramMechanism; credential: ScramCredential }
  | { type: 'remove-scram'; user: string; mechanism: ScramMechanism }
  | { type: 'quota'; entity: QuotaEntity; key: QuotaKey; value: number | null };

export interface SecurityMetadataStore {
  /** Every change so far, in order (or a snapshot's worth of them). */
  load(): Promise<SecurityChange[]>;
  /** Makes the changes durable, all or none; resolves once they are. */
  append(changes: readonly SecurityChange[]): Promise<void>;
}

/** A store that keeps nothing (a broker whose security changes need not survive). */
export class MemorySecurityStore implements SecurityMetadataStore {
  readonly changes: SecurityChange[] = [];
  async load(): Promise<SecurityChange[]> {
    return [...this.changes];
  }
  async append(changes: readonly SecurityChange[]): Promise<void> {
    this.changes.push(...changes);
  }
}

export interface SecurityListener {
  aclAdded?(acl: AclBinding): void;
  aclRemoved?(acl: AclBinding): void;
}

export class SecurityMetadata {
  private readonly acls = new Map<string, AclBinding>();
  private readonly scram = new Map<string, ScramCredential>();
  readonly quotas = new ClientQuotas();
  private readonly listeners: SecurityListener[] = [];
  /** Serialises appends, so changes apply in the order they were made durable. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly store: SecurityMetadataStore) {}

  static async open(store: SecurityMetadataStore): Promise<SecurityMetadata> {
    const m = new SecurityMetadata(store);
    for (const c of await store.load()) m.apply(c);
    return m;
  }

  listen(l: SecurityListener): void {
    this.listeners.push(l);
    for (const acl of this.acls.values()) l.aclAdded?.(acl);
  }

  aclBindings(): IterableIterator<AclBinding> {
    return this.acls.values();
  }

  hasAcl(acl: AclBinding): boolean {
    return this.acls.has(aclKey(acl));
  }

  scramCredential(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.scram.get(`${mechanism}\u0000${user}`);
  }

  /** Users with SCRAM credentials, each with its mechanisms and iterations. */
  scramUsers(): Map<string, { mechanism: ScramMechanism; iterations: number }[]> {
    const users = new Map<string, { mechanism: ScramMechanism; iterations: number }[]>();
    for (const [k, c] of this.scram) {
      const [mechanism, user] = k.split('\u0000') as [ScramMechanism, string];
      let list = users.get(user);
      if (!list) users.set(user, (list = []));
      list.push({ mechanism, iterations: c.iterations });
    }
    return users;
  }

  /** Makes `changes` durable, then applies them. */
  commit(changes: readonly SecurityChange[]): Promise<void> {
    if (changes.length === 0) return this.writing;
    const done = this.writing.catch(() => undefined).then(async () => {
      await this.store.append(changes);
      for (const c of changes) this.apply(c);
    });
    this.writing = done;
    return done;
  }

  private apply(c: SecurityChange): void {
    switch (c.type) {
      case 'acl': {
        const k = aclKey(c.acl);
        if (this.acls.has(k)) return;
        this.acls.set(k, c.acl);
        for (const l of this.listeners) l.aclAdded?.(c.acl);
        return;
      }
      case 'remove-acl':
        if (!this.acls.delete(aclKey(c.acl))) return;
        for (const l of this.listeners) l.aclRemoved?.(c.acl);
        return;
      case 'scram':
        this.scram.set(`${c.mechanism}\u0000${c.user}`, c.credential);
        return;
      case 'remove-scram':
        this.scram.delete(`${c.mechanism}\u0000${c.user}`);
        return;
      case 'quota':
        this.quotas.set(c.entity, c.key, c.value);
        return;
    }
  }
}
