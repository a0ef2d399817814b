/**
 * `samsa produce TOPIC`: one record per line of stdin (or --file), the key before --key-separator
 * when one is given, the same --header on every record. Reports how many were acknowledged; exits
 * 1 if any failed.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Compression, ProducerRecord } from '../../client/index.js';
import { type CommonOptions, integer, keyValue, withClient, withCommonOptions } from '../common.js';

const CHUNK_LINES = 1000;

export function registerProduceCommand(program: Command): void {
  withCommonOptions(program.command('produce <topic>').description('send lines from stdin or a file as records'))
    .option('-f, --file <path>', 'read lines from a file instead of stdin')
    .option('-k, --key-separator <sep>', 'split each line into key and value at the first <sep>')
    .option('-H, --header <key=value>', 'header added to every record (repeatable)', keyValue, {})
    .option('-z, --compression <codec>', 'none, gzip, snappy, lz4 or zstd', 'none')
    .option('--compression-level <n>', "the codec's level (gzip -1 or 1-9, zstd up to 22)", integer)
    .option('-a, --acks <acks>', '0, 1 or all', 'all')
    .option('-p, --partition <n>', 'send every record to this partition', integer)
    .action(async (topic: string, opts: CommonOptions & { file?: string; keySeparator?: string; header: Record<string, string>; compression: string; compressionLevel?: number; acks: string; partition?: number }) =>
      withClient(opts, async (client, out) => {
        const acks = opts.acks === 'all' || opts.acks === '-1' ? 'all' : Number(opts.acks);
        if (acks !== 'all' && acks !== 0 && acks !== 1) throw new Error(`--acks must be 0, 1 or all, not ${opts.acks}`);
        const producer = client.producer({ acks, compression: opts.compression as Compression, ...(opts.compressionLevel !== undefined ? { compressionLevel: opts.compressionLevel } : {}) });
        const lines = createInterface({ input: opts.file ? createReadStream(opts.file) : process.stdin, crlfDelay: Infinity });
        let acknowledged = 0;
        let failed = 0;
        let firstError: Error | undefined;
        const inFlight = new Set<Promise<void>>();
        let chunk: ProducerRecord[] = [];
        const flush = () => {
          const records = chunk;
          chunk = [];
          const p: Promise<void> = producer.send(topic, records).then(
            () => void (acknowledged += records.length),
            (err: unknown) => {
              failed += records.length;
              firstError ??= err as Error;
            },
          );
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        };
        for await (const line of lines) {
          chunk.push(toRecord(line, opts.keySeparator, opts.header, opts.partition));
          if (chunk.length >= CHUNK_LINES) flush();
          // Bounded: at most a few chunks in flight.
          while (inFlight.size >= 8) await Promise.race(inFlight);
        }
        if (chunk.length > 0) flush();
        await Promise.all(inFlight);
        if (failed > 0) {
          process.exitCode = 1;
          out.note(`samsa: ${failed} record(s) failed: ${firstError?.message}`);
        }
        out.result(`${acknowledged} record(s) acknowledged${failed ? `, ${failed} failed` : ''}`, { topic, acknowledged, failed });
      }),
    );
}

function toRecord(line: string, sep: string | undefined, headers: Record<string, string>, partition: number | undefined): ProducerRecord {
  const at = sep ? line.indexOf(sep) : -1;
  return {
    key: at >= 0 ? line.slice(0, at) : null,
    value: at >= 0 ? line.slice(at + sep!.length) : line,
    headers,
    ...(partition !== undefined ? { partition } : {}),
  };
}
