/**
 * Child of log-recovery.bench.ts: fills the active segment of one log with `mb` MiB of 1 MiB
 * batches (no fsync), prints "filled" and waits to be killed with SIGKILL.
 * Usage: log-recovery-child <dataDir> <mb>
 */
import { LogManager } from '../src/log/log-manager.js';
import { batchOf, logConfig } from './log-bench-support.js';

const [dataDir, mbArg] = process.argv.slice(2);
if (!dataDir || !mbArg) throw new Error('usage: log-recovery-child <dataDir> <mb>');
const cfg = logConfig({ segmentBytes: 0x7fffffff });
const manager = await LogManager.open({ dataDir, defaults: cfg, cleaner: false });
const log = await manager.createLog('recover', 0, cfg);
const pool = Array.from({ length: 8 }, (_, i) => batchOf(1024 * 1024, i));
while (log.sizeInBytes < Number(mbArg) * 1024 * 1024) await Promise.all(pool.map((b) => log.append(Buffer.from(b))));
process.stdout.write('filled\n');
setInterval(() => {}, 1000);
