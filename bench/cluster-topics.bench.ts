/**
 * Topic creation on three `samsa broker` processes: (1) the latency from a CreateTopics sent to one
 * broker until every broker's Metadata shows the topic with a leader for each partition, against
 * the same CreateTopics answered by a standalone node in the same run; (2) creating 10,000
 * partitions in one request, with replication factor 1 and 3, until every broker shows them and
 * has created the logs of its replicas (the answer comes once the receiving broker has), against
 * the same on a standalone node.
 */
import { performance } from 'node:perf_hooks';
import { rm } from 'node:fs/promises';
import { RawClient } from '../test/helpers/raw-client.js';
import { childBroker, tempDir } from '../test/helpers/test-broker.js';
import { createTopic, median, metadata, pct, processCluster, until } from './cluster-support.js';

const TOPICS = Number(process.env['CLUSTER_TOPICS'] ?? 40);
const BIG = Number(process.env['CLUSTER_BIG_PARTITIONS'] ?? 10_000);

/**
 * Creates `name` through `via`; returns [answered, visible everywhere] in ms. Visibility is polled
 * while the request is in flight: the answer also waits for the receiving broker to create the
 * logs of its replicas.
 */
async function createAndSee(via: RawClient, ports: number[], name: string, partitions: number, rf: number): Promise<[number, number]> {
  const t0 = performance.now();
  let answered = 0;
  const created = createTopic(via, name, partitions, rf, 300_000).then((code) => {
    if (code !== 0) throw new Error(`CreateTopics ${name}: error ${code}`);
    answered = performance.now() - t0;
  });
  await Promise.all(
    ports.map((port) =>
      until(300_000, async () => {
        const t = (await metadata(port, [name])).topics[0];
        return t?.errorCode === 0 && t.partitions.length === partitions && t.partitions.every((p) => p.leaderId >= 0);
      }, 2),
    ),
  );
  const visible = performance.now() - t0;
  await created;
  return [answered, visible];
}

async function standalone(): Promise<{ lat: number[]; big: [number, number] }> {
  const dir = await tempDir('samsa-bench-standalone-');
  const b = await childBroker(dir);
  const c = await RawClient.connect(b.port);
  try {
    const lat: number[] = [];
    for (let i = 0; i < TOPICS; i++) lat.push(Math.max(...(await createAndSee(c, [b.port], `solo-${i}`, 3, 1))));
    const big = await createAndSee(c, [b.port], 'solo-big', BIG, 1);
    return { lat, big };
  } finally {
    c.close();
    await b.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

export default async function clusterTopics(): Promise<void> {
  const solo = await standalone();
  const cluster = await processCluster(3);
  try {
    const ports = [...cluster.nodes.values()].map((n) => n.port);
    const via = await RawClient.connect(ports[0]!);
    const lat: number[] = [];
    const answered: number[] = [];
    for (let i = 0; i < TOPICS; i++) {
      const [a, v] = await createAndSee(via, ports, `lat-${i}`, 3, 3);
      answered.push(a);
      lat.push(Math.max(a, v));
    }
    const big1 = await createAndSee(via, ports, 'big-rf1', BIG, 1);
    const big3 = await createAndSee(via, ports, 'big-rf3', BIG, 3);
    via.close();
    const f = (xs: number[]) => `median ${median(xs).toFixed(1)} ms, p90 ${pct(xs, 0.9).toFixed(1)} ms`;
    console.log(`\n## Topics on three combined nodes as processes`);
    console.log(`create-to-visible on all brokers (3 partitions, RF 3, ${TOPICS} topics): ${f(lat)}; answered ${f(answered)}`);
    console.log(`baseline: standalone node, CreateTopics answered and visible: ${f(solo.lat)} (cluster ${(median(lat) / median(solo.lat)).toFixed(1)}x)`);
    console.log(`${BIG} partitions in one CreateTopics, RF 1: in every broker's metadata ${big1[1].toFixed(0)} ms; answered (the receiving broker's logs created) ${big1[0].toFixed(0)} ms`);
    console.log(`${BIG} partitions in one CreateTopics, RF 3: in every broker's metadata ${big3[1].toFixed(0)} ms; answered ${big3[0].toFixed(0)} ms`);
    console.log(`baseline: standalone node, ${BIG} partitions: in its metadata ${solo.big[1].toFixed(0)} ms; answered (all ${BIG} logs created) ${solo.big[0].toFixed(0)} ms`);
  } finally {
    await cluster.stop();
  }
}
