/**
 * The plain Raft runs' workload: `key=value` records appended to whoever leads, and after the heal
 * a marker that must reach every node, all agreeing on one leader.
 */
import type { SimCluster } from './sim-cluster.js';
import type { SimWorkload } from './sim-workload.js';

export class KvWorkload implements SimWorkload {
  private appendSeq = 0;

  constructor(
    private readonly cluster: SimCluster,
    private readonly seed: number,
  ) {}

  start(): void {
    const world = this.cluster.world;
    const r = world.random.fork('workload');
    const tick = (): void => {
      const leaders = this.cluster.leaders();
      const n = leaders[r.nextInt(Math.max(1, leaders.length))];
      if (n) {
        const count = 1 + r.nextInt(3);
        const records = Array.from({ length: count }, () => Buffer.from(`k${r.nextInt(12)}=${++this.appendSeq}`));
        try {
          n.client.append(records);
        } catch {
          // Not the leader any more: the workload just tries again later.
        }
      }
      world.schedule(10 + r.nextInt(200), tick);
    };
    world.schedule(1, tick);
  }

  /** One leader all running nodes agree on, and a marker appended through it on every node. */
  progressed(): boolean {
    const value = String(this.seed);
    const nodes = this.cluster.nodes;
    const running = nodes.filter((n) => n.running);
    if (running.length < nodes.length) return false;
    const leader = this.cluster.leaders()[0];
    if (!leader) return false;
    if (![...leader.kv.map.values()].includes(value)) {
      try {
        leader.client.append([Buffer.from(`heal=${value}`)]);
      } catch {
        return false;
      }
    }
    const { epoch } = leader.client.leaderAndEpoch();
    return running.every((n) => {
      const le = n.client.leaderAndEpoch();
      return le.leaderId === leader.id && le.epoch === epoch && n.kv.map.get('heal') === value;
    });
  }
}
