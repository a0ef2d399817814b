/** Whole-file helpers built only on the Disk primitives, so injected faults apply to them too. */
import { dirname } from 'node:path';
import type { Disk, DiskFile } from './disk.js';
import { StorageIoError, isNotFound } from './storage-error.js';

/**
 * The whole file, or undefined when it does not exist. Refuses files above `maxBytes`.
 * `expectedBytes` sizes the first read (a file of that size takes one read).
 */
export async function readWholeFile(disk: Disk, path: string, maxBytes = 64 * 1024 * 1024, expectedBytes = 8192): Promise<Buffer | undefined> {
  let file: DiskFile;
  try {
    file = await disk.open(path, 'read');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
    // A small file (checkpoints, configs) is read without asking its size first: one round trip
    // less. A read shorter than asked ends the file (DiskFile.read); a larger file is read whole
    // once its size is known.
    const first = Buffer.allocUnsafe(Math.min(expectedBytes, maxBytes) + 1);
    const n = await file.read(first, 0, first.length, 0);
    if (n < first.length) return n < first.length / 2 ? Buffer.from(first.subarray(0, n)) : first.subarray(0, n);
    const size = await file.size();
    if (size > maxBytes) throw new StorageIoError('read', path, 'EFBIG', `${size} bytes exceed the ${maxBytes} allowed`);
    return await readFully(file, 0, size);
  } finally {
    await file.close();
  }
}

/** Exactly `length` bytes at `position`, or fewer only where the file ends. */
export async function readFully(file: DiskFile, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = await file.read(buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/**
 * Replaces `path` with `data` so that a crash or power loss leaves either the old or the new
 * content, never a mix: write a temporary file, fsync it, rename it over, fsync the directory.
 */
export async function writeFileAtomically(disk: Disk, path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.tmp`;
  const file = await disk.open(tmp, 'overwrite');
  try {
    await file.write([data], 0);
    await file.sync();
  } finally {
    await file.close();
  }
  await disk.rename(tmp, path);
  await disk.syncDir(dirname(path));
}

/** Deletes a file, ignoring one that is already gone. */
export async function unlinkIfExists(disk: Disk, path: string): Promise<void> {
  try {
    await disk.unlink(path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
