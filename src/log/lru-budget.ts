/**
 * A least-recently-used set of items with a cost each and a total budget. When the total goes
 * over, the oldest items are offered to `evict`, which may refuse (an item in use); refused items
 * stay and are offered again on the next trim. Used for index buffers (cost: bytes).
 */
export class LruBudget<K> {
  /** Map iteration order is insertion order: the first key is the least recently used. */
  private readonly costs = new Map<K, number>();
  private total = 0;

  constructor(
    private budget: number,
    private readonly evict: (key: K) => boolean,
  ) {}

  get used(): number {
    return this.total;
  }

  get size(): number {
    return this.costs.size;
  }

  setBudget(budget: number): void {
    this.budget = budget;
    this.trim();
  }

  /** Adds `key` (or updates its cost) as the most recently used, then trims to the budget. */
  touch(key: K, cost: number): void {
    const old = this.costs.get(key);
    if (old !== undefined) {
      this.costs.delete(key);
      this.total -= old;
    }
    this.costs.set(key, cost);
    this.total += cost;
    if (this.total > this.budget) this.trim(key);
  }

  /** Forgets `key` without calling evict (its owner released it). */
  remove(key: K): void {
    const old = this.costs.get(key);
    if (old === undefined) return;
    this.costs.delete(key);
    this.total -= old;
  }

  has(key: K): boolean {
    return this.costs.has(key);
  }

  /** Evicts from the least recently used end until within budget, sparing `keep`. */
  trim(keep?: K): void {
    for (const [key, cost] of this.costs) {
      if (this.total <= this.budget) return;
      if (key === keep) continue;
      if (this.evict(key)) {
        this.costs.delete(key);
        this.total -= cost;
      }
    }
  }
}
