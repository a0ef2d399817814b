/**
 * A Disk whose files count their read/readNow/write/writeNow calls (the tests of the synchronous
 * read and write paths: which path a read or write took), optionally without the synchronous calls.
 */
import type { Disk, DiskFile } from '../../src/storage/disk.js';

type Counted = 'read' | 'readNow' | 'write' | 'writeNow';

/** `inner` with its files' calls counted (`strip`: its files without the synchronous calls). */
export function countingDisk(inner: Disk, strip = false): { disk: Disk; calls: Record<Counted, number> } {
  const calls: Record<Counted, number> = { read: 0, readNow: 0, write: 0, writeNow: 0 };
  const stripped = new Set<PropertyKey>(['readNow', 'writeNow', 'readNowMaxBytes', 'writeNowMaxBytes']);
  const wrap = (f: DiskFile): DiskFile =>
    new Proxy(f, {
      get(target, key) {
        if (strip && stripped.has(key)) return undefined;
        const v: unknown = Reflect.get(target, key, target);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (typeof key === 'string' && key in calls) calls[key as Counted]++;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const disk = new Proxy(inner, {
    get(target, key) {
      const v: unknown = Reflect.get(target, key, target);
      if (key === 'open') return async (path: string, mode: Parameters<Disk['open']>[1]) => wrap(await target.open(path, mode));
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { disk, calls };
}
