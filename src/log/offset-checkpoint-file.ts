/**
 * Kafka's OffsetCheckpointFile format, used for `recovery-point-offset-checkpoint`,
 * `log-start-offset-checkpoint` and `cleaner-offset-checkpoint` in each data directory:
 *
 *   0                 <- version
 *   2                 <- number of entries
 *   orders 0 1234     <- topic partition offset
 *   orders 1 99
 *
 * Written whole and atomically (temporary file, fsync, rename, fsync of the directory). Topic
 * names cannot contain whitespace, so spaces separate the fields as in Kafka.
 */
import type { Disk } from '../storage/disk.js';
import { readWholeFile, writeFileAtomically } from '../storage/disk-files.js';
import { partitionDirName } from './file-names.js';

export const CHECKPOINT_VERSION = 0;

/** Offsets keyed by partition directory name (`<topic>-<partition>`). */
export type OffsetCheckpoint = Map<string, bigint>;

export class CheckpointFormatError extends Error {}

/** Kafka's CheckpointFile: the version line, the number of entries, then one line per entry. */
export function encodeCheckpointLines(lines: readonly string[]): Buffer {
  return Buffer.from(`${CHECKPOINT_VERSION}\n${lines.length}\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`, 'utf8');
}

/** The entry lines of a CheckpointFile, checked against its version and count. */
export function decodeCheckpointLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== String(CHECKPOINT_VERSION)) throw new CheckpointFormatError(`unsupported checkpoint version ${JSON.stringify(lines[0])}`);
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count < 0 || lines.length !== count + 2) {
    throw new CheckpointFormatError(`expected ${lines[1]} entries, found ${lines.length - 2}`);
  }
  return lines.slice(2);
}

export function encodeOffsetCheckpoint(entries: Iterable<{ topic: string; partition: number; offset: bigint }>): Buffer {
  const lines: string[] = [];
  for (const e of entries) lines.push(`${e.topic} ${e.partition} ${e.offset}`);
  return encodeCheckpointLines(lines);
}

export function decodeOffsetCheckpoint(text: string): OffsetCheckpoint {
  const out: OffsetCheckpoint = new Map();
  decodeCheckpointLines(text).forEach((line, i) => {
    const m = /^(\S+) (\d+) (-?\d+)$/.exec(line);
    if (!m) throw new CheckpointFormatError(`malformed line ${i + 3}: ${JSON.stringify(line)}`);
    out.set(partitionDirName(m[1]!, Number(m[2])), BigInt(m[3]!));
  });
  return out;
}

/** The checkpoint at `path`: empty when the file is missing; CheckpointFormatError when unreadable. */
export async function readOffsetCheckpoint(disk: Disk, path: string): Promise<OffsetCheckpoint> {
  const data = await readWholeFile(disk, path);
  return data === undefined ? new Map() : decodeOffsetCheckpoint(data.toString('utf8'));
}

export async function writeOffsetCheckpoint(disk: Disk, path: string, entries: Iterable<{ topic: string; partition: number; offset: bigint }>): Promise<void> {
  await writeFileAtomically(disk, path, encodeOffsetCheckpoint(entries));
}
