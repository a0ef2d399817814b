/**
 * Where new partitions' replicas go. Each partition's leader is the usable broker that is the
 * preferred leader (first replica) of the fewest partitions (then holds the fewest replicas, then
 * the lowest id); each further replica is
 * the broker holding the fewest replicas among those on a rack the partition does not use yet
 * (all brokers, once every rack is used). Counts include the partitions already in the cluster,
 * so leaders and replicas stay even across topics and over time, and replicas of a partition land
 * on as many racks as there are. Preferred leaders, not current ones, are counted: leadership
 * returns to them (auto.leader.rebalance.enable, ElectLeaders), while the current leaders only
 * say where the last failover left it — counted, a broker just back from a restart, leading
 * nothing yet, was given the lead of every partition created meanwhile, for good.
 *
 * Kafka's StripedReplicaPlacer gets the same evenness within one request by striping from a
 * random start over a rack-alternating broker list; counting the existing load evens out across
 * requests too (docs/cluster.md).
 */
import type { MetadataImage } from './image/metadata-image.js';

export interface PlacementBroker {
  readonly id: number;
  readonly rack: string | null;
}

/** Partitions preferred to lead (first replica) and replicas held, per broker id. */
export class BrokerLoad {
  readonly leaders = new Map<number, number>();
  readonly replicas = new Map<number, number>();

  static of(image: MetadataImage): BrokerLoad {
    const load = new BrokerLoad();
    for (const t of image.topics()) for (const p of t.partitions) load.add(p.replicas);
    return load;
  }

  add(replicas: readonly number[]): void {
    const preferred = replicas[0];
    if (preferred !== undefined) this.leaders.set(preferred, (this.leaders.get(preferred) ?? 0) + 1);
    for (const r of replicas) this.replicas.set(r, (this.replicas.get(r) ?? 0) + 1);
  }

  leadersOf(id: number): number {
    return this.leaders.get(id) ?? 0;
  }

  replicasOf(id: number): number {
    return this.replicas.get(id) ?? 0;
  }
}

/** Replica lists (leader first) for `partitions` new partitions of `replicationFactor` replicas; `load` is updated. */
export function placeReplicas(brokers: readonly PlacementBroker[], load: BrokerLoad, partitions: number, replicationFactor: number): number[][] {
  if (replicationFactor > brokers.length) throw new RangeError(`replication factor ${replicationFactor} exceeds the ${brokers.length} usable brokers`);
  const sorted = [...brokers].sort((a, b) => a.id - b.id);
  const racks = new Set(sorted.map((b) => b.rack ?? ''));
  const out: number[][] = [];
  for (let p = 0; p < partitions; p++) {
    const leader = pickLeader(sorted, load);
    const replicas = [leader.id];
    const usedRacks = new Set([leader.rack ?? '']);
    while (replicas.length < replicationFactor) {
      const candidates = sorted.filter((b) => !replicas.includes(b.id));
      const onNewRack = usedRacks.size < racks.size ? candidates.filter((b) => !usedRacks.has(b.rack ?? '')) : [];
      const next = pickFollower(onNewRack.length > 0 ? onNewRack : candidates, load);
      replicas.push(next.id);
      usedRacks.add(next.rack ?? '');
    }
    load.add(replicas);
    out.push(replicas);
  }
  return out;
}

function pickLeader(brokers: readonly PlacementBroker[], load: BrokerLoad): PlacementBroker {
  return minBy(brokers, (b) => [load.leadersOf(b.id), load.replicasOf(b.id)]);
}

function pickFollower(brokers: readonly PlacementBroker[], load: BrokerLoad): PlacementBroker {
  return minBy(brokers, (b) => [load.replicasOf(b.id), load.leadersOf(b.id)]);
}

/** The first broker (they come sorted by id) with the smallest key, compared element by element. */
function minBy(brokers: readonly PlacementBroker[], key: (b: PlacementBroker) => readonly number[]): PlacementBroker {
  let best = brokers[0]!;
  let bestKey = key(best);
  for (let i = 1; i < brokers.length; i++) {
    const k = key(brokers[i]!);
    const cmp = k[0]! - bestKey[0]! || k[1]! - bestKey[1]!;
    if (cmp < 0) {
      best = brokers[i]!;
      bestKey = k;
    }
  }
  return best;
}
