/**
 * Keeps appends to a partition in request order when some must first be prepared asynchronously
 * (recompressed for `compression.type`). A ready batch with nothing pending ahead of it is
 * appended at once, synchronously; otherwise it waits for the appends before it to be *started*
 * (not finished: concurrent appends still share one fsync).
 */
import type { AppendResult, PartitionLogView } from '../partition-logs.js';

type AppendOptions = Parameters<PartitionLogView['append']>[1];

export class AppendSequencer {
  /** Per partition, a promise settled once the latest queued append has been started. */
  private readonly tails = new Map<string, Promise<void>>();

  append(key: string, log: PartitionLogView, batch: Buffer | Promise<Buffer>, opts: AppendOptions): Promise<AppendResult> {
    const tail = this.tails.get(key);
    if (!tail && Buffer.isBuffer(batch)) return log.append(batch, opts);
    const started = (tail ?? Promise.resolve()).then(async () => ({ result: log.append(await batch, opts) }));
    const newTail = started.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, newTail);
    void newTail.then(() => {
      if (this.tails.get(key) === newTail) this.tails.delete(key);
    });
    return started.then((s) => s.result);
  }
}
