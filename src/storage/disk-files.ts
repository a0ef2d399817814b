/** Whole-file helpers built only on the Disk primitives, so injected faults apply to them too. */
import { dirname } from 'node:path';
import type { Disk, DiskFile } from './disk.js';
import { StorageIoError, isNotFound } from './storage-error.js';

/** The whole file, or undefined when it does not exist. Refuses files above `maxBytes`. */
export async function readWholeFile(disk: Disk, path: string, maxBytes = 64 * 1024 * 1024): Promise<Buffer | undefined> {
  let file: DiskFile;
  try {
    file = await disk.open(path, 'read');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  try {
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
