/**
 * CRC-32C checks of fetched record batches on a worker thread, so that the consumer's thread
 * decodes one answer while the worker checks the next (docs/client.md, Performance: at 1 KiB
 * records the CRC was a fifth of the consumer's thread).
 *
 * A fetch answer's frame is handed over whole (its ArrayBuffer is transferred, not copied) and
 * comes back with, per byte range asked for, how far its batches were found intact and where the
 * first mismatch is. Meanwhile the frame is detached on this thread: callers keep its offsets and
 * rebuild their views from the buffer that comes back. Only whole frames the connection allocated
 * for themselves are handed over (`isOwnFrame`): a buffer shared with anything else must never be
 * detached. One worker serves the process; it is started on first use, does not keep the process
 * alive, and is used only where the native CRC-32C loads (the JS fallback's worker would work the
 * same, but this keeps the worker's code to a few lines).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { crc32cImplementation } from '../../protocol/primitives/crc32c.js';

/** What the worker found in one byte range: intact batches up to `goodEnd`, and the first mismatch. */
export interface CrcVerdict {
  /** Every complete batch that starts before this position had the CRC it stores. */
  goodEnd: number;
  /** The position of the first batch whose CRC did not match (-1: none). */
  mismatchAt: number;
  /** The CRC computed for the batch at `mismatchAt`. */
  computed: number;
}

/**
 * The worker: walks the complete v2 batches of each range (stopping at anything that is not one,
 * which the consumer's own decoding then reports) and checks each one's CRC, from the attributes
 * (byte 21) to the batch's end, against the one stored at byte 17.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { crc32c } = require(workerData.crcModule);
function check(buf, pos, end) {
  while (end - pos >= 61) {
    const size = 12 + buf.readInt32BE(pos + 8);
    if (buf[pos + 16] !== 2 || size < 61 || size > end - pos) break;
    const computed = crc32c(buf.subarray(pos + 21, pos + size)) >>> 0;
    if (computed !== buf.readUInt32BE(pos + 17)) return { goodEnd: pos, mismatchAt: pos, computed };
    pos += size;
  }
  return { goodEnd: pos, mismatchAt: -1, computed: 0 };
}
parentPort.on('message', ({ id, frame, ranges }) => {
  const buf = Buffer.from(frame);
  const verdicts = ranges.map(([start, end]) => check(buf, start, end));
  parentPort.postMessage({ id, frame, verdicts }, [frame]);
});
`;

interface Reply {
  id: number;
  frame: ArrayBuffer;
  verdicts: CrcVerdict[];
}

/** The native module's path, for the worker's require (null: no native CRC-32C here). */
function nativeModulePath(): string | null {
  if (crc32cImplementation !== 'native') return null;
  try {
    return createRequire(import.meta.url).resolve('@node-rs/crc32');
  } catch {
    return null;
  }
}

let worker: Worker | undefined;
let broken = false;
let nextId = 1;
const waiting = new Map<number, { resolve: (r: Reply) => void; reject: (err: Error) => void }>();

function start(): Worker | undefined {
  if (worker || broken) return worker;
  const crcModule = nativeModulePath();
  if (crcModule === null) {
    broken = true;
    return undefined;
  }
  // execArgv: none of the process's own flags (`--import tsx`, `--input-type=module`) apply to this script.
  const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { crcModule } });
  w.unref();
  w.on('message', (reply: Reply) => {
    const p = waiting.get(reply.id);
    waiting.delete(reply.id);
    p?.resolve(reply);
  });
  const fail = (err: Error) => {
    broken = true;
    worker = undefined;
    for (const p of waiting.values()) p.reject(err);
    waiting.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the CRC-32C thread exited with code ${code}`)));
  worker = w;
  return w;
}

/** Whether checks can be handed to the worker in this process. */
export function crcThreadAvailable(): boolean {
  return start() !== undefined;
}

/**
 * Hands `frame` (detached here until the promise settles) to the worker to check the batches in
 * each [start, end) range; resolves with the frame and one verdict per range.
 */
export function checkOnCrcThread(frame: ArrayBuffer, ranges: readonly (readonly [number, number])[]): Promise<{ frame: ArrayBuffer; verdicts: CrcVerdict[] }> {
  const w = start();
  if (!w) return Promise.reject(new Error('no CRC-32C thread'));
  const id = nextId++;
  return new Promise<Reply>((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    // A check waited on keeps the process alive, as a pending request does; an idle thread does not.
    w.ref();
    w.postMessage({ id, frame, ranges }, [frame]);
  }).finally(() => {
    if (waiting.size === 0) worker?.unref();
  });
}
