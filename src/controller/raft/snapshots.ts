/**
 * Snapshots of the replicated state (KIP-630), in Kafka's format and naming: a file
 * `<endOffset 20 digits>-<epoch 10 digits>.checkpoint` in the metadata log directory holding
 * record batches: a control batch with a SnapshotHeaderRecord, the state's records in data
 * batches, and a control batch with a SnapshotFooterRecord. The snapshot id (end offset, epoch)
 * says which log prefix it replaces: every entry below the end offset, the last of them written in
 * that epoch.
 *
 * A snapshot is written to `.checkpoint.part`, fsynced, renamed into place and the directory
 * fsynced, so a crash leaves a whole snapshot or none; leftover `.part` files are deleted at start.
 * Only the latest snapshot is kept once a newer one is durable.
 */
import { join } from 'node:path';
import {
  decodeSnapshotFooterRecord,
  decodeSnapshotHeaderRecord,
  encodeSnapshotFooterRecord,
  encodeSnapshotHeaderRecord,
} from '../../protocol/messages/index.js';
import { Reader } from '../../protocol/primitives/reader.js';
import { Writer } from '../../protocol/primitives/writer.js';
import {
  type RecordInput,
  decodeControlRecordKey,
  decodeRecords,
  encodeControlRecordKey,
  encodeUncompressedRecordBatch,
  iterateBatches,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  validateBatch,
} from '../../protocol/records/index.js';
import { DecodeError } from '../../protocol/samsa-error.js';
import type { Disk } from '../../storage/disk.js';
import { readWholeFile, unlinkIfExists } from '../../storage/disk-files.js';
import { RaftStateError } from './errors.js';
import { describeBatch } from './log-segments.js';
import type { OffsetAndEpoch } from './offset-and-epoch.js';

/** Kafka's ControlRecordType values for KRaft. */
export const KRaftControlType = { LeaderChange: 2, SnapshotHeader: 3, SnapshotFooter: 4, KRaftVersion: 5, KRaftVoters: 6 } as const;

const SUFFIX = '.checkpoint';
const PART_SUFFIX = '.checkpoint.part';
const DELETED_SUFFIX = '.checkpoint.deleted';
const RECORDS_PER_BATCH = 1000;
const MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024;

export function snapshotFileName(id: OffsetAndEpoch): string {
  return `${String(id.offset).padStart(20, '0')}-${String(id.epoch).padStart(10, '0')}${SUFFIX}`;
}

export function parseSnapshotFileName(name: string): OffsetAndEpoch | undefined {
  const m = /^(\d{20})-(\d{10})\.checkpoint$/.exec(name);
  return m ? { offset: Number(m[1]), epoch: Number(m[2]) } : undefined;
}

/** What a snapshot holds once read. */
export interface SnapshotContents {
  readonly id: OffsetAndEpoch;
  /** The values of its data records, in order. */
  readonly records: Buffer[];
  readonly lastContainedLogTimestamp: number;
}

function controlRecord(type: number, encode: (w: Writer) => void): RecordInput {
  const w = new Writer(16);
  encode(w);
  return { key: encodeControlRecordKey(type), value: w.toBuffer() };
}

/** The bytes of a snapshot file for `records` (values) at `id`. */
export function encodeSnapshot(id: OffsetAndEpoch, records: readonly Buffer[], lastContainedLogTimestamp: number, nowMs: number): Buffer {
  const batches: Buffer[] = [];
  let offset = 0;
  const batch = (recs: RecordInput[], isControlBatch: boolean) => {
    batches.push(encodeUncompressedRecordBatch({ baseOffset: BigInt(offset), partitionLeaderEpoch: id.epoch, baseTimestamp: BigInt(nowMs), isControlBatch, records: recs }));
    offset += recs.length;
  };
  const header = controlRecord(KRaftControlType.SnapshotHeader, (w) => encodeSnapshotHeaderRecord(w, 0, { version: 0, lastContainedLogTimestamp: BigInt(lastContainedLogTimestamp) }));
  batch([header], true);
  for (let i = 0; i < records.length; i += RECORDS_PER_BATCH) batch(records.slice(i, i + RECORDS_PER_BATCH).map((value) => ({ value })), false);
  batch([controlRecord(KRaftControlType.SnapshotFooter, (w) => encodeSnapshotFooterRecord(w, 0, { version: 0 }))], true);
  return Buffer.concat(batches);
}

function controlType(buf: Buffer, pos: number, size: number): { type: number; value: Buffer | null } {
  const h = describeBatch(buf, pos);
  if (!h.isControl) throw new DecodeError('expected a control batch');
  const recs = decodeRecords(buf, pos + RECORD_BATCH_OVERHEAD, pos + size, buf.readInt32BE(pos + RECORDS_COUNT_OFFSET), { baseOffset: 0n, baseTimestamp: 0n, logAppendTime: null, baseSequence: -1 });
  const rec = recs[0];
  if (recs.length !== 1 || !rec) throw new DecodeError('a snapshot control batch holds one record');
  return { type: decodeControlRecordKey(rec.key).type, value: rec.value };
}

/** Reads and checks a snapshot file's bytes: intact batches, a header first, a footer last. */
export function decodeSnapshot(id: OffsetAndEpoch, bytes: Buffer): SnapshotContents {
  const spans = [...iterateBatches(bytes)];
  if (spans.length < 2 || spans.some((s) => !s.complete)) throw new DecodeError(`snapshot ${snapshotFileName(id)} is truncated`);
  const records: Buffer[] = [];
  let timestamp = -1;
  spans.forEach((span, i) => {
    if (!span.complete) return;
    validateBatch(bytes, span.position, { origin: 'replication' });
    if (i === 0 || i === spans.length - 1) {
      const c = controlType(bytes, span.position, span.sizeInBytes);
      const expected = i === 0 ? KRaftControlType.SnapshotHeader : KRaftControlType.SnapshotFooter;
      if (c.type !== expected || c.value === null) throw new DecodeError(`snapshot ${snapshotFileName(id)} lacks its ${i === 0 ? 'header' : 'footer'}`);
      if (i === 0) timestamp = Number(decodeSnapshotHeaderRecord(new Reader(c.value), 0).lastContainedLogTimestamp);
      else decodeSnapshotFooterRecord(new Reader(c.value), 0);
      return;
    }
    const count = bytes.readInt32BE(span.position + RECORDS_COUNT_OFFSET);
    const ctx = { baseOffset: 0n, baseTimestamp: 0n, logAppendTime: null, baseSequence: -1 };
    for (const r of decodeRecords(bytes, span.position + RECORD_BATCH_OVERHEAD, span.position + span.sizeInBytes, count, ctx)) {
      if (r.value !== null) records.push(Buffer.from(r.value));
    }
  });
  return { id, records, lastContainedLogTimestamp: timestamp };
}

export interface SnapshotStoreOptions {
  readonly unsafeSkipFsync?: boolean;
}

/** The snapshots of one metadata log directory. */
export class SnapshotStore {
  private latestId: OffsetAndEpoch | undefined;
  private latestBytes: Buffer | undefined;

  private constructor(
    private readonly disk: Disk,
    readonly dir: string,
    private readonly options: SnapshotStoreOptions,
  ) {}

  /** Opens the directory's snapshots: partial ones are deleted, the newest intact one is the latest. */
  static async open(disk: Disk, dir: string, options: SnapshotStoreOptions = {}): Promise<SnapshotStore> {
    const store = new SnapshotStore(disk, dir, options);
    const ids: OffsetAndEpoch[] = [];
    for (const name of await disk.readdir(dir)) {
      if (name.endsWith(PART_SUFFIX) || name.endsWith(DELETED_SUFFIX)) await disk.unlink(join(dir, name));
      const id = parseSnapshotFileName(name);
      if (id) ids.push(id);
    }
    ids.sort((a, b) => b.offset - a.offset || b.epoch - a.epoch);
    for (const id of ids) {
      const bytes = await readWholeFile(disk, join(dir, snapshotFileName(id)), MAX_SNAPSHOT_BYTES);
      try {
        if (bytes) decodeSnapshot(id, bytes);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        throw new RaftStateError(`snapshot ${snapshotFileName(id)} is corrupt`, { cause: err });
      }
      if (bytes) {
        store.latestId = id;
        store.latestBytes = bytes;
        break;
      }
    }
    return store;
  }

  get latest(): OffsetAndEpoch | undefined {
    return this.latestId;
  }

  /** The latest snapshot's bytes (served to followers by FetchSnapshot). */
  get latestSnapshotBytes(): Buffer | undefined {
    return this.latestBytes;
  }

  /** Reads the latest snapshot's records. */
  readLatest(): SnapshotContents | undefined {
    return this.latestId && this.latestBytes ? decodeSnapshot(this.latestId, this.latestBytes) : undefined;
  }

  /** Writes a snapshot durably and makes it the latest; older ones are deleted afterwards. */
  async write(id: OffsetAndEpoch, bytes: Buffer): Promise<void> {
    decodeSnapshot(id, bytes);
    const path = join(this.dir, snapshotFileName(id));
    const part = path.replace(/\.checkpoint$/, PART_SUFFIX);
    const file = await this.disk.open(part, 'overwrite');
    try {
      await file.write([bytes], 0);
      if (!this.options.unsafeSkipFsync) await file.sync();
    } finally {
      await file.close();
    }
    await this.disk.rename(part, path);
    if (!this.options.unsafeSkipFsync) await this.disk.syncDir(this.dir);
    const previous = this.latestId;
    this.latestId = id;
    this.latestBytes = bytes;
    if (previous && (previous.offset !== id.offset || previous.epoch !== id.epoch)) await unlinkIfExists(this.disk, join(this.dir, snapshotFileName(previous)));
  }
}
