/**
 * Disk.lockDirectory: one holder per directory, freed by release or by the holder's death (a
 * kill -9 leaves no stale lock), on the real disk (the abstract socket, and the pid file used where
 * there is none) and in memory (freed by a crash or a power loss too).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { LOCK_FILE, lockWithAbstractSocket, lockWithPidFile } from '../../src/storage/directory-lock.js';
import { DirectoryInUseError, MemoryDisk, nodeDisk } from '../../src/storage/index.js';
import { tempDir } from '../helpers/test-broker.js';
import { repoRoot } from '../helpers/repo-root.js';

type Lock = (path: string) => Promise<{ release(): Promise<void> }>;

/** A child process holding `dir` locked with `how` until it is killed; resolves once it holds it. */
async function childHolding(dir: string, how: 'lockWithAbstractSocket' | 'lockWithPidFile') {
  const script = `import { ${how} } from ${JSON.stringify(join(repoRoot(), 'dist/src/storage/directory-lock.js'))}; await ${how}(${JSON.stringify(dir)}); console.log('held'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('held') && resolve());
    child.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
  });
  return {
    pid: child.pid!,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

for (const [name, lock] of [
  ['abstract socket', lockWithAbstractSocket],
  ['pid file', lockWithPidFile],
] as [string, Lock][]) {
  test(`${name}: one holder at a time in a process, the directory free again once released`, async () => {
    const dir = await tempDir();
    const other = await tempDir();
    try {
      const first = await lock(dir);
      await assert.rejects(lock(dir), (err: unknown) => err instanceof DirectoryInUseError && err.path === dir && /Failed to acquire lock on/.test(err.message));
      // Another directory is another lock.
      const second = await lock(other);
      await first.release();
      await first.release(); // twice: harmless
      const again = await lock(dir);
      await again.release();
      await second.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(other, { recursive: true, force: true });
    }
  });

  test(`${name}: held by another process until it is killed with SIGKILL, then free at once`, async () => {
    const dir = await tempDir();
    const holder = await childHolding(dir, name === 'pid file' ? 'lockWithPidFile' : 'lockWithAbstractSocket');
    try {
      await assert.rejects(lock(dir), DirectoryInUseError);
      await holder.kill();
      const lockAfter = await lock(dir);
      await lockAfter.release();
    } finally {
      await holder.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('abstract socket: the same directory through a symbolic link is the same lock (by device and inode)', async () => {
  const dir = await tempDir();
  const link = `${dir}-link`;
  await symlink(dir, link);
  try {
    const held = await lockWithAbstractSocket(dir);
    await assert.rejects(lockWithAbstractSocket(link), DirectoryInUseError);
    await held.release();
  } finally {
    await rm(link, { force: true });
    await rm(dir, { recursive: true, force: true });
  }
});

test('pid file: a stale file is taken over; one without a pid is not; a release leaves a newer holder\'s file alone', async () => {
  const dir = await tempDir();
  const file = join(dir, LOCK_FILE);
  try {
    // A pid that ran and ended: stale.
    const gone = spawn(process.execPath, ['-e', '0']);
    await once(gone, 'exit');
    await writeFile(file, `${gone.pid} 0\n`);
    const taken = await lockWithPidFile(dir);
    assert.match(await readFile(file, 'utf8'), new RegExp(`^${process.pid} `));
    await taken.release();
    await assert.rejects(readFile(file), { code: 'ENOENT' });
    // Empty: maybe a holder that has just created it.
    await writeFile(file, '');
    await assert.rejects(lockWithPidFile(dir), /names no process/);
    await rm(file);
    // A release after the file was replaced (a stale lock taken over by another holder) removes nothing.
    const old = await lockWithPidFile(dir);
    await writeFile(file, '1 newer\n');
    await old.release();
    assert.equal(await readFile(file, 'utf8'), '1 newer\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the real disk locks with the abstract socket on Linux', { skip: process.platform !== 'linux' }, async () => {
  const dir = await tempDir();
  try {
    const held = await nodeDisk.lockDirectory(dir);
    await assert.rejects(lockWithAbstractSocket(dir), DirectoryInUseError);
    await held.release();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('memory disk: one holder at a time; a release, a crash or a power loss frees the directory', async () => {
  const disk = new MemoryDisk();
  await disk.mkdir('/data');
  await disk.syncDir('/');
  await assert.rejects(disk.lockDirectory('/missing'), { errno: 'ENOENT' });
  const held = await disk.lockDirectory('/data');
  await assert.rejects(disk.lockDirectory('/data/'), DirectoryInUseError);
  await held.release();
  const afterRelease = await disk.lockDirectory('/data');
  disk.crash();
  const afterCrash = await disk.lockDirectory('/data');
  // The holder before the crash releasing late must not free the new holder's lock.
  await afterRelease.release();
  await assert.rejects(disk.lockDirectory('/data'), DirectoryInUseError);
  disk.powerLoss();
  await (await disk.lockDirectory('/data')).release();
  await afterCrash.release();
});
