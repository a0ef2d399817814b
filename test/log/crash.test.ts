/**
 * Crash test with real processes: a child appends with fsync-before-ack and reports each
 * acknowledgement; it is killed with SIGKILL at a random moment; the log is then opened here and
 * must hold every acknowledged record, at the offset it was acknowledged with, in valid batches.
 * Several cycles run on the same directory, so each recovery starts from the previous one's log.
 * CRASH_CYCLES (default 4) sets the number of kills (npm run test:soak runs many more).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { iterateBatches, validateBatch } from '../../src/protocol/records/index.js';
import { decodeChunks, openManager, tempDir } from './helpers.js';
import { SeededRandom } from '../protocol/records/seeded-random.js';

const here = fileURLToPath(import.meta.url);
const ext = here.endsWith('.ts') ? '.ts' : '.js';
const child = join(here, '..', `crash-child${ext}`);
const CYCLES = Number(process.env['CRASH_CYCLES'] ?? 4);

interface Ack {
  first: number;
  last: number;
  baseOffset: bigint;
}

/** Runs the child until it has acknowledged `minAcks` appends plus a random extra time, then SIGKILLs it. */
function runAndKill(dataDir: string, firstSeq: number, minAcks: number, extraMs: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...(ext === '.ts' ? ['--import', 'tsx'] : []), child, dataDir, String(firstSeq)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acks: Ack[] = [];
    let buffered = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    p.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const m = /^ack (\d+) (\d+) (\d+)$/.exec(line);
        if (m) acks.push({ first: Number(m[1]), last: Number(m[2]), baseOffset: BigInt(m[3]!) });
      }
      if (acks.length >= minAcks && !killTimer) killTimer = setTimeout(() => p.kill('SIGKILL'), extraMs);
    });
    p.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}/${signal}: ${stderr}`));
      // A line cut by the kill was never fully reported: only whole lines count as acknowledged.
      else resolve(acks);
    });
  });
}

it(`every acknowledged record survives SIGKILL at random moments (${CYCLES} cycles, fsync-before-ack)`, async (t) => {
  const { dir, cleanup } = await tempDir('samsa-crash-');
  const seed = Number(process.env['CRASH_SEED'] ?? Date.now() % 1_000_000);
  t.diagnostic(`CRASH_SEED=${seed}`);
  const rnd = new SeededRandom(seed);
  try {
    const acked = new Map<number, bigint>();
    let nextSeq = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const acks = await runAndKill(dir, nextSeq, 20 + rnd.int(200), rnd.int(150));
      assert.ok(acks.length >= 20, `cycle ${cycle}: ${acks.length} acks`);
      for (const a of acks) for (let s = a.first; s <= a.last; s++) acked.set(s, a.baseOffset + BigInt(s - a.first));
      nextSeq = Math.max(...acks.map((a) => a.last)) + 1000;
      const m = await openManager(dir);
      const log = m.getLog('crash', 0)!;
      const r = await log.read(log.logStartOffset, 1 << 30, { minOneBatch: true });
      const records = await decodeChunks(r.chunks);
      const bySeq = new Map<number, bigint>();
      let prev = -1n;
      for (const rec of records) {
        assert.ok(rec.offset > prev, 'offsets increase');
        prev = rec.offset;
        bySeq.set(Number(/^seq:(\d+):/.exec(rec.value!)![1]), rec.offset);
      }
      for (const [s, offset] of acked) assert.equal(bySeq.get(s), offset, `acknowledged seq ${s} at offset ${offset} after cycle ${cycle}`);
      await m.close();
      // Every batch in every segment file is whole and passes its CRC.
      for (const name of (await readdir(join(dir, 'crash-0'))).filter((n) => n.endsWith('.log'))) {
        const bytes = await readFile(join(dir, 'crash-0', name));
        for (const span of iterateBatches(bytes)) {
          assert.ok(span.complete, `${name} ends in a partial batch`);
          validateBatch(bytes, span.position, { origin: 'replication' });
        }
      }
    }
  } finally {
    await cleanup();
  }
});
