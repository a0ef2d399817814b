/**
 * The server-side assignors of KIP-848 consumer groups, as Kafka names them: `uniform` (the
 * default; sticky and balanced) and `range` (each topic's partitions split in contiguous ranges
 * over the members subscribed to it, in member-id order). An assignment is a set of partition
 * keys (`partitionKey(topicId, partition)`).
 */

/** What an assignor sees of a member: the topics (by id) it subscribes to and its current target. */
export interface AssignorMember {
  readonly memberId: string;
  readonly subscribedTopicIds: ReadonlySet<string>;
  readonly currentTarget: ReadonlySet<string>;
}

/** Subscribed topic id -> its partition count. */
export type TopicPartitionCounts = ReadonlyMap<string, number>;

export type Assignor = (members: readonly AssignorMember[], topics: TopicPartitionCounts) => Map<string, Set<string>>;

export const partitionKey = (topicId: string, partition: number): string => `${topicId}:${partition}`;

export function splitPartitionKey(key: string): [topicId: string, partition: number] {
  const i = key.lastIndexOf(':');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}

export interface TopicPartitions {
  topicId: string;
  partitions: number[];
}

/** Partition keys grouped by topic, partitions in order. */
export function toTopicPartitions(keys: ReadonlySet<string>): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const k of keys) {
    const [topicId, p] = splitPartitionKey(k);
    let ps = byTopic.get(topicId);
    if (!ps) byTopic.set(topicId, (ps = []));
    ps.push(p);
  }
  return [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions: partitions.sort((a, b) => a - b) }));
}

/** Partition keys grouped by topic name, as the consumer protocol names them; topics no longer there are left out. */
export function toNamedTopicPartitions(keys: ReadonlySet<string>, topicName: (id: string) => string | undefined): { topic: string; partitions: number[] }[] {
  return toTopicPartitions(keys).flatMap((t) => {
    const topic = topicName(t.topicId);
    return topic === undefined ? [] : [{ topic, partitions: t.partitions }];
  });
}

/**
 * Sticky and balanced: each partition stays with the member it is assigned to while that member
 * still subscribes to its topic; unassigned partitions go to the eligible member with the fewest;
 * then partitions move from a member to an eligible one holding two or more fewer, until no move
 * is left (with the same subscriptions everywhere: counts differ by one at most).
 */
export const uniformAssignor: Assignor = (members, topics) => {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
  const out = new Map(sorted.map((m) => [m.memberId, new Set<string>()]));
  const eligible = new Map<string, typeof sorted>();
  for (const topicId of topics.keys()) eligible.set(topicId, sorted.filter((m) => m.subscribedTopicIds.has(topicId)));
  const count = (m: AssignorMember): number => out.get(m.memberId)!.size;
  const owner = new Map<string, AssignorMember>();
  for (const m of sorted) {
    for (const key of m.currentTarget) {
      const [topicId, p] = splitPartitionKey(key);
      if (owner.has(key) || !m.subscribedTopicIds.has(topicId) || p >= (topics.get(topicId) ?? 0)) continue;
      owner.set(key, m);
      out.get(m.memberId)!.add(key);
    }
  }
  for (const [topicId, partitions] of topics) {
    const candidates = eligible.get(topicId)!;
    if (candidates.length === 0) continue;
    for (let p = 0; p < partitions; p++) {
      const key = partitionKey(topicId, p);
      if (owner.has(key)) continue;
      const m = candidates.reduce((a, b) => (count(b) < count(a) ? b : a));
      owner.set(key, m);
      out.get(m.memberId)!.add(key);
    }
  }
  // Moves, each taking one partition from a member to an eligible one holding two fewer or less:
  // the sum of squared counts falls with every move, so the loop ends.
  for (let moved = true; moved; ) {
    moved = false;
    for (const [key, from] of owner) {
      const [topicId] = splitPartitionKey(key);
      const to = eligible.get(topicId)!.reduce((a, b) => (count(b) < count(a) ? b : a));
      if (count(to) + 1 >= count(from)) continue;
      out.get(from.memberId)!.delete(key);
      out.get(to.memberId)!.add(key);
      owner.set(key, to);
      moved = true;
    }
  }
  return out;
};

/** Each topic's partitions in contiguous ranges over its subscribers sorted by member id; the first (n mod m) take one more. */
export const rangeAssignor: Assignor = (members, topics) => {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
  const out = new Map(sorted.map((m) => [m.memberId, new Set<string>()]));
  for (const [topicId, partitions] of topics) {
    const subscribers = sorted.filter((m) => m.subscribedTopicIds.has(topicId));
    const n = subscribers.length;
    let p = 0;
    subscribers.forEach((m, i) => {
      const take = Math.floor(partitions / n) + (i < partitions % n ? 1 : 0);
      for (let j = 0; j < take; j++) out.get(m.memberId)!.add(partitionKey(topicId, p++));
    });
  }
  return out;
};

/** The assignors by the names members ask for in ConsumerGroupHeartbeat's server_assignor; the first is the default. */
export const ASSIGNORS: ReadonlyMap<string, Assignor> = new Map([
  ['uniform', uniformAssignor],
  ['range', rangeAssignor],
]);

export const DEFAULT_ASSIGNOR = 'uniform';
