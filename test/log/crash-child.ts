/**
 * Child process of crash.test.ts: appends to one log with fsync-before-ack, keeping several
 * appends in flight (group commit), and writes "ack <firstSeq> <lastSeq> <baseOffset>" to stdout
 * for each acknowledgement, until it is killed. Usage: crash-child <dataDir> <firstSeq>
 */
import { LogManager } from '../../src/log/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../src/log/log-config.js';
import { encodeUncompressedRecordBatch } from '../../src/protocol/records/index.js';

const [dataDir, firstSeqArg] = process.argv.slice(2);
if (!dataDir || !firstSeqArg) throw new Error('usage: crash-child <dataDir> <firstSeq>');
const config = { ...DEFAULT_LOG_CONFIG, segmentBytes: 64 * 1024, indexIntervalBytes: 1024, fsyncBeforeAck: true };
const manager = await LogManager.open({ dataDir, defaults: config, cleaner: false });
const log = manager.getLog('crash', 0) ?? (await manager.createLog('crash', 0, config));
let seq = Number(firstSeqArg);
const IN_FLIGHT = 16;

function next(): void {
  const first = seq;
  const count = 1 + (seq % 5);
  seq += count;
  const records = Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${(first + i) % 100}`), value: Buffer.from(`seq:${first + i}:${'x'.repeat((first + i) % 200)}`), timestamp: BigInt(Date.now()) }));
  log.append(encodeUncompressedRecordBatch({ records })).then(
    (r) => {
      process.stdout.write(`ack ${first} ${first + count - 1} ${r.baseOffset}\n`);
      next();
    },
    (err: unknown) => {
      process.stderr.write(`append failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
}

process.stdout.write('ready\n');
for (let i = 0; i < IN_FLIGHT; i++) next();
