/**
 * `samsa dump-log --files <files>`, as kafka-dump-log.sh: what a partition's files hold, read
 * offline (the broker may be stopped). A segment (`.log`) prints each batch's header fields with
 * its position, size and whether its CRC-32C holds, and with `--print-data-log` each record (offset,
 * timestamp, key and value sizes, sequence, header keys, key and payload as UTF-8) or a control
 * batch's marker; an offset index (`.index`) its offset → position entries, a time index
 * (`.timeindex`) its timestamp → offset entries. A segment that ends inside a batch (a crash's
 * torn write) prints where the readable bytes stop.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ControlRecordType, decodeRecordBatch, iterateBatches, readControlBatchRecord, computeBatchCrc } from '../../protocol/records/index.js';

const COMPRESSION = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024;

export function registerDumpLogCommand(program: Command): void {
  program
    .command('dump-log')
    .description("print what a partition's segment and index files hold (as kafka-dump-log.sh)")
    .requiredOption('--files <files>', 'comma-separated .log, .index and .timeindex files')
    .option('--print-data-log', "print each record (and control batches' markers), not only batch headers")
    .action(async (opts: { files: string; printDataLog?: boolean }) => {
      for (const file of opts.files.split(',').map((f) => f.trim())) {
        const bytes = await readFile(file);
        const baseOffset = BigInt(basename(file).split('.')[0]!);
        process.stdout.write(`Dumping ${file}\n`);
        const lines = file.endsWith('.log') ? await dumpSegment(bytes, baseOffset, opts.printDataLog === true) : file.endsWith('.timeindex') ? dumpTimeIndex(bytes, baseOffset) : file.endsWith('.index') ? dumpOffsetIndex(bytes, baseOffset) : [`not a .log, .index or .timeindex file: ${file}`];
        for (const line of lines) process.stdout.write(`${line}\n`);
      }
    });
}

/** Kafka's lines for a segment: a line per batch, and per record with `data`. */
export async function dumpSegment(bytes: Buffer, baseOffset: bigint, data: boolean): Promise<string[]> {
  const out = [`Log starting offset: ${baseOffset}`];
  for (const span of iterateBatches(bytes)) {
    if (!span.complete) {
      out.push(`Found ${span.available} bytes of an incomplete batch at position ${span.position} (declared size ${span.sizeInBytes ?? 'unknown'}): the readable log ends there`);
      break;
    }
    const h = span.header;
    const transactional = (h.attributes & 0x10) !== 0;
    const control = (h.attributes & 0x20) !== 0;
    const lastSequence = h.baseSequence < 0 ? -1 : h.baseSequence + h.lastOffsetDelta;
    const crcValid = computeBatchCrc(bytes, span.position, span.sizeInBytes) === h.crc;
    out.push(
      `baseOffset: ${h.baseOffset} lastOffset: ${h.baseOffset + BigInt(h.lastOffsetDelta)} count: ${h.recordCount} baseSequence: ${h.baseSequence} lastSequence: ${lastSequence} producerId: ${h.producerId} producerEpoch: ${h.producerEpoch} partitionLeaderEpoch: ${h.partitionLeaderEpoch} isTransactional: ${transactional} isControl: ${control} position: ${span.position} ${(h.attributes & 0x08) !== 0 ? 'LogAppendTime' : 'CreateTime'}: ${h.maxTimestamp} size: ${span.sizeInBytes} magic: ${h.magic} compresscodec: ${COMPRESSION[h.attributes & 0x07] ?? h.attributes & 0x07} crc: ${h.crc} isvalid: ${crcValid}`,
    );
    if (!data || !crcValid) continue;
    if (control) {
      const marker = readControlBatchRecord(bytes, span.position);
      if (marker) out.push(`| offset: ${h.baseOffset} ${marker.type === ControlRecordType.Commit ? 'endTxnMarker: COMMIT' : marker.type === ControlRecordType.Abort ? 'endTxnMarker: ABORT' : `controlType: ${marker.type}`} coordinatorEpoch: ${marker.coordinatorEpoch}`);
      continue;
    }
    const batch = await decodeRecordBatch(bytes, span.position, { maxUncompressedBytes: MAX_UNCOMPRESSED_BYTES, verifyCrc: false });
    for (const r of batch.records) {
      const sequence = h.baseSequence < 0 ? -1 : h.baseSequence + r.offsetDelta;
      out.push(
        `| offset: ${r.offset} ${batch.timestampType === 1 ? 'LogAppendTime' : 'CreateTime'}: ${r.timestamp} keySize: ${r.key?.length ?? -1} valueSize: ${r.value?.length ?? -1} sequence: ${sequence} headerKeys: [${r.headers.map((x) => x.key).join(',')}]${r.key ? ` key: ${r.key.toString('utf8')}` : ''}${r.value ? ` payload: ${r.value.toString('utf8')}` : ''}`,
      );
    }
  }
  return out;
}

/** An offset index's entries (8 bytes: offset relative to the segment, position), up to the preallocated zeros. */
export function dumpOffsetIndex(bytes: Buffer, baseOffset: bigint): string[] {
  const out: string[] = [];
  for (let i = 0; i + 8 <= bytes.length; i += 8) {
    const relative = bytes.readInt32BE(i);
    const position = bytes.readInt32BE(i + 4);
    if (i > 0 && relative === 0 && position === 0) break;
    out.push(`offset: ${baseOffset + BigInt(relative)} position: ${position}`);
  }
  return out;
}

/** A time index's entries (12 bytes: timestamp, offset relative to the segment), up to the preallocated zeros. */
export function dumpTimeIndex(bytes: Buffer, baseOffset: bigint): string[] {
  const out: string[] = [];
  for (let i = 0; i + 12 <= bytes.length; i += 12) {
    const timestamp = bytes.readBigInt64BE(i);
    const relative = bytes.readInt32BE(i + 8);
    if (timestamp === 0n && relative === 0) break;
    out.push(`timestamp: ${timestamp} offset: ${baseOffset + BigInt(relative)}`);
  }
  return out;
}
