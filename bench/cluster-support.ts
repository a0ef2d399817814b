/** What the cluster benchmarks share: a cluster of `samsa broker` processes, raw requests, waiting. */
import { performance } from 'node:perf_hooks';
import { CreateTopicsApi, DescribeQuorumApi, MetadataApi } from '../src/protocol/messages/index.js';
import { RawClient } from '../test/helpers/raw-client.js';
import type { ChildBroker } from '../test/helpers/test-broker.js';
import { type ClusterLayout, childNode, clusterLayout, removeLayout } from '../test/helpers/test-cluster.js';

export interface ProcessCluster {
  layout: ClusterLayout;
  nodes: Map<number, ChildBroker>;
  stop(): Promise<void>;
}

/** N combined nodes as processes, ready (each sees all N brokers). */
/** `n` broker processes; `bin` the CLI to run (default this build's). */
export async function processCluster(n: number, extra: Record<string, string | number> = {}, bin?: string): Promise<ProcessCluster> {
  const layout = await clusterLayout(n);
  const started = await Promise.all(layout.ids.map((id) => childNode(layout, id, 0, extra, 60_000, bin)));
  const nodes = new Map(started.map((c, i) => [layout.ids[i]!, c]));
  for (const c of nodes.values()) await until(30_000, async () => (await metadata(c.port)).brokers.length === n);
  return {
    layout,
    nodes,
    async stop() {
      for (const c of nodes.values()) await c.kill('SIGKILL');
      await removeLayout(layout);
    },
  };
}

export async function withClient<T>(port: number, fn: (c: RawClient) => Promise<T>): Promise<T> {
  const c = await RawClient.connect(port);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

export function metadata(port: number, topics: string[] | null = null) {
  return withClient(port, (c) => c.send(MetadataApi, 12, { topics: topics?.map((name) => ({ name })) ?? null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
}

export async function activeController(port: number): Promise<number> {
  return withClient(port, async (c) => {
    const res = await c.send(DescribeQuorumApi, 2, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
    return res.topics[0]?.partitions[0]?.errorCode === 0 ? res.topics[0]!.partitions[0]!.leaderId : -1;
  });
}

export async function createTopic(c: RawClient, name: string, partitions: number, rf: number, timeoutMs = 60_000): Promise<number> {
  const res = await c.send(CreateTopicsApi, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: rf, assignments: [], configs: [] }], timeoutMs, validateOnly: false });
  return res.topics[0]!.errorCode;
}

/** Polls `check` every `stepMs` until it holds; throws after `ms`. */
export async function until(ms: number, check: () => Promise<boolean>, stepMs = 20): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet (a connection refused while a node starts or fails over)
    }
    if (performance.now() > deadline) throw new Error(`condition not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
