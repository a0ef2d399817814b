/**
 * The authorizer's decisions against the rules of Kafka's StandardAuthorizer: literal, wildcard
 * and prefixed patterns, principals and the `User:*` wildcard, hosts, DENY over ALLOW, implied
 * operations (for ALLOW only), super users, the no-ACL rule, authorized operations (KIP-430),
 * authorizeByResourceType, and filters as DescribeAcls/DeleteAcls match them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AclBinding, AclOperation as Op, AclPermissionType as Perm, PatternType, ResourceType as RT, aclBindingError, filterMatches } from '../../src/security/acl.js';
import { StandardAuthorizer } from '../../src/security/authorizer.js';

const acl = (over: Partial<AclBinding>): AclBinding => ({ resourceType: RT.TOPIC, resourceName: 'orders', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: Op.READ, permissionType: Perm.ALLOW, ...over });
const alice = { principal: 'User:alice', clientHost: '10.0.0.1' };
const bob = { principal: 'User:bob', clientHost: '10.0.0.2' };
const authz = (acls: AclBinding[], o: { superUsers?: string[]; allowEveryone?: boolean } = {}) => new StandardAuthorizer({ superUsers: o.superUsers ?? [], allowEveryoneIfNoAclFound: o.allowEveryone ?? false }, acls);

describe('StandardAuthorizer', () => {
  it('allows what a literal ALLOW names, for that principal only', () => {
    const a = authz([acl({})]);
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'orders'), true);
    assert.equal(a.authorize(bob, Op.READ, RT.TOPIC, 'orders'), false);
    assert.equal(a.authorize(alice, Op.WRITE, RT.TOPIC, 'orders'), false);
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'orders2'), false);
    assert.equal(a.authorize(alice, Op.READ, RT.GROUP, 'orders'), false);
  });

  it('applies wildcard resources, prefixes and the User:* principal', () => {
    const a = authz([acl({ resourceName: '*', operation: Op.DESCRIBE }), acl({ resourceName: 'logs-', patternType: PatternType.PREFIXED, principal: 'User:*', operation: Op.WRITE })]);
    assert.equal(a.authorize(alice, Op.DESCRIBE, RT.TOPIC, 'anything'), true);
    assert.equal(a.authorize(bob, Op.WRITE, RT.TOPIC, 'logs-app'), true);
    assert.equal(a.authorize(bob, Op.WRITE, RT.TOPIC, 'logs'), false, 'the prefix is longer than the name');
    assert.equal(a.authorize(bob, Op.WRITE, RT.TOPIC, 'applogs-x'), false);
  });

  it('matches hosts exactly or by *', () => {
    const a = authz([acl({ host: '10.0.0.1' })]);
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'orders'), true);
    assert.equal(a.authorize({ ...alice, clientHost: '10.0.0.9' }, Op.READ, RT.TOPIC, 'orders'), false);
  });

  it('lets a DENY win over any ALLOW, from any pattern', () => {
    const a = authz([acl({ operation: Op.ALL }), acl({ resourceName: 'ord', patternType: PatternType.PREFIXED, permissionType: Perm.DENY, operation: Op.WRITE })]);
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'orders'), true);
    assert.equal(a.authorize(alice, Op.WRITE, RT.TOPIC, 'orders'), false);
    const b = authz([acl({ principal: 'User:*' }), acl({ permissionType: Perm.DENY, host: '10.0.0.1' })]);
    assert.equal(b.authorize(alice, Op.READ, RT.TOPIC, 'orders'), false);
    assert.equal(b.authorize(bob, Op.READ, RT.TOPIC, 'orders'), true);
    const c = authz([acl({}), acl({ resourceName: '*', permissionType: Perm.DENY, operation: Op.ALL })]);
    assert.equal(c.authorize(alice, Op.READ, RT.TOPIC, 'orders'), false);
  });

  it('implies DESCRIBE from READ, WRITE, DELETE, ALTER and DESCRIBE_CONFIGS from ALTER_CONFIGS, for ALLOW only', () => {
    for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]) assert.equal(authz([acl({ operation: op })]).authorize(alice, Op.DESCRIBE, RT.TOPIC, 'orders'), true);
    assert.equal(authz([acl({ operation: Op.CREATE })]).authorize(alice, Op.DESCRIBE, RT.TOPIC, 'orders'), false);
    assert.equal(authz([acl({ operation: Op.ALTER_CONFIGS })]).authorize(alice, Op.DESCRIBE_CONFIGS, RT.TOPIC, 'orders'), true);
    const denyRead = authz([acl({ operation: Op.DESCRIBE }), acl({ permissionType: Perm.DENY })]);
    assert.equal(denyRead.authorize(alice, Op.DESCRIBE, RT.TOPIC, 'orders'), true, 'DENY READ does not deny DESCRIBE');
  });

  it('allows super users everything, even against a DENY', () => {
    const a = authz([acl({ principal: 'User:root', permissionType: Perm.DENY, operation: Op.ALL })], { superUsers: ['User:root'] });
    assert.equal(a.authorize({ principal: 'User:root', clientHost: '1.1.1.1' }, Op.ALTER, RT.CLUSTER, 'kafka-cluster'), true);
  });

  it('decides by allow.everyone.if.no.acl.found only when no ACL names the resource', () => {
    const open = authz([acl({})], { allowEveryone: true });
    assert.equal(open.authorize(bob, Op.WRITE, RT.TOPIC, 'other'), true);
    assert.equal(open.authorize(bob, Op.WRITE, RT.TOPIC, 'orders'), false, 'orders has an ACL (for alice)');
    assert.equal(authz([], {}).authorize(bob, Op.READ, RT.TOPIC, 'x'), false);
  });

  it('answers authorized operations as KIP-430 bitfields', () => {
    const a = authz([acl({ operation: Op.READ }), acl({ operation: Op.ALTER_CONFIGS })]);
    assert.equal(a.authorizedOperations(alice, RT.TOPIC, 'orders'), (1 << Op.READ) | (1 << Op.DESCRIBE) | (1 << Op.ALTER_CONFIGS) | (1 << Op.DESCRIBE_CONFIGS));
    assert.equal(a.authorizedOperations(bob, RT.TOPIC, 'orders'), 0);
  });

  it('authorizes by resource type as Kafka does (IDEMPOTENT_WRITE fallback)', () => {
    assert.equal(authz([acl({ operation: Op.WRITE, resourceName: 'x' })]).authorizeByResourceType(alice, Op.WRITE, RT.TOPIC), true);
    assert.equal(authz([acl({ operation: Op.WRITE, resourceName: 'x' }), acl({ operation: Op.WRITE, resourceName: 'x', permissionType: Perm.DENY })]).authorizeByResourceType(alice, Op.WRITE, RT.TOPIC), false);
    assert.equal(authz([acl({ operation: Op.WRITE, resourceName: 'ab', patternType: PatternType.PREFIXED }), acl({ operation: Op.WRITE, resourceName: 'a', patternType: PatternType.PREFIXED, permissionType: Perm.DENY })]).authorizeByResourceType(alice, Op.WRITE, RT.TOPIC), false);
    assert.equal(authz([acl({ operation: Op.WRITE, resourceName: 'x' })]).authorizeByResourceType(bob, Op.WRITE, RT.TOPIC), false);
  });

  it('adds and removes ACLs (with their prefix index)', () => {
    const a = authz([]);
    const p = acl({ resourceName: 'ab', patternType: PatternType.PREFIXED });
    assert.equal(a.add(p), true);
    assert.equal(a.add(p), false);
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'abc'), true);
    assert.equal(a.remove(p), true);
    assert.equal(a.authorize(alice, Op.READ, RT.TOPIC, 'abc'), false);
    assert.equal(a.size, 0);
  });

  it('matches filters as DescribeAcls does (ANY, MATCH, exact)', () => {
    const lit = acl({});
    const pre = acl({ resourceName: 'ord', patternType: PatternType.PREFIXED });
    const wild = acl({ resourceName: '*' });
    const f = { resourceType: RT.ANY, resourceName: 'orders', patternType: PatternType.MATCH, principal: null, host: null, operation: Op.ANY, permissionType: Perm.ANY };
    assert.deepEqual([lit, pre, wild].map((b) => filterMatches(f, b)), [true, true, true]);
    assert.deepEqual([lit, pre, wild].map((b) => filterMatches({ ...f, patternType: PatternType.LITERAL }, b)), [true, false, false]);
    assert.deepEqual([lit, pre, wild].map((b) => filterMatches({ ...f, resourceName: null, patternType: PatternType.ANY, principal: 'User:bob' }, b)), [false, false, false]);
  });

  it("validates new ACLs with Kafka's rules", () => {
    assert.equal(aclBindingError(acl({})), undefined);
    assert.match(aclBindingError(acl({ patternType: PatternType.MATCH }))!, /LITERAL and PREFIXED/);
    assert.match(aclBindingError(acl({ principal: 'alice' }))!, /Could not parse principal/);
    assert.match(aclBindingError(acl({ resourceType: RT.CLUSTER, resourceName: 'x' }))!, /kafka-cluster/);
    assert.equal(aclBindingError(acl({ resourceType: RT.GROUP, operation: Op.WRITE })), undefined, 'Kafka stores an operation its resource type has no use for');
    assert.match(aclBindingError(acl({ operation: Op.ANY }))!, /Invalid operation/);
  });

  it('decides in microseconds with 10,000 ACLs', () => {
    const acls: AclBinding[] = [];
    for (let i = 0; i < 10_000; i++) acls.push(acl({ resourceName: i % 3 === 0 ? `p${i}-` : `t${i}`, patternType: i % 3 === 0 ? PatternType.PREFIXED : PatternType.LITERAL, principal: `User:u${i % 100}` }));
    const a = authz(acls);
    const t0 = process.hrtime.bigint();
    let allowed = 0;
    for (let i = 0; i < 10_000; i++) if (a.authorize({ principal: `User:u${i % 100}`, clientHost: '1.2.3.4' }, Op.READ, RT.TOPIC, `t${i}`)) allowed++;
    const perCheckUs = Number(process.hrtime.bigint() - t0) / 1000 / 10_000;
    assert.ok(allowed > 6000);
    assert.ok(perCheckUs < 200, `${perCheckUs} µs per check`);
  });
});
