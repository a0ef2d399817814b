/**
 * Errors of the storage layer. Every failed file operation surfaces as a StorageIoError carrying
 * the operating system's error name (`errno`: ENOENT, ENOSPC, EIO, ...), the operation and the
 * path, so the log layer can tell "not there" from "the disk failed" without parsing messages.
 */
import { SamsaError } from '../protocol/samsa-error.js';

export type StorageOp =
  | 'open'
  | 'read'
  | 'write'
  | 'sync'
  | 'truncate'
  | 'size'
  | 'close'
  | 'mkdir'
  | 'readdir'
  | 'stat'
  | 'rename'
  | 'unlink'
  | 'removeDir'
  | 'syncDir'
  | 'space';

export class StorageIoError extends SamsaError {
  /** The system error name (ENOENT, ENOSPC, EIO, EEXIST, ...), or EIO when unknown. */
  readonly errno: string;
  readonly op: StorageOp;
  readonly path: string;

  constructor(op: StorageOp, path: string, errno: string, detail?: string, options?: { cause?: unknown }) {
    super('SAMSA_STORAGE_IO', `${op} ${path} failed: ${errno}${detail ? ` (${detail})` : ''}`, options);
    this.errno = errno;
    this.op = op;
    this.path = path;
  }

  /** Wraps whatever node:fs (or a test double) threw, keeping the original as the cause. */
  static from(op: StorageOp, path: string, err: unknown): StorageIoError {
    if (err instanceof StorageIoError) return err;
    const errno = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'EIO';
    return new StorageIoError(op, path, errno, err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/** The directory is locked by another broker, in this process or another (Disk.lockDirectory). */
export class DirectoryInUseError extends SamsaError {
  readonly path: string;

  constructor(path: string, holder?: string) {
    super('SAMSA_DIRECTORY_IN_USE', `Failed to acquire lock on ${path}: another broker${holder ? ` (${holder})` : ''} in this or another process is using this directory`);
    this.path = path;
  }
}

/** Whether `err` says the file or directory does not exist. */
export function isNotFound(err: unknown): boolean {
  return err instanceof StorageIoError ? err.errno === 'ENOENT' : (err as { code?: unknown })?.code === 'ENOENT';
}
