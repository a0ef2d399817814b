/** The storage layer: the Disk interfaces the log does all I/O through, and their implementations. */
export type { DirectoryLock, Disk, DiskFile, FileStat, OpenMode } from './disk.js';
export { NodeDisk, type NodeDiskOptions, nodeDisk } from './node-disk.js';
export { MemoryDisk, type PowerLossOptions } from './memory-disk.js';
export { FaultyDisk, type FaultRule } from './faulty-disk.js';
export { StorageIoError, DirectoryInUseError, type StorageOp, isNotFound } from './storage-error.js';
export { readWholeFile, readFully, writeFileAtomically, unlinkIfExists } from './disk-files.js';
