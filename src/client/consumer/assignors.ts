/**
 * Partition assignors of the consumer protocol, computed by the group leader, with the Java
 * client's names and results:
 * - `range`: per topic, members subscribed to it in order each take a contiguous range; the first
 *   `partitions % members` take one more (RangeAssignor);
 * - `roundrobin`: all partitions in topic/partition order dealt to the members in turn, skipping
 *   members not subscribed to the topic (RoundRobinAssignor);
 * - `cooperative-sticky`: balanced like round robin but keeping every partition a member already
 *   owns where balance allows; used with the cooperative protocol, so a partition that moves is
 *   first revoked by its owner and only given to its new member in the next rebalance.
 * Members are ordered as the Java client orders them: by group.instance.id when they have one, then
 * by member id.
 */

export interface MemberSubscription {
  memberId: string;
  groupInstanceId: string | null;
  topics: readonly string[];
  /** Partitions the member owned going into this rebalance (cooperative protocol), by topic. */
  owned: ReadonlyMap<string, readonly number[]>;
  /** The generation in which it owned them, -1 when unknown. */
  generationId: number;
}

/** memberId → topic → partitions. */
export type Assignment = Map<string, Map<string, number[]>>;

export interface Assignor {
  readonly name: string;
  readonly cooperative: boolean;
  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): Assignment;
}

function memberOrder(a: MemberSubscription, b: MemberSubscription): number {
  const ai = a.groupInstanceId;
  const bi = b.groupInstanceId;
  if (ai !== null && bi !== null && ai !== bi) return ai < bi ? -1 : 1;
  if (ai !== null && bi === null) return -1;
  if (ai === null && bi !== null) return 1;
  return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
}

function emptyAssignment(members: readonly MemberSubscription[]): Assignment {
  return new Map(members.map((m) => [m.memberId, new Map<string, number[]>()]));
}

function give(a: Assignment, memberId: string, topic: string, partition: number): void {
  const topics = a.get(memberId)!;
  const list = topics.get(topic);
  if (list) list.push(partition);
  else topics.set(topic, [partition]);
}

const sortedTopics = (partitionsPerTopic: ReadonlyMap<string, number>) => [...partitionsPerTopic.keys()].sort();

export const rangeAssignor: Assignor = {
  name: 'range',
  cooperative: false,
  assign(members, partitionsPerTopic) {
    const out = emptyAssignment(members);
    for (const topic of sortedTopics(partitionsPerTopic)) {
      const consumers = members.filter((m) => m.topics.includes(topic)).sort(memberOrder);
      const n = partitionsPerTopic.get(topic)!;
      if (consumers.length === 0) continue;
      const per = Math.floor(n / consumers.length);
      const extra = n % consumers.length;
      consumers.forEach((m, i) => {
        const start = per * i + Math.min(i, extra);
        const length = per + (i < extra ? 1 : 0);
        for (let p = start; p < start + length; p++) give(out, m.memberId, topic, p);
      });
    }
    return out;
  },
};

export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  cooperative: false,
  assign(members, partitionsPerTopic) {
    const out = emptyAssignment(members);
    const ordered = [...members].sort(memberOrder);
    if (ordered.length === 0) return out;
    let next = 0;
    for (const topic of sortedTopics(partitionsPerTopic)) {
      if (!ordered.some((m) => m.topics.includes(topic))) continue;
      for (let p = 0; p < partitionsPerTopic.get(topic)!; p++) {
        while (!ordered[next % ordered.length]!.topics.includes(topic)) next++;
        give(out, ordered[next % ordered.length]!.memberId, topic, p);
        next++;
      }
    }
    return out;
  },
};

/**
 * Sticky and balanced: owned partitions stay (a partition claimed by two members goes to the one
 * with the newer generation), unowned ones go to the least loaded subscriber, then partitions move
 * one at a time from the most to the least loaded member that can take them until no two members
 * able to swap differ by more than one.
 */
export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  cooperative: true,
  assign(members, partitionsPerTopic) {
    const ordered = [...members].sort(memberOrder);
    const owner = new Map<string, { memberId: string; generation: number }>();
    for (const m of ordered) {
      for (const [topic, parts] of m.owned) {
        const n = partitionsPerTopic.get(topic);
        if (n === undefined || !m.topics.includes(topic)) continue;
        for (const p of parts) {
          if (p < 0 || p >= n) continue;
          const key = `${topic}\u0000${p}`;
          const prev = owner.get(key);
          if (!prev || m.generationId > prev.generation) owner.set(key, { memberId: m.memberId, generation: m.generationId });
        }
      }
    }
    const held = new Map(ordered.map((m) => [m.memberId, [] as string[]]));
    const unowned: string[] = [];
    for (const topic of sortedTopics(partitionsPerTopic)) {
      if (!ordered.some((m) => m.topics.includes(topic))) continue;
      for (let p = 0; p < partitionsPerTopic.get(topic)!; p++) {
        const key = `${topic}\u0000${p}`;
        const o = owner.get(key);
        if (o) held.get(o.memberId)!.push(key);
        else unowned.push(key);
      }
    }
    const subscribed = (m: MemberSubscription, key: string) => m.topics.includes(key.slice(0, key.indexOf('\u0000')));
    for (const key of unowned) {
      let best: MemberSubscription | undefined;
      for (const m of ordered) if (subscribed(m, key) && (!best || held.get(m.memberId)!.length < held.get(best.memberId)!.length)) best = m;
      held.get(best!.memberId)!.push(key);
    }
    rebalance(ordered, held, subscribed);
    const out = emptyAssignment(members);
    for (const [memberId, keys] of held) {
      for (const key of keys.sort()) {
        const sep = key.indexOf('\u0000');
        give(out, memberId, key.slice(0, sep), Number(key.slice(sep + 1)));
      }
    }
    for (const topics of out.values()) for (const list of topics.values()) list.sort((a, b) => a - b);
    return out;
  },
};

/** Moves partitions from the most to the least loaded members that can take them until balanced. */
function rebalance(ordered: MemberSubscription[], held: Map<string, string[]>, subscribed: (m: MemberSubscription, key: string) => boolean): void {
  const total = [...held.values()].reduce((n, h) => n + h.length, 0);
  for (let moves = 0; moves <= total; moves++) {
    const byLoad = [...ordered].sort((a, b) => held.get(b.memberId)!.length - held.get(a.memberId)!.length);
    let moved = false;
    for (const from of byLoad) {
      for (const to of [...byLoad].reverse()) {
        if (held.get(from.memberId)!.length - held.get(to.memberId)!.length <= 1) break;
        const source = held.get(from.memberId)!;
        const i = source.findIndex((key) => subscribed(to, key));
        if (i < 0) continue;
        held.get(to.memberId)!.push(source.splice(i, 1)[0]!);
        moved = true;
        break;
      }
      if (moved) break;
    }
    if (!moved) return;
  }
}

export const ASSIGNORS: Record<string, Assignor> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  'cooperative-sticky': cooperativeStickyAssignor,
};
