/**
 * `ssl.principal.mapping.rules` as Kafka's SslPrincipalMapper applies them, on distinguished names
 * written as Java writes them, and the TLS settings taken from Kafka's ssl.* configs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SslPrincipalMapper } from '../../src/security/ssl-principal-mapper.js';
import { openSslCiphers, protocolRange, secureContextOptions } from '../../src/security/ssl.js';

describe('ssl.principal.mapping.rules', () => {
  it('keeps the DN with DEFAULT', () => {
    assert.equal(new SslPrincipalMapper('DEFAULT').map('CN=alice,OU=eng,O=Acme'), 'CN=alice,OU=eng,O=Acme');
  });

  it("applies the first matching rule, with back references, L and U (Kafka's own examples)", () => {
    const m = new SslPrincipalMapper('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U,DEFAULT');
    assert.equal(m.map('CN=kafka-server1,OU=ServiceUsers,O=Org,C=US'), 'kafka-server1');
    assert.equal(m.map('CN=Duke,OU=JavaSoft,O=Sun Microsystems,L=Santa Clara,ST=CA,C=US'), 'duke@javasoft');
    assert.equal(m.map('cn=duke,ou=javasoft,dc=sun,dc=com'), 'DUKE@JAVASOFT');
    assert.equal(m.map('CN=other'), 'CN=other');
  });

  it('has no name for a DN no rule matches (the login fails), and refuses bad rules', () => {
    assert.equal(new SslPrincipalMapper('RULE:^CN=(.*),OU=x$/$1/').map('CN=a,OU=y'), undefined);
    assert.throws(() => new SslPrincipalMapper('RULE:broken'), /Invalid rule/);
  });
});

describe('TLS settings from ssl.* configs', () => {
  it('maps protocols and Java cipher names to node:tls', () => {
    assert.deepEqual(protocolRange(['TLSv1.2', 'TLSv1.3'], 'TLSv1.3'), { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    assert.deepEqual(protocolRange(['TLSv1.3'], 'TLSv1.3'), { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
    assert.equal(openSslCiphers(['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256']), 'ECDHE-RSA-AES256-GCM-SHA384:TLS_AES_128_GCM_SHA256');
    assert.throws(() => openSslCiphers(['TLS_MADE_UP_WITH_NOTHING']), /Unknown cipher suite/);
  });

  it('refuses JKS with a way out, and half of an inline keystore', () => {
    const base = { truststoreType: 'PEM', enabledProtocols: ['TLSv1.3'], protocol: 'TLSv1.3', cipherSuites: [] };
    assert.throws(() => secureContextOptions({ ...base, keystoreType: 'JKS', keystore: Buffer.from('x') }), /keytool -importkeystore/);
    assert.throws(() => secureContextOptions({ ...base, keystoreType: 'PEM', inlineKey: 'k' }), /must be set together/);
  });
});
