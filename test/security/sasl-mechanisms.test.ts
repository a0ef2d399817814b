/**
 * The SASL mechanisms' server sides on their own: SCRAM-SHA-256 against RFC 7677's test vector
 * (the exact messages), SCRAM-SHA-512 with the client side, wrong passwords, unknown users and
 * tampered messages; PLAIN's message rules; OAUTHBEARER with unsecured and JWKS-signed tokens.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { formatOAuthBearerInitial, parseOAuthBearerInitial, unsecuredJws } from '../../src/protocol/sasl/oauthbearer.js';
import { type ScramMechanism, clientFinal, credentialFromSaltedPassword, formatClientFirst, parseServerFinal, parseServerFirst, saltedPassword } from '../../src/protocol/sasl/scram.js';
import { parseJaasConfig } from '../../src/security/jaas.js';
import { JwksValidator, UnsecuredJwsValidator } from '../../src/security/oauth/validator.js';
import { OAuthBearerServer } from '../../src/security/sasl/oauthbearer.js';
import { PlainServer, plainUsersFromJaas } from '../../src/security/sasl/plain.js';
import { SaslAuthenticationError } from '../../src/security/sasl/sasl-server.js';
import { ScramServer } from '../../src/security/sasl/scram.js';

const credential = (mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number) => credentialFromSaltedPassword(mechanism, salt, saltedPassword(mechanism, password, salt, iterations), iterations);

describe('SCRAM', () => {
  it("follows RFC 7677's SCRAM-SHA-256 exchange byte for byte", () => {
    const cred = credential('SCRAM-SHA-256', 'pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
    const server = new ScramServer('SCRAM-SHA-256', (u) => (u === 'user' ? cred : undefined), () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
    const first = server.evaluate(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')).toString();
    assert.equal(first, 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const final = server.evaluate(Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=')).toString();
    assert.equal(final, 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    assert.equal(server.complete, true);
    assert.equal(server.authorizationId, 'user');
  });

  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    const cred = credential(mechanism, 'secret', Buffer.from('salt-of-alice'), 8192);
    const lookup = (u: string) => (u === 'al,i=ce' ? cred : undefined);
    const login = (user: string, password: string, tamper?: (m: string) => string) => {
      const server = new ScramServer(mechanism, lookup, () => 'servernonce');
      const first = formatClientFirst(user, 'clientnonce');
      const serverFirst = parseServerFirst(server.evaluate(Buffer.from(first.message)).toString())!;
      const final = clientFinal(mechanism, password, first.bare, serverFirst);
      const reply = parseServerFinal(server.evaluate(Buffer.from(tamper ? tamper(final.message) : final.message)).toString());
      return { server, reply, expected: final.expectedServerSignature };
    };

    it(`${mechanism}: the client's proof verifies, the server's signature too, names with , and = escaped`, () => {
      const { server, reply, expected } = login('al,i=ce', 'secret');
      assert.ok(reply && 'signature' in reply && reply.signature.equals(expected));
      assert.equal(server.authorizationId, 'al,i=ce');
    });

    it(`${mechanism}: a wrong password, an unknown user and a changed nonce fail with Kafka's message`, () => {
      const message = `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`;
      assert.throws(() => login('al,i=ce', 'wrong'), (e: Error) => e instanceof SaslAuthenticationError && e.message === message);
      assert.throws(() => login('bob', 'secret'), (e: Error) => e instanceof SaslAuthenticationError && e.message === message);
      assert.throws(() => login('al,i=ce', 'secret', (m) => m.replace('servernonce', 'othernonce')), SaslAuthenticationError);
      assert.throws(() => login('al,i=ce', 'secret', (m) => m.replace(/p=.*/, 'p=AAAA')), SaslAuthenticationError);
    });
  }

  it('refuses delegation tokens, a different authorization id, and garbage', () => {
    const cred = credential('SCRAM-SHA-256', 'x', Buffer.from('s'), 4096);
    const server = () => new ScramServer('SCRAM-SHA-256', () => cred, () => 'n');
    assert.throws(() => server().evaluate(Buffer.from('n,,n=a,r=x,tokenauth=true')), SaslAuthenticationError);
    assert.throws(() => server().evaluate(Buffer.from('n,a=b,n=a,r=x')), /different from username/);
    assert.throws(() => server().evaluate(Buffer.from('p=tls-unique,,n=a,r=x')), SaslAuthenticationError);
    assert.throws(() => server().evaluate(Buffer.from([0xff, 0, 1])), SaslAuthenticationError);
  });
});

describe('PLAIN', () => {
  const users = plainUsersFromJaas(parseJaasConfig('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="a \\"quoted\\" one";').options);

  it('takes the users from the JAAS config, with quoted values', () => {
    assert.deepEqual([...users], [['admin', 'admin-secret'], ['alice', 'a "quoted" one']]);
  });

  it('accepts the right password, with or without an equal authorization id', () => {
    const s = new PlainServer(users);
    assert.equal(s.evaluate(Buffer.from('\u0000alice\u0000a "quoted" one')).length, 0);
    assert.equal(s.authorizationId, 'alice');
    assert.equal(new PlainServer(users).evaluate(Buffer.from('admin\u0000admin\u0000admin-secret')).length, 0);
  });

  it("refuses with Kafka's messages", () => {
    const fail = (token: string, message: RegExp) => assert.throws(() => new PlainServer(users).evaluate(Buffer.from(token)), (e: Error) => e instanceof SaslAuthenticationError && message.test(e.message));
    fail('\u0000alice\u0000wrong', /Invalid username or password/);
    fail('\u0000nobody\u0000x', /Invalid username or password/);
    fail('\u0000\u0000x', /username not specified/);
    fail('\u0000alice\u0000', /password not specified/);
    fail('admin\u0000alice\u0000a "quoted" one', /authorization id that is different/);
    fail('just garbage', /expected 3 tokens, got 1/);
  });
});

describe('OAUTHBEARER', () => {
  const now = 1_700_000_000_000;
  const clock = () => now;

  it('parses the client first message with extensions and writes it back', () => {
    const msg = formatOAuthBearerInitial('a.b.c', { traceId: '42' });
    assert.deepEqual(parseOAuthBearerInitial(msg), { token: 'a.b.c', authorizationId: '', extensions: new Map([['traceId', '42']]) });
    assert.equal(parseOAuthBearerInitial('n,,\u0001auth=Basic abc\u0001\u0001'), undefined);
  });

  it('accepts an unsecured token for its subject, refuses an expired one with an error challenge', async () => {
    const good = unsecuredJws({ sub: 'alice', iat: now / 1000, exp: now / 1000 + 60, scope: 'read write' });
    const s = new OAuthBearerServer(new UnsecuredJwsValidator({}, clock));
    assert.equal((await s.evaluate(Buffer.from(formatOAuthBearerInitial(good)))).length, 0);
    assert.equal(s.authorizationId, 'alice');
    assert.equal(s.credentialExpiresAtMs, now + 60_000);

    const expired = unsecuredJws({ sub: 'alice', exp: now / 1000 - 1 });
    const t = new OAuthBearerServer(new UnsecuredJwsValidator({}, clock));
    const challenge = JSON.parse((await t.evaluate(Buffer.from(formatOAuthBearerInitial(expired)))).toString()) as { status: string };
    assert.equal(challenge.status, 'invalid_token');
    await assert.rejects(t.evaluate(Buffer.from([1])), (e: Error) => e instanceof SaslAuthenticationError && e.message.includes('invalid_token'));
  });

  it('checks the required scope and refuses signed tokens in unsecured mode', async () => {
    const v = new UnsecuredJwsValidator({ requiredScope: ['kafka'] }, clock);
    assert.equal((v.validate(unsecuredJws({ sub: 'a', exp: now / 1000 + 60, scope: 'other' })) as { errorStatus: string }).errorStatus, 'insufficient_scope');
    assert.ok('token' in v.validate(unsecuredJws({ sub: 'a', exp: now / 1000 + 60, scope: ['kafka', 'x'] })));
    const signedLooking = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from('{"sub":"a","exp":9999999999}').toString('base64url')}.c2ln`;
    assert.ok(!('token' in v.validate(signedLooking)));
  });

  it('verifies RS256 and ES256 tokens against a JWKS, with audience and issuer, and refuses forged ones', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwks = JSON.stringify({ keys: [{ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'r1', alg: 'RS256', use: 'sig' }, { ...ec.publicKey.export({ format: 'jwk' }), kid: 'e1' }] });
    const token = (alg: string, kid: string, key: Parameters<typeof sign>[2], claims: object) => {
      const input = `${Buffer.from(JSON.stringify({ alg, kid, typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
    };
    const claims = { sub: 'svc', iss: 'https://idp', aud: ['kafka'], exp: now / 1000 + 300 };
    let loads = 0;
    const v = new JwksValidator({ loadJwks: async () => (loads++, jwks), expectedAudience: ['kafka'], expectedIssuer: 'https://idp', subClaimName: 'sub', scopeClaimName: 'scope', clockSkewSeconds: 30, refreshMs: 3_600_000, now: clock });
    await v.refresh();
    const ok = await v.validate(token('RS256', 'r1', rsa.privateKey, claims));
    assert.ok('token' in ok && ok.token.principalName === 'svc');
    const ecOk = await v.validate(token('ES256', 'e1', { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }, claims));
    assert.ok('token' in ecOk, JSON.stringify(ecOk));
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    assert.ok(!('token' in (await v.validate(token('RS256', 'r1', other.privateKey, claims)))), 'a token signed by another key is refused');
    assert.ok(!('token' in (await v.validate(token('RS256', 'r1', rsa.privateKey, { ...claims, aud: 'other' })))), 'wrong audience');
    assert.ok(!('token' in (await v.validate(token('RS256', 'r1', rsa.privateKey, { ...claims, iss: 'evil' })))), 'wrong issuer');
    assert.ok(!('token' in (await v.validate(token('RS256', 'r1', rsa.privateKey, { ...claims, exp: now / 1000 - 60 })))), 'expired beyond the skew');
    assert.ok(!('token' in (await v.validate(unsecuredJws(claims)))), 'alg none is refused');
    const before = loads;
    assert.ok(!('token' in (await v.validate(token('RS256', 'unknown-kid', rsa.privateKey, claims)))));
    assert.equal(loads, before + 1, 'an unknown kid reads the JWKS again');
  });
});
