/**
 * Throwaway TLS material for tests, made with Debian's openssl into a temporary directory: a CA,
 * a broker certificate for 127.0.0.1 and localhost, client certificates with chosen subjects, in
 * the forms Kafka configures (a PEM keystore with key and chain, an encrypted PKCS#8 key, PKCS12)
 * and a PEM truststore. EC P-256 keys, so that making them is quick.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const openssl = (args: string[], cwd: string) => run('openssl', args, { cwd, timeout: 30_000 });

export interface CertFiles {
  dir: string;
  caCert: string;
  caKey: string;
  /** A second CA nobody trusts (for refused certificates). */
  otherCaCert: string;
  /** Broker: PEM keystore (PKCS#8 key then certificate), its parts, an encrypted-key keystore and a PKCS12 one. */
  brokerKeystore: string;
  brokerCert: string;
  brokerKey: string;
  brokerEncryptedKeystore: string;
  brokerP12: string;
  /** The password of the encrypted key and of the PKCS12 file. */
  password: string;
  /** Makes a client certificate signed by the CA (or the untrusted one); returns its key and cert paths and a PEM keystore. */
  client(name: string, subject: string, untrusted?: boolean): Promise<{ key: string; cert: string; keystore: string }>;
  /** Makes a new broker certificate (for reload tests) with a different subject; returns its PEM keystore. */
  newBrokerKeystore(name: string, subject: string): Promise<string>;
  cleanup(): Promise<void>;
}

async function sign(dir: string, name: string, subject: string, caCert: string, caKey: string, ext: string): Promise<void> {
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], dir);
}

async function keystore(dir: string, name: string): Promise<string> {
  const path = join(dir, `${name}.keystore.pem`);
  await writeFile(path, (await readFile(join(dir, `${name}.key`), 'utf8')) + (await readFile(join(dir, `${name}.crt`), 'utf8')));
  return path;
}

export async function makeCerts(): Promise<CertFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-certs-'));
  const password = 'keystore-secret';
  for (const ca of ['ca', 'other-ca']) {
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=Samsa Test ${ca}`], dir);
  }
  const serverExt = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n';
  await sign(dir, 'broker', '/CN=localhost/O=Samsa', 'ca.crt', 'ca.key', serverExt);
  const brokerKeystore = await keystore(dir, 'broker');
  await openssl(['pkcs8', '-topk8', '-in', 'broker.key', '-out', 'broker.enc.key', '-v2', 'aes-256-cbc', '-passout', `pass:${password}`], dir);
  const brokerEncryptedKeystore = join(dir, 'broker.enc.keystore.pem');
  await writeFile(brokerEncryptedKeystore, (await readFile(join(dir, 'broker.enc.key'), 'utf8')) + (await readFile(join(dir, 'broker.crt'), 'utf8')));
  await openssl(['pkcs12', '-export', '-inkey', 'broker.key', '-in', 'broker.crt', '-out', 'broker.p12', '-passout', `pass:${password}`], dir);
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    otherCaCert: join(dir, 'other-ca.crt'),
    brokerKeystore,
    brokerCert: join(dir, 'broker.crt'),
    brokerKey: join(dir, 'broker.key'),
    brokerEncryptedKeystore,
    brokerP12: join(dir, 'broker.p12'),
    password,
    async client(name, subject, untrusted = false) {
      const ca = untrusted ? 'other-ca' : 'ca';
      await sign(dir, name, subject, `${ca}.crt`, `${ca}.key`, 'extendedKeyUsage=clientAuth\n');
      return { key: join(dir, `${name}.key`), cert: join(dir, `${name}.crt`), keystore: await keystore(dir, name) };
    },
    async newBrokerKeystore(name, subject) {
      await sign(dir, name, subject, 'ca.crt', 'ca.key', serverExt);
      return keystore(dir, name);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
