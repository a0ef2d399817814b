/**
 * The one-time migration of a broker's own security file (`<data-dir>/__samsa_metadata/security.json`,
 * from before the metadata log carried ACLs, SCRAM credentials and client quotas) into the
 * metadata log, at start-up, once the broker has caught up with the metadata and before it serves:
 *
 * - ACLs are sent to the active controller as CreateAcls (idempotent: one the cluster has is a success);
 * - quotas as AlterClientQuotas, each key only if the cluster has none set for that entity (the
 *   cluster's value wins);
 * - SCRAM credentials are written by the active controller only when it runs in this process (a
 *   standalone node always; a combined node when it leads): the file holds their derived keys,
 *   which no Kafka API carries. Elsewhere they stay in the file, a warning names the users, and the
 *   next start tries again; a credential the cluster has for that user and mechanism wins.
 *
 * First a copy of the file as it was is kept (`security.json.migrated`); then each entry the
 * cluster now has (or has its own value for) is removed from the file, so a later start does not
 * bring back what an administrator has since deleted.
 *
 * The file's run-time broker configs (`brokerConfigs`: this broker's, from before the metadata log
 * kept them) are migrated the same way (`migrateLegacyBrokerConfigs`): sent to the active
 * controller as an IncrementalAlterConfigs SET on this broker's BROKER resource, only the names the
 * cluster has no value for on this broker (the cluster's value wins), then removed from the file
 * once this broker's image has a value for each. One Samsa does not change at run time (Kafka's
 * "Cannot update these configs dynamically") is left in the file with a warning saying to move it
 * to server.properties.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../common/clock.js';
import type { MetadataImage } from '../../controller/image/metadata-image.js';
import type { QuorumController } from '../../controller/quorum-controller.js';
import { ConfigResourceType } from '../../controller/image/image-types.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { AlterClientQuotasApi, CreateAclsApi, IncrementalAlterConfigsApi } from '../../protocol/messages/index.js';
import { SCRAM_MECHANISM_CODES } from '../../protocol/sasl/scram.js';
import { type AclBinding, aclKey } from '../../security/acl.js';
import { ENTITY_TYPES, type QuotaEntity, entityKey } from '../../security/quota/client-quotas.js';
import type { LegacySecurityChange, SecurityChange, SecurityMetadataStore } from '../../security/security-metadata.js';
import type { ControllerChannel } from '../cluster/controller-channel.js';
import { brokerConfigChangeError } from '../config/dynamic-broker-configs.js';

export const MIGRATED_COPY_SUFFIX = '.migrated';

export interface LegacySecurityMigration {
  readonly legacy: readonly LegacySecurityChange[];
  readonly store: SecurityMetadataStore & { keepCopy(suffix: string): Promise<string | undefined> };
  readonly channel: ControllerChannel;
  /** The controller in this process, if any (for SCRAM credentials). */
  readonly controller: QuorumController | undefined;
  /** This broker's metadata image. */
  readonly image: MetadataImage;
  /** Resolves once the condition holds of this broker's image. */
  whenVisible(condition: (image: MetadataImage) => boolean): Promise<void>;
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly log: Logger;
}

type Entry<T extends LegacySecurityChange['type']> = Extract<LegacySecurityChange, { type: T }>;

const imageHasAcl = (image: MetadataImage, key: string) => [...image.security.acls()].some((e) => aclKey(e) === key);
const imageQuota = (image: MetadataImage, entity: QuotaEntity, key: string): number | undefined => {
  const k = entityKey(entity);
  for (const q of image.security.quotas()) {
    const e: QuotaEntity = {};
    for (const c of q.entity) if ((ENTITY_TYPES as readonly string[]).includes(c.entityType)) e[c.entityType as keyof QuotaEntity] = c.entityName;
    if (entityKey(e) === k) return q.values.get(key);
  }
  return undefined;
};

/** Migrates what the file holds; resolves when done (what could not be migrated is logged and left in the file). */
export async function migrateLegacySecurity(m: LegacySecurityMigration): Promise<void> {
  if (m.legacy.length === 0) return;
  const acls = m.legacy.filter((c): c is Entry<'acl'> => c.type === 'acl');
  const scram = m.legacy.filter((c): c is Entry<'scram'> => c.type === 'scram');
  const quotas = m.legacy.filter((c): c is Entry<'quota'> => c.type === 'quota' && c.value !== null);
  const copy = await m.store.keepCopy(MIGRATED_COPY_SUFFIX);
  m.log.info({ acls: acls.length, scram: scram.length, quotas: quotas.length, copy }, 'migrating the security metadata of this broker into the metadata log');

  const migrated: SecurityChange[] = [];
  if (acls.length > 0 && (await createAcls(m, acls.map((c) => c.acl)))) migrated.push(...acls.map((c): SecurityChange => ({ type: 'remove-acl', acl: c.acl })));
  const newQuotas = quotas.filter((q) => imageQuota(m.image, q.entity, q.key) === undefined);
  if (await alterQuotas(m, newQuotas)) migrated.push(...quotas.map((q): SecurityChange => ({ type: 'quota', entity: q.entity, key: q.key, value: null })));
  if (scram.length > 0 && (await importScram(m, scram))) migrated.push(...scram.map((s): SecurityChange => ({ type: 'remove-scram', user: s.user, mechanism: s.mechanism })));

  // What this broker's image must have before the file forgets it.
  const visible = (image: MetadataImage) =>
    migrated.every((c) => (c.type === 'remove-acl' ? imageHasAcl(image, aclKey(c.acl)) : c.type === 'remove-scram' ? image.security.scramCredential(c.user, SCRAM_MECHANISM_CODES[c.mechanism]) !== undefined : true));
  let timer: TimerHandle | undefined;
  const seen = await Promise.race([m.whenVisible(visible).then(() => true), new Promise<boolean>((resolve) => (timer = m.clock.setTimeout(() => resolve(false), m.timeoutMs)))]);
  timer?.cancel();
  if (!seen) {
    m.log.warn('the migrated security metadata did not reach this broker in time: the file is kept as it is, and the next start tries again');
    return;
  }
  if (migrated.length > 0) await m.store.append(migrated);
}

async function createAcls(m: LegacySecurityMigration, acls: AclBinding[]): Promise<boolean> {
  try {
    const res = await m.channel.send(
      CreateAclsApi,
      { creations: acls.map((a) => ({ resourceType: a.resourceType, resourceName: a.resourceName, resourcePatternType: a.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType })) },
      { version: 3, timeoutMs: m.timeoutMs },
    );
    const failed = res.results.map((r, i) => ({ r, acl: acls[i]! })).filter(({ r }) => r.errorCode !== ErrorCode.NONE);
    for (const { r, acl } of failed) m.log.warn({ acl, errorCode: r.errorCode, errorMessage: r.errorMessage }, 'an ACL of the security file was refused by the controller');
    return failed.length === 0;
  } catch (err) {
    m.log.warn({ err: (err as Error).message }, 'could not migrate the ACLs of the security file: the next start tries again');
    return false;
  }
}

async function alterQuotas(m: LegacySecurityMigration, quotas: Entry<'quota'>[]): Promise<boolean> {
  if (quotas.length === 0) return true;
  const entity = (e: QuotaEntity) => ENTITY_TYPES.filter((t) => e[t] !== undefined).map((t) => ({ entityType: t, entityName: e[t] ?? null }));
  try {
    const res = await m.channel.send(AlterClientQuotasApi, { entries: quotas.map((q) => ({ entity: entity(q.entity), ops: [{ key: q.key, value: q.value!, remove: false }] })), validateOnly: false }, { version: 1, timeoutMs: m.timeoutMs });
    const failed = res.entries.filter((e) => e.errorCode !== ErrorCode.NONE);
    for (const e of failed) m.log.warn({ entity: e.entity, errorCode: e.errorCode, errorMessage: e.errorMessage }, 'a quota of the security file was refused by the controller');
    return failed.length === 0;
  } catch (err) {
    m.log.warn({ err: (err as Error).message }, 'could not migrate the quotas of the security file: the next start tries again');
    return false;
  }
}

async function importScram(m: LegacySecurityMigration, scram: Entry<'scram'>[]): Promise<boolean> {
  const users = [...new Set(scram.map((s) => s.user))];
  if (!m.controller?.isActive) {
    m.log.warn({ users }, 'the SCRAM credentials of the security file can be migrated only by the active controller in this process: they stay in the file until then (or re-create them with AlterUserScramCredentials)');
    return false;
  }
  try {
    const written = await m.controller.importScramCredentials(scram.map((s) => ({ name: s.user, mechanism: SCRAM_MECHANISM_CODES[s.mechanism], ...s.credential })));
    m.log.info({ users, written }, 'migrated the SCRAM credentials of the security file');
    return true;
  } catch (err) {
    m.log.warn({ err: (err as Error).message }, 'could not migrate the SCRAM credentials of the security file: the next start tries again');
    return false;
  }
}

export interface LegacyBrokerConfigsMigration extends Omit<LegacySecurityMigration, 'legacy' | 'store' | 'controller'> {
  readonly brokerId: number;
  readonly store: {
    legacyBrokerConfigs(): ReadonlyMap<string, string>;
    forgetBrokerConfigs(names: readonly string[]): Promise<void>;
    keepCopy(suffix: string): Promise<string | undefined>;
  };
}

/** Migrates the file's run-time broker configs; resolves when done (what could not be migrated is logged and left in the file). */
export async function migrateLegacyBrokerConfigs(m: LegacyBrokerConfigsMigration): Promise<void> {
  const legacy = [...m.store.legacyBrokerConfigs()];
  if (legacy.length === 0) return;
  const resourceName = String(m.brokerId);
  const copy = await m.store.keepCopy(MIGRATED_COPY_SUFFIX);
  const refused = legacy.filter(([name, value]) => brokerConfigChangeError([[name, value]], true) !== undefined);
  for (const [name, value] of refused) {
    m.log.warn({ name, value, why: brokerConfigChangeError([[name, value]], true) }, 'a broker config of the security file cannot be set at run time: set it in server.properties and remove it from security.json (it stays there until then)');
  }
  const movable = legacy.filter(([name]) => !refused.some(([r]) => r === name));
  if (movable.length === 0) return;
  const inCluster = m.image.configs(ConfigResourceType.BROKER, resourceName);
  const toSet = movable.filter(([name]) => inCluster[name] === undefined);
  m.log.info({ configs: movable.map(([name]) => name), set: toSet.map(([name]) => name), copy }, 'migrating the run-time broker configs of the security file into the metadata log');
  if (toSet.length > 0) {
    try {
      const res = await m.channel.send(
        IncrementalAlterConfigsApi,
        { resources: [{ resourceType: ConfigResourceType.BROKER, resourceName, configs: toSet.map(([name, value]) => ({ name, configOperation: 0, value })) }], validateOnly: false },
        { version: 1, timeoutMs: m.timeoutMs },
      );
      const r = res.responses[0];
      if (!r || r.errorCode !== ErrorCode.NONE) {
        m.log.warn({ errorCode: r?.errorCode, errorMessage: r?.errorMessage }, 'the controller refused the broker configs of the security file: they stay in the file, and the next start tries again');
        return;
      }
    } catch (err) {
      m.log.warn({ err: (err as Error).message }, 'could not migrate the broker configs of the security file: the next start tries again');
      return;
    }
  }
  const names = movable.map(([name]) => name);
  const visible = (image: MetadataImage) => {
    const now = image.configs(ConfigResourceType.BROKER, resourceName);
    return names.every((n) => now[n] !== undefined);
  };
  let timer: TimerHandle | undefined;
  const seen = await Promise.race([m.whenVisible(visible).then(() => true), new Promise<boolean>((resolve) => (timer = m.clock.setTimeout(() => resolve(false), m.timeoutMs)))]);
  timer?.cancel();
  if (!seen) {
    m.log.warn('the migrated broker configs did not reach this broker in time: the file is kept as it is, and the next start tries again');
    return;
  }
  await m.store.forgetBrokerConfigs(names);
}
