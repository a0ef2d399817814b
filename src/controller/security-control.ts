/**
 * ACLs, SCRAM credentials and client quotas as the controller changes them (Kafka's
 * AclControlManager, ScramControlManager and ClientQuotaControlManager): each request is validated
 * here, against the working image, and what it changes is written as metadata records
 * (AccessControlEntryRecord / RemoveAccessControlEntryRecord, UserScramCredentialRecord /
 * RemoveUserScramCredentialRecord, ClientQuotaRecord); every node's security metadata follows
 * those records (broker/security/security-publisher.ts).
 *
 * - CreateAcls: a binding that exists already is a success and writes nothing (idempotent); a new
 *   one gets a random id.
 * - DeleteAcls: every filter is matched against the ACLs as they were before the request (as
 *   DescribeAcls matches: ANY, MATCH, LITERAL, PREFIXED); each filter answers the bindings it
 *   matched, and each matched ACL is removed once.
 * - AlterUserScramCredentials: the salted password is turned into the stored key and server key
 *   here (only those, with the salt and iterations, are written, never a password); one result per
 *   user, whose alterations apply together or not at all.
 * - AlterClientQuotas: entities and keys checked as Kafka does; removing a key that is not set
 *   writes nothing.
 *
 * Authorization is the forwarding broker's (broker/security/forward-checked.ts), as for topics.
 */
import type { Random } from '../common/random.js';
import { newUuid } from '../common/uuid.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { MetadataRecordType } from '../protocol/metadata/index.js';
import { SCRAM_MAX_ITERATIONS, SCRAM_MIN_ITERATIONS, credentialFromSaltedPassword, scramMechanismOf } from '../protocol/sasl/scram.js';
import { type AclBinding, type AclBindingFilter, aclBindingError, aclFilterError, aclKey, filterMatches } from '../security/acl.js';
import { ENTITY_TYPES, type EntityType, type QuotaEntity, quotaEntityError, quotaKeyError } from '../security/quota/client-quotas.js';
import type { ControllerWriter } from './controller-writer.js';
import type { ScramEntry } from './image/security-image.js';

export interface SecurityResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

const ok: SecurityResult = { errorCode: ErrorCode.NONE, errorMessage: null };
const fail = (errorCode: number, errorMessage: string): SecurityResult => ({ errorCode, errorMessage });

// ---- ACLs ----

/** Just the binding's fields (an image entry carries its id too). */
function bindingOf(e: AclBinding): AclBinding {
  return { resourceType: e.resourceType, resourceName: e.resourceName, patternType: e.patternType, principal: e.principal, host: e.host, operation: e.operation, permissionType: e.permissionType };
}

/** CreateAcls: one result per binding, in order. */
export function createAcls(w: ControllerWriter, random: Random, bindings: readonly AclBinding[]): SecurityResult[] {
  const existing = new Set<string>();
  for (const e of w.image.security.acls()) existing.add(aclKey(e));
  return bindings.map((b) => {
    const invalid = aclBindingError(b);
    if (invalid !== undefined) return fail(ErrorCode.INVALID_REQUEST, invalid);
    const key = aclKey(b);
    if (existing.has(key)) return ok;
    existing.add(key);
    w.emit({ apiKey: MetadataRecordType.AccessControlEntryRecord, data: { id: newUuid(random), ...bindingOf(b) } });
    return ok;
  });
}

export interface AclDeletionResult extends SecurityResult {
  readonly matches: readonly AclBinding[];
}

/** DeleteAcls: per filter, the bindings it matched (all removed), or why the filter is refused. */
export function deleteAcls(w: ControllerWriter, filters: readonly AclBindingFilter[]): AclDeletionResult[] {
  const acls = [...w.image.security.acls()];
  const removed = new Set<string>();
  const results = filters.map((f): AclDeletionResult => {
    const invalid = aclFilterError(f);
    if (invalid !== undefined) return { ...fail(ErrorCode.INVALID_REQUEST, invalid), matches: [] };
    const matched = acls.filter((e) => filterMatches(f, e));
    for (const e of matched) removed.add(e.id);
    return { ...ok, matches: matched.map(bindingOf) };
  });
  for (const id of removed) w.emit({ apiKey: MetadataRecordType.RemoveAccessControlEntryRecord, data: { id } });
  return results;
}

// ---- SCRAM credentials ----

export interface ScramDeletion {
  readonly name: string;
  readonly mechanism: number;
}

export interface ScramUpsertion extends ScramDeletion {
  readonly iterations: number;
  readonly salt: Buffer;
  readonly saltedPassword: Buffer;
}

export interface ScramResult extends SecurityResult {
  readonly user: string;
}

/** AlterUserScramCredentials: one result per user named, in the order first named. */
export function alterScramCredentials(w: ControllerWriter, deletions: readonly ScramDeletion[], upsertions: readonly ScramUpsertion[]): ScramResult[] {
  const users = [...new Set([...deletions.map((d) => d.name), ...upsertions.map((u) => u.name)])];
  const outcomes = new Map(users.map((u) => [u, { result: ok, emit: [] as (() => void)[] }]));
  const refuse = (user: string, errorCode: number, errorMessage: string) => {
    const o = outcomes.get(user)!;
    if (o.result.errorCode === ErrorCode.NONE) o.result = fail(errorCode, errorMessage);
  };
  const seen = new Set<string>();
  const once = (user: string, mechanism: number) => {
    const k = `${mechanism}\u0000${user}`;
    if (seen.has(k)) refuse(user, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
    seen.add(k);
  };
  const security = w.image.security;
  for (const d of deletions) {
    once(d.name, d.mechanism);
    if (d.name === '') refuse(d.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
    else if (!scramMechanismOf(d.mechanism)) refuse(d.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
    else if (!security.scramCredential(d.name, d.mechanism)) refuse(d.name, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
    else outcomes.get(d.name)!.emit.push(() => w.emit({ apiKey: MetadataRecordType.RemoveUserScramCredentialRecord, data: { name: d.name, mechanism: d.mechanism } }));
  }
  for (const u of upsertions) {
    once(u.name, u.mechanism);
    const mechanism = scramMechanismOf(u.mechanism);
    if (u.name === '') refuse(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
    else if (!mechanism) refuse(u.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
    else if (u.iterations < SCRAM_MIN_ITERATIONS) refuse(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations');
    else if (u.iterations > SCRAM_MAX_ITERATIONS) refuse(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations');
    else if (u.salt.length === 0) refuse(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salt must not be empty');
    else if (u.saltedPassword.length === 0) refuse(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salted password must not be empty');
    else {
      const c = credentialFromSaltedPassword(mechanism, Buffer.from(u.salt), u.saltedPassword, u.iterations);
      outcomes.get(u.name)!.emit.push(() =>
        w.emit({ apiKey: MetadataRecordType.UserScramCredentialRecord, data: { name: u.name, mechanism: u.mechanism, salt: c.salt, storedKey: c.storedKey, serverKey: c.serverKey, iterations: c.iterations } }),
      );
    }
  }
  return users.map((user) => {
    const o = outcomes.get(user)!;
    if (o.result.errorCode === ErrorCode.NONE) for (const emit of o.emit) emit();
    return { user, ...o.result };
  });
}


/**
 * Credentials a broker kept in its own file before the metadata log carried them (their derived
 * keys: no Kafka API carries those, so the migration calls this in-process): each is written
 * unless the cluster has a credential for that user and mechanism already (the cluster's wins).
 * Returns how many were written.
 */
export function importScramCredentials(w: ControllerWriter, credentials: readonly ScramEntry[]): number {
  let written = 0;
  for (const c of credentials) {
    if (!scramMechanismOf(c.mechanism) || w.image.security.scramCredential(c.name, c.mechanism)) continue;
    w.emit({ apiKey: MetadataRecordType.UserScramCredentialRecord, data: { name: c.name, mechanism: c.mechanism, salt: c.salt, storedKey: c.storedKey, serverKey: c.serverKey, iterations: c.iterations } });
    written++;
  }
  return written;
}

// ---- client quotas ----

export interface QuotaAlteration {
  readonly entity: readonly { readonly entityType: string; readonly entityName: string | null }[];
  readonly ops: readonly { readonly key: string; readonly value: number; readonly remove: boolean }[];
}

/** AlterClientQuotas: one result per entry; `validateOnly` writes nothing. */
export function alterClientQuotas(w: ControllerWriter, entries: readonly QuotaAlteration[], validateOnly: boolean): SecurityResult[] {
  return entries.map((e) => {
    const entity: QuotaEntity = {};
    for (const c of e.entity) {
      if (!(ENTITY_TYPES as readonly string[]).includes(c.entityType)) return fail(ErrorCode.INVALID_REQUEST, `Unknown entity type ${c.entityType}`);
      if (entity[c.entityType as EntityType] !== undefined) return fail(ErrorCode.INVALID_REQUEST, `Duplicate entity type ${c.entityType}`);
      entity[c.entityType as EntityType] = c.entityName;
    }
    const bad = quotaEntityError(entity);
    if (bad) return fail(ErrorCode.INVALID_REQUEST, bad);
    for (const op of e.ops) {
      const wrong = quotaKeyError(entity, op.key, op.remove ? 1 : op.value);
      if (wrong) return fail(ErrorCode.INVALID_REQUEST, wrong);
    }
    if (validateOnly) return ok;
    const components = ENTITY_TYPES.filter((t) => entity[t] !== undefined).map((t) => ({ entityType: t, entityName: entity[t] ?? null }));
    const current = currentQuotas(w, components);
    for (const op of e.ops) {
      if (op.remove && !current.has(op.key)) continue;
      w.emit({ apiKey: MetadataRecordType.ClientQuotaRecord, data: { entity: components, key: op.key, value: op.remove ? 0 : op.value, remove: op.remove } });
    }
    return ok;
  });
}

/** The quota keys set on an entity in the working image. */
function currentQuotas(w: ControllerWriter, components: readonly { entityType: string; entityName: string | null }[]): ReadonlyMap<string, number> {
  const same = (a: readonly { entityType: string; entityName: string | null }[]) =>
    a.length === components.length && a.every((c) => components.some((d) => d.entityType === c.entityType && d.entityName === c.entityName));
  for (const q of w.image.security.quotas()) if (same(q.entity)) return q.values;
  return new Map();
}
