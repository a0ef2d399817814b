/** What a simulation drives its cluster with, and how it knows the cluster recovered after the heal. */
export interface SimWorkload {
  /** Schedules the workload's first step on the world. */
  start(): void;
  /** Whether the cluster has made progress since the heal (asked every 50 simulated ms until the bound). */
  progressed(): boolean;
}
