/**
 * Child of security.bench.ts: the floor any Node program pays for TLS, without Samsa. A server
 * (node:net, or node:tls with the given PEM key and certificate) answers every request a client
 * writes with `responseBytes` bytes written in 1 MiB pieces (as the broker writes a fetch answer
 * over TLS); on the IPC channel, "cpu" asks for its CPU seconds so far.
 * Usage: tls-pipe-server <plain|tls|tls128> <responseBytes> [keyFile certFile]
 */
import { readFileSync } from 'node:fs';
import { type Socket, createServer as createNetServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

const [mode, responseArg, keyFile, certFile] = process.argv.slice(2);
const responseBytes = Number(responseArg);
const PIECE = 1 << 20;
const payload = Buffer.alloc(responseBytes, 'x');
const serve = (s: Socket) => {
  s.setNoDelay(true);
  s.on('error', () => undefined);
  s.on('data', () => {
    for (let o = 0; o < responseBytes; o += PIECE) s.write(payload.subarray(o, o + PIECE));
  });
};
// "tls": TLS 1.3 with node's defaults (AES-256-GCM, as Samsa's listeners pick by default); "tls128": AES-128-GCM (ssl.cipher.suites=TLS_AES_128_GCM_SHA256 on a listener).
const ciphers = mode === 'tls128' ? { ciphers: 'TLS_AES_128_GCM_SHA256' } : {};
const server = mode === 'plain' ? createNetServer(serve) : createTlsServer({ key: readFileSync(keyFile!), cert: readFileSync(certFile!), ...ciphers }, serve);
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
process.on('message', (m) => {
  if (m !== 'cpu') return;
  const u = process.cpuUsage();
  process.send!({ cpu: (u.user + u.system) / 1e6 });
});
process.on('disconnect', () => process.exit(0));
