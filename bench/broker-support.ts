/**
 * Helpers for benchmarks that drive a `samsa broker` child process over the raw protocol: topics,
 * filling them quickly, and reading the broker's CPU time and memory from /proc (Linux).
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTopicsApi, DeleteTopicsApi, ListOffsetsApi, ProduceApi } from '../src/protocol/messages/index.js';
import { encodeUncompressedRecordBatch } from '../src/protocol/records/index.js';
import { RawClient } from '../test/helpers/raw-client.js';

/** User + system CPU seconds a process has used so far (utime + stime of /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process in MB (VmRSS). */
export function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

/**
 * Creates a topic and waits until the broker leads every partition of it: CreateTopics answers
 * once the controller has committed the topic, and the broker may hold its partitions only a
 * little later (a produce sent at once can be answered NOT_LEADER_OR_FOLLOWER, which a real
 * producer retries and a benchmark's raw requests would not).
 */
export async function createTopic(port: number, name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    const res = await c.send(CreateTopicsApi, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }], timeoutMs: 5000, validateOnly: false });
    if (res.topics[0]!.errorCode !== 0) throw new Error(`create ${name}: ${res.topics[0]!.errorMessage}`);
    await waitForLeaders(c, name, partitions);
  } finally {
    c.close();
  }
}

/** Until ListOffsets answers every partition of `topic` without an error, i.e. the broker leads them all (at most 10 s). */
async function waitForLeaders(c: RawClient, topic: string, partitions: number): Promise<void> {
  let codes: number[] = [];
  for (let attempt = 0; attempt < 500; attempt++) {
    const res = await c.send(ListOffsetsApi, 7, { replicaId: -1, isolationLevel: 0, timeoutMs: 5000, topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1n })) }] });
    codes = res.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
    if (codes.length === partitions && codes.every((code) => code === 0)) return;
    await sleep(20);
  }
  throw new Error(`${topic}: its partitions were not led within 10 s (error codes ${codes.join(', ')})`);
}

export async function deleteTopic(port: number, name: string): Promise<void> {
  const c = await RawClient.connect(port);
  const res = await c.send(DeleteTopicsApi, 4, { topicNames: [name], timeoutMs: 30000 });
  c.close();
  if (res.responses[0]!.errorCode !== 0) throw new Error(`delete ${name}: ${res.responses[0]!.errorMessage}`);
}

/**
 * Writes `records` records of `recordBytes` bytes to each partition of `topic`, in batches of
 * `perBatch` (the last one shorter), 8 requests in flight, acks=1.
 */
export async function fillTopic(port: number, topic: string, partitions: number, records: number, recordBytes: number, perBatch = 4096): Promise<void> {
  const c = await RawClient.connect(port);
  const value = Buffer.alloc(recordBytes, 'v');
  const batchOf = (n: number) => encodeUncompressedRecordBatch({ records: Array.from({ length: n }, () => ({ value })) });
  const full = batchOf(perBatch);
  let left = records;
  const next = (): Buffer | undefined => {
    if (left <= 0) return undefined;
    const n = Math.min(perBatch, left);
    left -= n;
    return n === perBatch ? full : batchOf(n);
  };
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let b = next(); b; b = next()) {
        const res = await c.send(ProduceApi, 9, { acks: 1, timeoutMs: 30000, topicData: [{ name: topic, partitionData: Array.from({ length: partitions }, (_, index) => ({ index, records: b })) }] });
        for (const p of res.responses[0]!.partitionResponses) if (p.errorCode !== 0) throw new Error(`produce error ${p.errorCode}`);
      }
    }),
  );
  c.close();
}

/** The q-quantile of sorted samples. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

export function median(values: readonly number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}
