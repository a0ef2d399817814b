/**
 * A broker's security file from before the metadata log carried ACLs, SCRAM credentials and client
 * quotas: one JSON snapshot `<data-dir>/__samsa_metadata/security.json`, written atomically
 * through the Disk. SCRAM credentials are stored as Kafka stores them: salt, stored key, server
 * key and iterations (base64), never a password. Nothing writes new entries to it now: the broker
 * migrates what it holds once (broker/security/legacy-security-migration.ts), keeping a copy of
 * the file as it was (`keepCopy`) and then removing the migrated entries from it. Its
 * `brokerConfigs` (this broker's run-time configs, from before they were kept in the metadata log:
 * broker/config/dynamic-broker-configs.ts) are migrated likewise and kept in the file until then.
 */
import { join } from 'node:path';
import type { ScramMechanism } from '../../protocol/sasl/scram.js';
import type { AclBinding } from '../../security/acl.js';
import type { QuotaEntity, QuotaKey } from '../../security/quota/client-quotas.js';
import { entityKey } from '../../security/quota/client-quotas.js';
import { aclKey } from '../../security/acl.js';
import type { SecurityChange, SecurityMetadataStore } from '../../security/security-metadata.js';
import type { Disk } from '../../storage/disk.js';
import { readWholeFile, writeFileAtomically } from '../../storage/disk-files.js';

const FILE = 'security.json';

interface StoredScram {
  user: string;
  mechanism: ScramMechanism;
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}

interface Snapshot {
  version: 1;
  acls: AclBinding[];
  scram: StoredScram[];
  quotas: { entity: QuotaEntity; key: QuotaKey; value: number }[];
  /** Run-time configs of this broker (name → value), in files from before the metadata log kept them. */
  brokerConfigs?: Record<string, string>;
}

export class JsonSecurityStore implements SecurityMetadataStore {
  private readonly acls = new Map<string, AclBinding>();
  private readonly scram = new Map<string, StoredScram>();
  private readonly quotas = new Map<string, { entity: QuotaEntity; key: QuotaKey; value: number }>();
  private readonly brokerConfigs = new Map<string, string>();
  private dirMade = false;

  constructor(
    private readonly disk: Disk,
    /** The metadata directory (`<data-dir>/__samsa_metadata`). */
    private readonly dir: string,
  ) {}

  async load(): Promise<SecurityChange[]> {
    const text = await readWholeFile(this.disk, join(this.dir, FILE));
    if (!text) return [];
    const snap = JSON.parse(text.toString('utf8')) as Snapshot;
    for (const [name, value] of Object.entries(snap.brokerConfigs ?? {})) if (typeof value === 'string') this.brokerConfigs.set(name, value);
    const changes: SecurityChange[] = [
      ...snap.acls.map((acl): SecurityChange => ({ type: 'acl', acl })),
      ...snap.scram.map((s): SecurityChange => ({
        type: 'scram',
        user: s.user,
        mechanism: s.mechanism,
        credential: { salt: Buffer.from(s.salt, 'base64'), storedKey: Buffer.from(s.storedKey, 'base64'), serverKey: Buffer.from(s.serverKey, 'base64'), iterations: s.iterations },
      })),
      ...snap.quotas.map((q): SecurityChange => ({ type: 'quota', ...q })),
    ];
    for (const c of changes) this.fold(c);
    return changes;
  }

  async append(changes: readonly SecurityChange[]): Promise<void> {
    for (const c of changes) this.fold(c);
    await this.write();
  }

  /** The run-time broker configs the file still holds (loaded by `load`). */
  legacyBrokerConfigs(): ReadonlyMap<string, string> {
    return this.brokerConfigs;
  }

  /** Removes these run-time broker configs from the file (once the metadata log has them). */
  async forgetBrokerConfigs(names: readonly string[]): Promise<void> {
    for (const n of names) this.brokerConfigs.delete(n);
    await this.write();
  }

  private async write(): Promise<void> {
    // The directory is made on the first change (a node whose cluster metadata is in its log has none otherwise).
    if (!this.dirMade) {
      await this.disk.mkdir(this.dir);
      this.dirMade = true;
    }
    const snap: Snapshot = { version: 1, acls: [...this.acls.values()], scram: [...this.scram.values()], quotas: [...this.quotas.values()] };
    if (this.brokerConfigs.size > 0) snap.brokerConfigs = Object.fromEntries(this.brokerConfigs);
    await writeFileAtomically(this.disk, join(this.dir, FILE), Buffer.from(JSON.stringify(snap, null, 1)));
  }

  /**
   * Copies the file as it is now to `security.json<suffix>` and returns that path (undefined when
   * there is no file). A copy made before is kept: it is the file as it was before any migration.
   */
  async keepCopy(suffix: string): Promise<string | undefined> {
    const path = join(this.dir, FILE + suffix);
    if (await readWholeFile(this.disk, path)) return path;
    const text = await readWholeFile(this.disk, join(this.dir, FILE));
    if (!text) return undefined;
    await writeFileAtomically(this.disk, path, text);
    return path;
  }

  private fold(c: SecurityChange): void {
    switch (c.type) {
      case 'acl':
        this.acls.set(aclKey(c.acl), c.acl);
        break;
      case 'remove-acl':
        this.acls.delete(aclKey(c.acl));
        break;
      case 'scram':
        this.scram.set(`${c.mechanism}\u0000${c.user}`, {
          user: c.user,
          mechanism: c.mechanism,
          salt: c.credential.salt.toString('base64'),
          storedKey: c.credential.storedKey.toString('base64'),
          serverKey: c.credential.serverKey.toString('base64'),
          iterations: c.credential.iterations,
        });
        break;
      case 'remove-scram':
        this.scram.delete(`${c.mechanism}\u0000${c.user}`);
        break;
      case 'quota': {
        const k = `${entityKey(c.entity)}\u0000${c.key}`;
        if (c.value === null) this.quotas.delete(k);
        else this.quotas.set(k, { entity: c.entity, key: c.key, value: c.value });
        break;
      }
    }
  }
}
