/**
 * The in-process test broker: how long `startBroker({ storage: 'memory' })` takes to serve, and
 * `close()` to finish, against a bare TCP listener started and closed in the same run (the floor
 * no broker can beat) and a broker on a fresh directory of the real disk. The goals (issue 14):
 * start to ready at most 50 ms, close at most 20 ms.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBroker } from '../src/broker/broker.js';

const RUNS = Number(process.env['EMBEDDED_RUNS'] ?? 40);

interface Times {
  start: number[];
  close: number[];
}

async function time(runs: number, open: () => Promise<{ close(): Promise<unknown> }>, after?: () => Promise<void>): Promise<Times> {
  const t: Times = { start: [], close: [] };
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const b = await open();
    const t1 = performance.now();
    await b.close();
    t.start.push(t1 - t0);
    t.close.push(performance.now() - t1);
    await after?.();
  }
  return t;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const fmt = (xs: number[]) => `median ${percentile(xs, 0.5).toFixed(1)} ms, p90 ${percentile(xs, 0.9).toFixed(1)} ms`;

export default async function embedded(): Promise<void> {
  const listener = await time(RUNS, async () => {
    const s = createServer().listen(0, '127.0.0.1');
    await once(s, 'listening');
    return { close: () => new Promise((resolve) => s.close(resolve)) };
  });
  // Warm up the modules and the JIT once, as a test file's first broker would not be.
  await (await startBroker({ port: 0, storage: 'memory', logLevel: 'silent' })).close();
  const memory = await time(RUNS, () => startBroker({ port: 0, storage: 'memory', logLevel: 'silent' }));
  let dir = '';
  const disk = await time(
    Math.min(RUNS, 10),
    async () => startBroker({ port: 0, dataDir: (dir = await mkdtemp(join(tmpdir(), 'samsa-bench-'))), logLevel: 'silent' }),
    () => rm(dir, { recursive: true, force: true }),
  );
  const ratio = (a: number[], b: number[]) => (percentile(a, 0.5) / percentile(b, 0.5)).toFixed(1);
  console.log(`\n## Embedded broker, start to ready and close (${RUNS} runs each, in this process)`);
  console.log(`baseline  TCP listener          start ${fmt(listener.start)}; close ${fmt(listener.close)}`);
  console.log(`memory    storage: 'memory'     start ${fmt(memory.start)} (${ratio(memory.start, listener.start)}x the listener); close ${fmt(memory.close)} (${ratio(memory.close, listener.close)}x)`);
  console.log(`disk      fresh data directory  start ${fmt(disk.start)}; close ${fmt(disk.close)}`);
  console.log(`goals     start <= 50 ms: ${percentile(memory.start, 0.5) <= 50 ? 'met' : 'MISSED'}; close <= 20 ms: ${percentile(memory.close, 0.5) <= 20 ? 'met' : 'MISSED'} (medians)`);
}
