/**
 * Kafka's on-disk names (LogFileUtils, UnifiedLog): a partition is the directory
 * `<topic>-<partition>`, its segments are named by their base offset in 20 digits, and a
 * suffix says what each file is or what is happening to it.
 */
import { join } from 'node:path';

export const LOG_FILE_SUFFIX = '.log';
export const INDEX_FILE_SUFFIX = '.index';
export const TIME_INDEX_FILE_SUFFIX = '.timeindex';
export const TXN_INDEX_FILE_SUFFIX = '.txnindex';
/** Files of a segment scheduled for deletion (removed after file.delete.delay.ms, or at load). */
export const DELETED_FILE_SUFFIX = '.deleted';
/** A segment being written by the cleaner (removed at load: the cleaning is redone). */
export const CLEANED_FILE_SUFFIX = '.cleaned';
/** A cleaned segment ready to replace the ones it was built from (the swap is completed at load). */
export const SWAP_FILE_SUFFIX = '.swap';
/** A partition directory being deleted: `<topic>-<partition>.<unique>-delete`. */
export const DELETE_DIR_SUFFIX = '-delete';

/** Kafka's clean shutdown marker in each data directory: present only after a clean close. */
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';
export const CLEANER_OFFSET_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';
/** Each replica's high watermark (Kafka's ReplicaManager writes it; so does Samsa's). */
export const REPLICATION_OFFSET_CHECKPOINT_FILE = 'replication-offset-checkpoint';
/** In each partition directory: the leader epochs of the log and where each starts. */
export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';

/** The 20-digit zero-padded base offset every file of a segment is named by. */
export function filenamePrefixFromOffset(offset: bigint): string {
  return offset.toString().padStart(20, '0');
}

export function segmentFilePath(dir: string, baseOffset: bigint, suffix: string): string {
  return join(dir, filenamePrefixFromOffset(baseOffset) + suffix);
}

const SEGMENT_FILE = /^(\d{20})(\.log|\.index|\.timeindex|\.txnindex)((?:\.deleted|\.cleaned|\.swap)?)$/;

export interface SegmentFileName {
  baseOffset: bigint;
  /** .log, .index, .timeindex or .txnindex */
  kind: string;
  /** '', .deleted, .cleaned or .swap */
  state: string;
}

/** The parts of a segment file name, or undefined for anything else. */
export function parseSegmentFileName(name: string): SegmentFileName | undefined {
  const m = SEGMENT_FILE.exec(name);
  if (!m) return undefined;
  return { baseOffset: BigInt(m[1]!), kind: m[2]!, state: m[3]! };
}

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** `<topic>-<partition>` split at the last dash; undefined for other names (and `-delete` dirs). */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | undefined {
  if (name.endsWith(DELETE_DIR_SUFFIX) || name.startsWith('.')) return undefined;
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return undefined;
  const digits = name.slice(dash + 1);
  if (!/^\d{1,10}$/.test(digits)) return undefined;
  const partition = Number(digits);
  if (partition > 0x7fffffff) return undefined;
  return { topic: name.slice(0, dash), partition };
}

/** The longest file name Linux (and most file systems) allow. */
const MAX_FILE_NAME = 255;

/**
 * The name a partition directory is renamed to before it is removed, as Kafka's logDeleteDirName:
 * the topic cut short where the whole would pass 255 characters (a 249-character topic's did,
 * and the rename failed with ENAMETOOLONG). Topic names are ASCII, so characters are bytes.
 */
export function deleteDirName(topic: string, partition: number, unique: string): string {
  const suffix = `-${partition}.${unique}${DELETE_DIR_SUFFIX}`;
  return topic.slice(0, MAX_FILE_NAME - suffix.length) + suffix;
}
