/**
 * Memory measured after full collections, for tests that check something is not kept: `gc` is
 * exposed to the test's process (node:v8's flag, set once), and `arrayBufferBytes` is what every
 * ArrayBuffer (every Buffer's bytes) holds outside V8's heap once the garbage is gone.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
export const gc = runInNewContext('gc') as () => void;

/** Memory outside V8's heap held by ArrayBuffers, after full collections (and their finalizers' turn). */
export async function arrayBufferBytes(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().arrayBuffers;
}
