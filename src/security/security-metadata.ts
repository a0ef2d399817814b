/**
 * A broker's view of the cluster's security metadata: ACLs, SCRAM credentials (salted keys, never
 * passwords) and client quotas (broker configs altered at run time are in the metadata log too:
 * broker/config/dynamic-broker-configs.ts).
 *
 * They are kept in the metadata log as Kafka's KRaft records (AccessControlEntryRecord,
 * UserScramCredentialRecord, ClientQuotaRecord and their removals): the active controller writes
 * them, and every broker's view follows its metadata image (`sync`, from
 * broker/security/security-publisher.ts); listeners hear of each ACL added or removed.
 *
 * A `SecurityMetadataStore` is a broker's own file from before the metadata log carried them:
 * `open` reads what it still holds into `legacy`, unapplied, for the one-time migration
 * (broker/security/legacy-security-migration.ts).
 */
import type { ScramCredential, ScramMechanism } from '../protocol/sasl/scram.js';
import { type AclBinding, aclKey } from './acl.js';
import { ClientQuotas, type QuotaEntity, type QuotaKey, entityKey } from './quota/client-quotas.js';

export type SecurityChange =
  | { type: 'acl'; acl: AclBinding }
  | { type: 'remove-acl'; acl: AclBinding }
  | { type: 'scram'; user: string; mechanism: ScramMechanism; credential: ScramCredential }
  | { type: 'remove-scram'; user: string; mechanism: ScramMechanism }
  | { type: 'quota'; entity: QuotaEntity; key: QuotaKey; value: number | null };

/** A change a store from before the metadata log carried ACLs, SCRAM credentials and quotas holds. */
export type LegacySecurityChange = SecurityChange;

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

  private constructor(
    /** ACLs, SCRAM credentials and quotas the store held from before the metadata log carried them (not applied). */
    readonly legacy: readonly LegacySecurityChange[],
  ) {}

  static async open(store: SecurityMetadataStore): Promise<SecurityMetadata> {
    return new SecurityMetadata(await store.load());
  }

  /**
   * Makes the ACLs, the SCRAM credentials and/or the quotas exactly those given (what the metadata
   * image holds; a part not given is left as it is), listeners hearing of each ACL added or removed.
   */
  sync(state: { acls?: Iterable<AclBinding>; scram?: Iterable<{ user: string; mechanism: ScramMechanism; credential: ScramCredential }>; quotas?: Iterable<{ entity: QuotaEntity; key: QuotaKey; value: number }> }): void {
    if (state.acls) {
      const wanted = new Map<string, AclBinding>();
      for (const acl of state.acls) wanted.set(aclKey(acl), acl);
      for (const [k, acl] of [...this.acls]) if (!wanted.has(k)) this.apply({ type: 'remove-acl', acl });
      for (const acl of wanted.values()) this.apply({ type: 'acl', acl });
    }
    if (state.scram) {
      this.scram.clear();
      for (const s of state.scram) this.apply({ type: 'scram', ...s });
    }
    if (state.quotas) {
      const wanted = new Map<string, { entity: QuotaEntity; key: QuotaKey; value: number }>();
      for (const q of state.quotas) wanted.set(`${entityKey(q.entity)}\u0000${q.key}`, q);
      for (const { entity, values } of this.quotas.entries()) {
        for (const key of [...values.keys()]) if (!wanted.has(`${entityKey(entity)}\u0000${key}`)) this.apply({ type: 'quota', entity, key, value: null });
      }
      for (const q of wanted.values()) if (this.quotas.get(q.entity, q.key) !== q.value) this.apply({ type: 'quota', ...q });
    }
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
