/**
 * `samsa storage format|random-uuid|info`, Kafka's explicit formatting: meta.properties in every
 * log directory with the given cluster id, a refusal to format twice (unless told to ignore what
 * is formatted), and a node that starts on the directories keeps that id; one configured with
 * another node id than the directories' is refused.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SAMSA_BIN, tempDir, testBroker } from '../helpers/test-broker.js';

const run = promisify(execFile);
const samsa = (...args: string[]) => run(process.execPath, [SAMSA_BIN(), ...args]);
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('samsa storage', { timeout: 60_000 }, () => {
  it('formats the log directories with a cluster id, once, and a node started on them keeps it', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    const meta = join(dir, 'meta');
    const props = join(dir, 'server.properties');
    await writeFile(props, `node.id=4\nlog.dirs=${join(dir, 'a')},${join(dir, 'b')}\nmetadata.log.dir=${meta}\n`);
    const id = (await samsa('storage', 'random-uuid')).stdout.trim();
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    const out = (await samsa('storage', 'format', '-c', props, '-t', id)).stdout;
    assert.equal((out.match(/Formatting /g) ?? []).length, 3, out);
    for (const d of ['a', 'b', 'meta']) {
      const text = await readFile(join(dir, d, 'meta.properties'), 'utf8');
      assert.match(text, new RegExp(`cluster.id=${id}`));
      assert.match(text, /node.id=4/);
      assert.match(text, /version=1/);
      assert.match(text, /directory.id=[A-Za-z0-9_-]{22}/);
    }
    await readFile(join(meta, 'bootstrap.checkpoint'));
    await assert.rejects(samsa('storage', 'format', '-c', props, '-t', id), /already formatted/);
    assert.match((await samsa('storage', 'format', '-c', props, '-t', id, '--ignore-formatted')).stdout, /formatted already/);
    assert.match((await samsa('storage', 'info', '-c', props)).stdout, new RegExp(`cluster.id ${id}, node.id 4`));

    const broker = await testBroker({ dataDir: join(dir, 'a'), config: { 'log.dirs': `${join(dir, 'a')},${join(dir, 'b')}`, 'metadata.log.dir': meta, 'node.id': 4 } });
    assert.equal(broker.clusterId, id);
    await broker.close();
    await assert.rejects(testBroker({ dataDir: join(dir, 'a'), config: { 'log.dirs': `${join(dir, 'a')},${join(dir, 'b')}`, 'metadata.log.dir': meta, 'node.id': 5 } }), /Stored node id 4 .* doesn't match the configured node.id 5/);
  });
});
