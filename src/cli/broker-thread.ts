/**
 * The worker thread `samsa broker` runs its broker on. A worker, because its V8 heap can be sized
 * when it starts (Node cannot resize a running process's heap): a broker keeps a small heap while
 * socket reads allocate hundreds of MB/s of short-lived buffers, and with Node's default young
 * generation V8 then runs a full mark-compact every few tens of milliseconds (docs/broker.md).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type BrokerOptions, startBroker } from '../broker/broker.js';

/** What the thread posts once the broker serves requests. */
export interface BrokerThreadReady {
  nodeId: number;
  bootstrap: string;
  dataDir: string;
  clusterId: string;
  /** Every listener as `NAME://host:port` (advertised). */
  listeners: string[];
}

const port = parentPort!;

/** Starts the broker, posts its ready message, and closes it on the first message from the parent. */
async function serve(): Promise<void> {
  const broker = await startBroker(workerData as BrokerOptions);
  // Any message asks for a clean shutdown; the thread ends once the broker is closed.
  port.once('message', () =>
    void broker
      .close()
      .catch((err: unknown) => {
        process.stderr.write(`samsa: the broker did not close cleanly: ${(err as Error).message}\n`);
        process.exitCode = 1;
      })
      .finally(() => port.close()),
  );
  port.postMessage({ nodeId: broker.nodeId, bootstrap: broker.bootstrap, dataDir: broker.dataDir, clusterId: broker.clusterId, listeners: broker.listeners.map((l) => `${l.name}://${l.bootstrap}`) } satisfies BrokerThreadReady);
}

// No top-level await: the thread's script is also bundled as CommonJS (scripts/bundle.ts), which
// has none. A start that fails is thrown as the thread's uncaught error, which the parent receives
// as the worker's 'error' event, as a rejected top-level await did.
serve().catch((err: unknown) =>
  process.nextTick(() => {
    throw err;
  }),
);
