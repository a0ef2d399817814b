/**
 * Clusters for tests: N combined nodes (broker and controller) on 127.0.0.1, as `samsa broker`
 * child processes or in-process nodes, each with its own temporary data directory. The controller
 * ports must be known to every node before any starts (`controller.quorum.voters`), so they are
 * taken free a moment before; client ports are ephemeral unless a node is restarted on its old one.
 */
import { rm } from 'node:fs/promises';
import { after, before } from 'node:test';
import { type BrokerOptions, type RunningBroker, startBroker } from '../../src/broker/broker.js';
import { type ChildBroker, childBroker, freePort, tempDir } from './test-broker.js';
import { eventually } from './eventually.js';

export interface ClusterLayout {
  /** Node ids (0..n-1 by default). */
  readonly ids: number[];
  readonly controllerPorts: Map<number, number>;
  readonly dirs: Map<number, string>;
  readonly voters: string;
}

export async function clusterLayout(n: number, firstId = 0): Promise<ClusterLayout> {
  const ids = Array.from({ length: n }, (_, i) => firstId + i);
  const controllerPorts = new Map<number, number>();
  const dirs = new Map<number, string>();
  for (const id of ids) {
    controllerPorts.set(id, await freePort());
    dirs.set(id, await tempDir(`samsa-cluster-${id}-`));
  }
  return { ids, controllerPorts, dirs, voters: ids.map((id) => `${id}@127.0.0.1:${controllerPorts.get(id)}`).join(',') };
}

/** Kafka-named settings of a combined node of the layout, its client listener on `clientPort`. */
export function nodeConfig(layout: ClusterLayout, id: number, clientPort = 0, extra: Record<string, string | number> = {}): Record<string, string | number> {
  return {
    'process.roles': 'broker,controller',
    'node.id': id,
    'controller.quorum.voters': layout.voters,
    'controller.listener.names': 'CONTROLLER',
    listeners: `PLAINTEXT://127.0.0.1:${clientPort},CONTROLLER://127.0.0.1:${layout.controllerPorts.get(id)}`,
    'log.dirs': layout.dirs.get(id)!,
    ...extra,
  };
}

/** A node as a `samsa broker` child process; resolves once it is ready (its quorum must form: start the others alongside). */
export function childNode(layout: ClusterLayout, id: number, clientPort = 0, extra: Record<string, string | number> = {}, timeoutMs = 30_000): Promise<ChildBroker> {
  const config = nodeConfig(layout, id, clientPort, extra);
  const args = Object.entries(config).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
  return childBroker(layout.dirs.get(id)!, ['--port', String(clientPort), ...args], timeoutMs);
}

/** An in-process node of the layout. */
export function inProcessNode(layout: ClusterLayout, id: number, options: BrokerOptions = {}, extra: Record<string, string | number> = {}): Promise<RunningBroker> {
  return startBroker({ logLevel: process.env['SAMSA_TEST_LOG'] ?? 'silent', ...options, config: { ...nodeConfig(layout, id, 0, extra), ...(options.config ?? {}) } });
}

/** Every node of the layout in process, started together; resolves once each sees them all unfenced (within `timeoutMs`). */
export async function inProcessCluster(layout: ClusterLayout, options: BrokerOptions = {}, extra: Record<string, string | number> = {}, timeoutMs = 10_000): Promise<RunningBroker[]> {
  const started = await Promise.allSettled(layout.ids.map((id) => inProcessNode(layout, id, options, extra)));
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    for (const n of nodes) await eventually(`node ${n.nodeId} sees ${nodes.length} unfenced brokers`, timeoutMs, () => n.metadata.unfencedBrokers().length === nodes.length);
  } catch (err) {
    // Nodes left running would keep the test process alive after the failed hook.
    await Promise.all(nodes.map((n) => n.close()));
    throw err;
  }
  return nodes;
}

export async function removeLayout(layout: ClusterLayout): Promise<void> {
  for (const d of layout.dirs.values()) await rm(d, { recursive: true, force: true });
}

/** A suite's in-process cluster: `nodes` (which its tests may replace) and `layout`, once its `before` ran. */
export interface ClusterSuite {
  layout: ClusterLayout;
  nodes: RunningBroker[];
}

/**
 * Registers the suite's hooks: `n` in-process nodes started before its tests (inProcessCluster),
 * and after them every node then in `nodes` closed and the layout's directories removed.
 */
export function inProcessClusterSuite(n: number, options: BrokerOptions = {}, extra: Record<string, string | number> = {}): ClusterSuite {
  const suite = { nodes: [] } as unknown as ClusterSuite;
  before(async () => {
    suite.layout = await clusterLayout(n);
    suite.nodes = await inProcessCluster(suite.layout, options, extra);
  });
  after(async () => {
    await Promise.all(suite.nodes.map((node) => node.close()));
    if (suite.layout) await removeLayout(suite.layout);
  });
  return suite;
}
