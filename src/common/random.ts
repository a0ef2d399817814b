/**
 * Randomness as an injected dependency (design principle 4): a function giving a float in [0, 1),
 * like Math.random, so that the simulator and tests can replay a run from a seed.
 */
import { randomBytes } from 'node:crypto';

export type Random = () => number;

/** The real one. */
export const systemRandom: Random = Math.random;

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A version-4 UUID string (as crypto.randomUUID gives) drawn from `random`. */
export function randomUuid(random: Random): string {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + Math.floor(random() * 4)).toString(16)}${hex(3)}-${hex(12)}`;
}

/** Random bytes for secrets (SCRAM nonces, salts): node:crypto's CSPRNG by default, injected in tests. */
export type RandomBytes = (size: number) => Buffer;

export const systemRandomBytes: RandomBytes = (size) => randomBytes(size);

/** Bytes drawn from a Random (a seeded one replays; not for production secrets). */
export function randomBytesFrom(random: Random): RandomBytes {
  return (size) => {
    const b = Buffer.alloc(size);
    for (let i = 0; i < size; i++) b[i] = Math.floor(random() * 256);
    return b;
  };
}

/** An integer in [0, bound) drawn from `random`. */
export function randomInt(random: Random, bound: number): number {
  if (!Number.isInteger(bound) || bound <= 0) throw new RangeError(`randomInt bound must be a positive integer, got ${bound}`);
  return Math.floor(random() * bound);
}
