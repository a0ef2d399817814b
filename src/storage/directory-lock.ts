/**
 * One broker per data directory, as Kafka's `.lock` file gives: a second broker pointed at a
 * directory in use (two `samsa broker` runs with the same data directory, a test suite starting a
 * broker twice) fails at start, before it reads or writes anything there, instead of both writing
 * the same logs, checkpoints and summary.
 *
 * Node has no flock. On Linux the lock is a listening Unix socket in the abstract namespace, named
 * after the directory's device and inode: the kernel gives a name to one socket at a time and
 * frees it when the process ends by any means (kill -9 included), so a crashed broker leaves no
 * stale lock and a restart may follow at once; the same directory reached by another path (a
 * symbolic link, a bind mount) has the same name. Its scope is the network namespace: two
 * containers with networks of their own sharing one volume do not see each other's lock.
 * Elsewhere a `.lock` file created exclusively holds the owner's pid; a file whose process no
 * longer runs is stale and taken over.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { type Server, createServer } from 'node:net';
import { join } from 'node:path';
import type { DirectoryLock } from './disk.js';
import { DirectoryInUseError } from './storage-error.js';

/** The pid file of the lock where no abstract socket is available. */
export const LOCK_FILE = '.lock';

/** Locks the existing directory `path` (see the module comment). */
export function lockDirectory(path: string): Promise<DirectoryLock> {
  return process.platform === 'linux' ? lockWithAbstractSocket(path) : lockWithPidFile(path);
}

export async function lockWithAbstractSocket(path: string): Promise<DirectoryLock> {
  const st = await fs.stat(path, { bigint: true });
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new DirectoryInUseError(path) : err));
    server.listen(`\0samsa-data-directory:${st.dev}:${st.ino}`, () => resolve());
  });
  // The lock must not keep a process alive that has nothing else to do (an embedded broker's host).
  server.unref();
  return { release: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

/** The lock files this process holds (a file naming this process's pid but not here is stale: a pid reused after a restart). */
const heldHere = new Set<string>();

/** A `.lock` file naming the holder's pid, created exclusively; one whose pid is not running is stale. */
export async function lockWithPidFile(path: string): Promise<DirectoryLock> {
  const file = join(path, LOCK_FILE);
  // A token of this lock's own, so a release never removes a file another holder wrote since.
  const content = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(file, content, { flag: 'wx' });
      heldHere.add(file);
      let held = true;
      return {
        release: async () => {
          if (!held) return;
          held = false;
          heldHere.delete(file);
          if ((await fs.readFile(file, 'utf8').catch(() => '')) === content) await fs.rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(await fs.readFile(file, 'utf8').catch(() => ''), 10);
    // A file without a pid may be one another broker has just created: not taken over.
    if (!Number.isInteger(holder)) throw new DirectoryInUseError(path, `${file} names no process: remove it if no broker runs`);
    if (holder === process.pid ? heldHere.has(file) : isRunning(holder)) throw new DirectoryInUseError(path, `process ${holder}`);
    await fs.rm(file, { force: true });
  }
  throw new DirectoryInUseError(path);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
