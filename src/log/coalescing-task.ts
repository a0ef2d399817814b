/**
 * Runs an async task on request, one run at a time, with requests that arrive during a run
 * sharing the next run: a caller's promise resolves after a run that started after its request
 * (so its changes are included). Checkpoint writes use it: DeleteRecords waits for one.
 */
export class CoalescingTask {
  private current: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  constructor(private readonly task: () => Promise<void>) {}

  request(): Promise<void> {
    if (this.next) return this.next;
    const after = this.current ?? Promise.resolve();
    const run = after
      .catch(() => {})
      .then(() => {
        this.next = null;
        const p = this.task();
        this.current = p;
        return p.finally(() => {
          if (this.current === p) this.current = null;
        });
      });
    this.next = run;
    return run;
  }

  /** Resolves when no run is in progress or queued. */
  async idle(): Promise<void> {
    while (this.current || this.next) await (this.next ?? this.current)!.catch(() => {});
  }
}
