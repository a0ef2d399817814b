/**
 * The controller's ACL, SCRAM and quota operations (security-control.ts) on a working image:
 * validation, idempotent creation, deletion by filter (LITERAL, PREFIXED, ANY, MATCH), SCRAM
 * iteration bounds and all-or-nothing per user, quota removal — and that what they write, replayed
 * as every node replays it and written back as a snapshot's records, gives the same image.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../src/common/random.js';
import { ControllerWriter } from '../../src/controller/controller-writer.js';
import { encodeImage, imageDigest } from '../../src/controller/image/image-records.js';
import { MetadataImage } from '../../src/controller/image/metadata-image.js';
import { alterClientQuotas, alterScramCredentials, createAcls, deleteAcls } from '../../src/controller/security-control.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { decodeMetadataRecord } from '../../src/protocol/metadata-record-serde.js';
import { credentialFromSaltedPassword, saltedPassword } from '../../src/protocol/sasl/scram.js';
import { type AclBinding, AclOperation, AclPermissionType, PatternType, ResourceType } from '../../src/security/acl.js';

const random = seededRandom(7);
const writer = (image: MetadataImage) => new ControllerWriter(image, 0, 0);

const acl = (over: Partial<AclBinding> = {}): AclBinding => ({
  resourceType: ResourceType.TOPIC,
  resourceName: 'orders',
  patternType: PatternType.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: AclOperation.READ,
  permissionType: AclPermissionType.ALLOW,
  ...over,
});

const anyFilter = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: AclOperation.ANY, permissionType: AclPermissionType.ANY };

describe('ACLs on the controller', () => {
  it('validates each binding and writes only valid, new ones; creating an existing one again is a success that writes nothing', () => {
    const image = new MetadataImage();
    const w = writer(image);
    const results = createAcls(w, random, [
      acl(),
      acl({ patternType: PatternType.MATCH }),
      acl({ principal: 'alice' }),
      acl({ resourceType: ResourceType.CLUSTER, resourceName: 'other' }),
      acl({ operation: AclOperation.CLUSTER_ACTION }), // no use on a topic, but valid, as in Kafka
      acl(),
    ]);
    assert.deepEqual(
      results.map((r) => r.errorCode),
      [ErrorCode.NONE, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.NONE, ErrorCode.NONE],
    );
    assert.match(results[2]!.errorMessage!, /principal/);
    assert.equal(w.records.length, 2, 'the duplicate in the same request writes nothing');
    assert.equal([...image.security.acls()].length, 2);
    const again = writer(image);
    assert.deepEqual(createAcls(again, random, [acl()]), [{ errorCode: ErrorCode.NONE, errorMessage: null }]);
    assert.equal(again.records.length, 0);
  });

  it('deletes what each filter matches — LITERAL, PREFIXED, ANY, MATCH — answering each filter its matches and removing each ACL once', () => {
    const image = new MetadataImage();
    const literal = acl();
    const prefixed = acl({ resourceName: 'ord', patternType: PatternType.PREFIXED, operation: AclOperation.WRITE });
    const wildcard = acl({ resourceName: '*', principal: 'User:bob' });
    const group = acl({ resourceType: ResourceType.GROUP, resourceName: 'g', principal: 'User:bob' });
    createAcls(writer(image), random, [literal, prefixed, wildcard, group]);

    // A PREFIXED filter matches only the PREFIXED binding of that exact prefix.
    let w = writer(image);
    let res = deleteAcls(w, [{ ...anyFilter, resourceType: ResourceType.TOPIC, resourceName: 'ord', patternType: PatternType.PREFIXED }]);
    assert.deepEqual(res[0]!.matches, [prefixed]);
    assert.equal(w.records.length, 1);
    assert.equal([...image.security.acls()].length, 3);

    createAcls(writer(image), random, [prefixed]);
    // MATCH on `orders` matches the literal, the wildcard and the prefix; a second filter (ANY by principal) overlaps it.
    w = writer(image);
    res = deleteAcls(w, [
      { ...anyFilter, resourceType: ResourceType.TOPIC, resourceName: 'orders', patternType: PatternType.MATCH },
      { ...anyFilter, principal: 'User:bob' },
      { ...anyFilter, operation: AclOperation.UNKNOWN },
    ]);
    const key = (b: AclBinding) => `${b.resourceType}/${b.resourceName}/${b.patternType}/${b.principal}/${b.operation}`;
    assert.deepEqual(res[0]!.matches.map(key).sort(), [literal, prefixed, wildcard].map(key).sort());
    assert.deepEqual(res[1]!.matches.map(key).sort(), [wildcard, group].map(key).sort());
    assert.equal(res[2]!.errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(w.records.length, 4, 'the wildcard ACL matched by two filters is removed once');
    assert.equal([...image.security.acls()].length, 0);
  });
});

describe('SCRAM credentials on the controller', () => {
  const salt = Buffer.from('some-salt');
  const up = (name: string, iterations: number, mechanism = 1) => ({ name, mechanism, iterations, salt, saltedPassword: saltedPassword('SCRAM-SHA-256', `${name}-secret`, salt, iterations) });

  it('holds iterations to 4096..16384 and writes the stored key and server key, never the salted password', () => {
    const image = new MetadataImage();
    const w = writer(image);
    const res = alterScramCredentials(w, [], [up('low', 4095), up('min', 4096), up('max', 16384), up('high', 16385)]);
    assert.deepEqual(
      res.map((r) => [r.user, r.errorCode]),
      [
        ['low', ErrorCode.UNACCEPTABLE_CREDENTIAL],
        ['min', ErrorCode.NONE],
        ['max', ErrorCode.NONE],
        ['high', ErrorCode.UNACCEPTABLE_CREDENTIAL],
      ],
    );
    const u = up('min', 4096);
    const expected = credentialFromSaltedPassword('SCRAM-SHA-256', salt, u.saltedPassword, 4096);
    const stored = image.security.scramCredential('min', 1)!;
    assert.deepEqual([stored.storedKey, stored.serverKey, stored.iterations], [expected.storedKey, expected.serverKey, 4096]);
    for (const r of w.records) assert.ok(!r.includes(u.saltedPassword));
  });

  it("applies a user's alterations together or not at all, and refuses unknown mechanisms and deletions of what does not exist", () => {
    const image = new MetadataImage();
    alterScramCredentials(writer(image), [], [up('carol', 4096)]);
    const w = writer(image);
    const res = alterScramCredentials(w, [{ name: 'carol', mechanism: 1 }, { name: 'dave', mechanism: 2 }, { name: 'erin', mechanism: 9 }], [up('carol', 8192, 2), up('frank', 4096), up('frank', 8192)]);
    assert.deepEqual(
      res.map((r) => [r.user, r.errorCode]),
      [
        ['carol', ErrorCode.NONE],
        ['dave', ErrorCode.RESOURCE_NOT_FOUND],
        ['erin', ErrorCode.UNSUPPORTED_SASL_MECHANISM],
        ['frank', ErrorCode.DUPLICATE_RESOURCE],
      ],
    );
    assert.equal(image.security.scramCredential('carol', 1), undefined, 'deleted');
    assert.equal(image.security.scramCredential('carol', 2)?.iterations, 8192);
    assert.equal(image.security.scramCredential('frank', 1), undefined, 'neither of the two alterations of frank applied');
    assert.equal(w.records.length, 2);
  });
});

describe('client quotas on the controller', () => {
  const user = (name: string | null) => [{ entityType: 'user', entityName: name }];

  it('sets and removes quota keys; removing a key that is not set writes nothing; validateOnly writes nothing', () => {
    const image = new MetadataImage();
    let w = writer(image);
    const res = alterClientQuotas(
      w,
      [
        { entity: user('alice'), ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }, { key: 'consumer_byte_rate', value: 2048, remove: false }] },
        { entity: user(null), ops: [{ key: 'request_percentage', value: 50, remove: false }] },
      ],
      false,
    );
    assert.deepEqual(res.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.NONE]);
    const quotas = () => [...image.security.quotas()].map((q) => [q.entity.map((c) => `${c.entityType}=${c.entityName}`).join(','), Object.fromEntries(q.values)]);
    assert.deepEqual(quotas(), [
      ['user=alice', { producer_byte_rate: 1024, consumer_byte_rate: 2048 }],
      ['user=null', { request_percentage: 50 }],
    ]);
    w = writer(image);
    alterClientQuotas(w, [{ entity: user('alice'), ops: [{ key: 'producer_byte_rate', value: 0, remove: true }, { key: 'request_percentage', value: 0, remove: true }] }], false);
    assert.equal(w.records.length, 1, 'only the key that was set is removed');
    w = writer(image);
    alterClientQuotas(w, [{ entity: user(null), ops: [{ key: 'request_percentage', value: 0, remove: true }] }, { entity: user('bob'), ops: [{ key: 'producer_byte_rate', value: 1, remove: false }] }], true);
    assert.equal(w.records.length, 0);
    assert.deepEqual(quotas(), [
      ['user=alice', { consumer_byte_rate: 2048 }],
      ['user=null', { request_percentage: 50 }],
    ]);
  });

  it('refuses what Kafka refuses, entry by entry', () => {
    const image = new MetadataImage();
    const w = writer(image);
    const res = alterClientQuotas(
      w,
      [
        { entity: [{ entityType: 'tenant', entityName: 'x' }], ops: [] },
        { entity: [...user('a'), { entityType: 'ip', entityName: '1.2.3.4' }], ops: [] },
        { entity: user('a'), ops: [{ key: 'connection_creation_rate', value: 5, remove: false }] },
        { entity: user('a'), ops: [{ key: 'producer_byte_rate', value: -1, remove: false }] },
        { entity: [{ entityType: 'ip', entityName: '1.2.3.4' }], ops: [{ key: 'connection_creation_rate', value: 5, remove: false }] },
      ],
      false,
    );
    assert.deepEqual(res.map((r) => r.errorCode), [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.NONE]);
    assert.equal(w.records.length, 1);
  });
});

describe('security records in snapshots', () => {
  it('an image with ACLs, credentials and quotas written as records and replayed is the same image', () => {
    const image = new MetadataImage();
    createAcls(writer(image), random, [acl(), acl({ resourceName: 'p-', patternType: PatternType.PREFIXED })]);
    alterScramCredentials(writer(image), [], [{ name: 'u', mechanism: 2, iterations: 4096, salt: Buffer.from('s'), saltedPassword: Buffer.alloc(64, 1) }]);
    alterClientQuotas(writer(image), [{ entity: [{ entityType: 'client-id', entityName: 'app' }, { entityType: 'user', entityName: 'a' }], ops: [{ key: 'consumer_byte_rate', value: 10, remove: false }] }], false);
    const copy = new MetadataImage();
    for (const r of encodeImage(image)) copy.apply(decodeMetadataRecord(r));
    assert.equal(imageDigest(copy), imageDigest(image));
    assert.equal([...copy.security.acls()].length, 2);
    assert.ok(copy.security.scramCredential('u', 2));
    assert.equal([...copy.security.quotas()].length, 1);
  });
});
