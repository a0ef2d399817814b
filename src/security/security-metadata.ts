/**
 * A broker's view of the cluster's security metadata: ACLs, SCRAM credentials (salted keys, never
 * passwords), client quotas, and the broker configs altered at run time (listener certificates).
 *
 * ACLs, SCRAM credentials and quotas are the cluster's, kept in the metadata log as Kafka's KRaft
 * records (AccessControlEntryRecord, UserScramCredentialRecord, ClientQuotaRecord and their
 * removals): the active controller writes them, and every broker's view follows its metadata
 * image (`sync`, from broker/security/security-publisher.ts); listeners hear of each ACL added or
 * removed. Run-time broker configs are this broker's own: they go through a
 * `SecurityMetadataStore` first (`commit`), then take effect here.
 *
 * A store written before the metadata log carried ACLs, SCRAM credentials and quotas may still
 * hold them: `open` keeps them aside (`legacy`), unapplied, for the one-time migration
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
  | { type: 'quota'; entity: QuotaEntity; key: QuotaKey; value: number | null }
  | { type: 'broker-config'; name: string; value: string | null };

/** A change of ACLs, SCRAM credentials or quotas (those the metadata log carries). */
export type LegacySecurityChange = Exclude<SecurityChange, { type: 'broker-config' }>;

export interface SecurityMetadataStore {
  /** Every change so far, in order (or a snapshot's worth of them); acl, scram and quota changes only in a store from before the metadata log carried them. */
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
  brokerConfigChanged?(name: string, value: string | null): void;
}

export class SecurityMetadata {
  private readonly acls = new Map<string, AclBinding>();
  private readonly scram = new Map<string, ScramCredential>();
  readonly quotas = new ClientQuotas();
  readonly brokerConfigs = new Map<string, string>();
  private readonly listeners: SecurityListener[] = [];
  /** Serialises appends, so changes apply in the order they were made durable. */
  private writing: Promise<void> = Promise.resolve();
  /** ACLs, SCRAM credentials and quotas the store held from before the metadata log carried them (not applied). */
  readonly legacy: readonly LegacySecurityChange[];

  private constructor(
    private readonly store: SecurityMetadataStore,
    loaded: readonly SecurityChange[],
  ) {
    const legacy: LegacySecurityChange[] = [];
    for (const c of loaded) {
      if (c.type === 'broker-config') this.apply(c);
      else legacy.push(c);
    }
    this.legacy = legacy;
  }

  static async open(store: SecurityMetadataStore): Promise<SecurityMetadata> {
    return new SecurityMetadata(store, await store.load());
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

  /** Makes changes durable, then applies them (run-time broker configs: the rest follows the metadata image). */
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
      case 'broker-config':
        if (c.value === null) this.brokerConfigs.delete(c.name);
        else this.brokerConfigs.set(c.name, c.value);
        for (const l of this.listeners) l.brokerConfigChanged?.(c.name, c.value);
        return;
    }
  }
}
