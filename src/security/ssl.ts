/**
 * TLS settings from Kafka's `ssl.*` configs, for node:tls: PEM keystores (a file with the private
 * key and its certificate chain, or the inline `ssl.keystore.key` / `ssl.keystore.certificate.chain`,
 * the key possibly encrypted with `ssl.key.password`), PKCS12 keystores, PEM truststores, the
 * enabled protocols and cipher suites (Java's IANA names mapped to OpenSSL's). Pure: the caller
 * reads the files. JKS keystores cannot be read without a JVM and are refused with a message
 * saying how to convert them.
 */
import type { SecureContextOptions } from 'node:tls';
import { ConfigError } from '../common/config-def.js';

/** The PEM blocks of a text, by label (`CERTIFICATE`, `PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, …). */
export function pemBlocks(text: string): { label: string; pem: string }[] {
  const out: { label: string; pem: string }[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ label: m[1]!, pem: m[0] });
  return out;
}

export const certificatesOf = (text: string): string => pemBlocks(text).filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE').map((b) => b.pem).join('\n');
export const privateKeyOf = (text: string): string | undefined => pemBlocks(text).find((b) => b.label.endsWith('PRIVATE KEY'))?.pem;

/** Java's names of common TLS 1.2 suites → OpenSSL's (TLS 1.3 names are the same in both). */
const IANA_TO_OPENSSL: Readonly<Record<string, string>> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: 'DHE-RSA-AES128-GCM-SHA256',
  TLS_DHE_RSA_WITH_AES_256_GCM_SHA384: 'DHE-RSA-AES256-GCM-SHA384',
  TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'DHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: 'ECDHE-ECDSA-AES256-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: 'ECDHE-RSA-AES256-SHA384',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_256_CBC_SHA256: 'AES256-SHA256',
};
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_8_SHA256'];

/** `ssl.cipher.suites` as an OpenSSL cipher string for node:tls, or undefined for the defaults. */
export function openSslCiphers(suites: readonly string[]): string | undefined {
  if (suites.length === 0) return undefined;
  return suites
    .map((s) => {
      if (TLS13_SUITES.includes(s) || !s.startsWith('TLS_')) return s;
      const o = IANA_TO_OPENSSL[s];
      if (!o) throw new ConfigError('ssl.cipher.suites', `Unknown cipher suite ${s}: give its OpenSSL name (openssl ciphers -stdname lists both)`);
      return o;
    })
    .join(':');
}

/** `ssl.enabled.protocols` (capped by `ssl.protocol`) as node:tls's minimum and maximum versions. */
export function protocolRange(enabled: readonly string[], protocol: string): { minVersion: 'TLSv1.2' | 'TLSv1.3'; maxVersion: 'TLSv1.2' | 'TLSv1.3' } {
  const allowed = enabled.filter((p) => p === 'TLSv1.2' || p === 'TLSv1.3') as ('TLSv1.2' | 'TLSv1.3')[];
  if (allowed.length === 0) throw new ConfigError('ssl.enabled.protocols', 'ssl.enabled.protocols must include TLSv1.2 or TLSv1.3');
  const capped = protocol === 'TLSv1.2' ? allowed.filter((p) => p === 'TLSv1.2') : allowed;
  if (capped.length === 0) throw new ConfigError('ssl.protocol', `ssl.protocol ${protocol} is not among ssl.enabled.protocols`);
  return { minVersion: capped.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3', maxVersion: capped.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2' };
}

/** What the ssl.* configs of one side (a listener, or a client) resolve to, file contents read. */
export interface SslMaterial {
  keystoreType: string;
  /** The keystore file's bytes, when `ssl.keystore.location` is set. */
  keystore?: Buffer | undefined;
  keystorePassword?: string | null | undefined;
  keyPassword?: string | null | undefined;
  inlineKey?: string | null | undefined;
  inlineChain?: string | null | undefined;
  truststoreType: string;
  truststore?: Buffer | undefined;
  inlineTrusted?: string | null | undefined;
  enabledProtocols: readonly string[];
  protocol: string;
  cipherSuites: readonly string[];
}

/** The node:tls secure-context options of SSL material; throws ConfigError with what is wrong. */
export function secureContextOptions(m: SslMaterial): SecureContextOptions {
  const o: SecureContextOptions = { ...protocolRange(m.enabledProtocols, m.protocol) };
  const ciphers = openSslCiphers(m.cipherSuites);
  if (ciphers) o.ciphers = ciphers;
  if (m.inlineKey || m.inlineChain) {
    if (!m.inlineKey || !m.inlineChain) throw new ConfigError('ssl.keystore.key', 'ssl.keystore.key and ssl.keystore.certificate.chain must be set together');
    if (m.keystore) throw new ConfigError('ssl.keystore.location', 'ssl.keystore.location must not be set with ssl.keystore.key');
    o.key = m.inlineKey;
    o.cert = m.inlineChain;
    if (m.keyPassword) o.passphrase = m.keyPassword;
  } else if (m.keystore) {
    if (m.keystoreType === 'PKCS12') {
      o.pfx = m.keystore;
      const pass = m.keystorePassword ?? m.keyPassword;
      if (pass) o.passphrase = pass;
    } else if (m.keystoreType === 'PEM') {
      const text = m.keystore.toString('utf8');
      const key = privateKeyOf(text);
      const cert = certificatesOf(text);
      if (!key || !cert) throw new ConfigError('ssl.keystore.location', 'A PEM keystore must hold a private key and its certificate chain');
      o.key = key;
      o.cert = cert;
      if (m.keyPassword) o.passphrase = m.keyPassword;
    } else {
      throw new ConfigError('ssl.keystore.type', `ssl.keystore.type ${m.keystoreType} cannot be read by Samsa: use PEM or PKCS12 (keytool -importkeystore -deststoretype PKCS12 converts a JKS keystore)`);
    }
  }
  const trusted = m.inlineTrusted ?? (m.truststore ? trustedOf(m.truststoreType, m.truststore) : undefined);
  if (trusted !== undefined) o.ca = trusted;
  return o;
}

function trustedOf(type: string, bytes: Buffer): string {
  if (type !== 'PEM') throw new ConfigError('ssl.truststore.type', `ssl.truststore.type ${type} cannot be read by Samsa: use PEM (keytool -exportcert -rfc writes one)`);
  const certs = certificatesOf(bytes.toString('utf8'));
  if (!certs) throw new ConfigError('ssl.truststore.location', 'The PEM truststore holds no certificate');
  return certs;
}
