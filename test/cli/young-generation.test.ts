/**
 * The young generation of `samsa broker`'s process (src/cli/young-generation.ts): held at its start
 * size while idle, grown to the target once scavenges come often, and held there — not grown to
 * the process's maximum (here 64 MiB) — however much survives afterwards. Each case in a process
 * of its own (V8's flags and heap are the process's); the target is four times the size the
 * process has when the hold begins (1 MiB in a bare node, more under a loader such as tsx).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('../../src/cli/young-generation.js', import.meta.url));

/** Runs `body` (an async function body with `hold` and `size()` in scope) in a fresh node; its JSON result. */
function inChild(body: string): Record<string, number> {
  const script = `
    const { holdYoungGeneration, semiSpaceBytes: size } = await import(${JSON.stringify(MODULE)});
    const tick = () => new Promise((r) => setImmediate(r));
    // Short-lived garbage, as a broker's requests make, in slices with the event loop turning between them.
    const churn = async (slices, keep = 0) => { let kept = []; for (let s = 0; s < slices; s++) { let a = []; for (let i = 0; i < 5000; i++) { a.push({ i, s: 'x' + i }); if (a.length > 50) a = []; } for (let k = 0; k < keep; k++) kept.push({ k }); if (kept.length > 20000) kept = []; await tick(); } };
    // Four times the size it has now (a loader such as tsx may have grown it already), below the maximum.
    const target = 4 * size();
    const hold = holdYoungGeneration();
    hold.growUnderLoad(target / 1024 / 1024);
    const result = await (async () => { ${body} })();
    hold.release();
    console.log(JSON.stringify(result));`;
  // process.execArgv: the loader the test itself runs under (tsx), if any.
  const r = spawnSync(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), '--max-semi-space-size=64', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

describe('the broker process young generation', { timeout: 120_000 }, () => {
  it('stays at its start size while idle', () => {
    const r = inChild(`
      const start = size();
      for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10));
      return { start, idle: size(), growths: hold.growths };`);
    assert.equal(r['idle'], r['start']);
    assert.equal(r['growths'], 0);
  });

  it('grows to the target under load, and no further', () => {
    const r = inChild(`
      const start = size();
      // Bounded: until grown (a step a second), or 20 s.
      const until = Date.now() + 20_000;
      while (size() < target && Date.now() < until) await churn(10);
      const loaded = size();
      // Much more surviving (it would grow a young generation whose growth factor allowed it), then more churn.
      await churn(400, 200);
      return { start, target, loaded, after: size(), growths: hold.growths };`);
    assert.equal(r['loaded'], r['target'], JSON.stringify(r));
    assert.equal(r['after'], r['target'], JSON.stringify(r));
    assert.ok(r['growths']! >= 1 && r['growths']! <= 2, JSON.stringify(r));
  });
});
