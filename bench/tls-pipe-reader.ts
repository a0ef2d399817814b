/**
 * Worker thread of security.bench.ts's node:tls pipe: the reader's TLS socket on a thread of its
 * own, to measure whether decrypting off the main thread beats it (the main thread then only gets
 * each answer whole, its buffer transferred, not copied). It reads as the Samsa client reads a
 * large frame: each decrypted record straight into the answer's own fresh buffer (`onread`, which
 * `tls.connect` honours when it makes the socket itself).
 * workerData: { port, answerBytes }; messages in: 'next' (ask for an answer), 'close'.
 * Messages out: 'ready' once the handshake is done, then each answer's ArrayBuffer.
 */
import { type ConnectionOptions, connect } from 'node:tls';
import { parentPort, workerData } from 'node:worker_threads';

const { port, answerBytes } = workerData as { port: number; answerBytes: number };
let answer = Buffer.allocUnsafeSlow(answerBytes);
let filled = 0;
const socket = connect({
  host: '127.0.0.1',
  port,
  rejectUnauthorized: false,
  onread: {
    buffer: () => answer.subarray(filled),
    callback: (n: number) => {
      filled += n;
      if (filled === answerBytes) {
        const done = answer.buffer;
        answer = Buffer.allocUnsafeSlow(answerBytes);
        filled = 0;
        parentPort!.postMessage(done, [done]);
      }
      return true;
    },
  },
} as ConnectionOptions); // node's types omit `onread`, which node:tls passes on when it makes the socket
socket.setNoDelay(true);
socket.once('secureConnect', () => parentPort!.postMessage('ready'));
parentPort!.on('message', (m) => {
  if (m === 'next') socket.write('next');
  else socket.destroy();
});
