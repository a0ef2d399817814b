/**
 * The latency benchmark's account of the machine (bench/machine-load.ts): GC pauses read from
 * V8's own `--trace-gc` lines, and the run-queue wait of a process's main thread.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { runQueueWaitMs, tracedGcPauses } from '../../bench/machine-load.js';

test('every scavenge and mark-compact that node --trace-gc prints is read as a pause of its main thread', () => {
  // A child that allocates enough to scavenge, then asks for a full GC.
  const out = spawnSync(process.execPath, ['--trace-gc', '--expose-gc', '-e', 'let a = []; for (let i = 0; i < 300000; i++) a.push({ i }); globalThis.gc(); console.log(a.length)'], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const lines = out.stdout.split('\n').filter((l) => /: (Scavenge|Mark-Compact|Mark-Sweep|Minor Mark-)/.test(l));
  assert.ok(lines.some((l) => l.includes('Scavenge')) && lines.some((l) => l.includes('Mark-Compact')), out.stdout);
  const pauses: number[] = [];
  tracedGcPauses(out.stdout, pauses);
  assert.equal(pauses.length, lines.length, 'one pause per GC line');
  for (const [i, line] of lines.entries()) assert.equal(pauses[i], Number(/MB, ([\d.]+) \//.exec(line)![1]));
});

test('a trace split between two reads, or other output, gives no invented pauses', () => {
  const pauses: number[] = [];
  tracedGcPauses('broker ready on 127.0.0.1:9092\n[1:0x1]  5 ms: Scavenge 1.0 (2.0) -> 0.5 (2.0) MB, 0.42 / 0.01 ms  (average mu = 1.000) task;\n[1:0x1]  9 ms: Scaven', pauses);
  assert.deepEqual(pauses, [0.42]);
});

test("the run-queue wait of this process's main thread is a number of milliseconds (0 without /proc)", () => {
  const waited = runQueueWaitMs('self');
  assert.ok(Number.isFinite(waited) && waited >= 0);
  assert.equal(runQueueWaitMs(2 ** 30), 0, 'no such process');
});
