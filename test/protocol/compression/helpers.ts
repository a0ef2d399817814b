/** Inputs and assertions shared by the compression tests. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DecodeError } from '../../../src/protocol/samsa-error.js';
import { fixturePath } from '../../helpers/repo-root.js';

/** A compressed fixture from test/fixtures/compression (see its README for how each was made). */
export function fixture(name: string): Buffer {
  return readFileSync(fixturePath('compression', name));
}

/** The 70,000 bytes the fixtures were compressed from (the README's `seq | awk | head` pipeline). */
export function fixtureSource(): Buffer {
  const lines: string[] = [];
  for (let i = 1; i <= 3000; i++) lines.push(`{"id":${i},"user":"u${(i * 7919) % 1000}","event":"click"}\n`);
  return Buffer.from(lines.join('')).subarray(0, 70000);
}

/** xorshift32: deterministic bytes from a seed, so failures replay exactly. */
export function seededBytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Record-like payload: JSON events with repeated keys and a few varying fields, the kind of bytes
 * a producer batches. Deterministic for a given length.
 */
export function recordPayload(length: number): Buffer {
  const events = ['page_view', 'click', 'add_to_cart', 'purchase'];
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const line =
      JSON.stringify({
        id: `evt-${(i * 2654435761) % 1e9}`,
        user: `user-${(i * 7919) % 5000}`,
        type: events[i % events.length],
        ts: 1_700_000_000_000 + i * 137,
        amount: ((i * 31) % 10000) / 100,
        tags: ['web', `region-${i % 7}`],
      }) + '\n';
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, length);
}

/** Asserts `p` rejects with a DecodeError (and, if given, a message matching `pattern`); `label` names the case. */
export async function rejectsDecode(p: Promise<unknown>, pattern?: RegExp, label = ''): Promise<DecodeError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof DecodeError, `${label}${label ? ': ' : ''}expected a DecodeError, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  if (pattern) assert.match(caught.message, pattern, label);
  return caught;
}

/** Resolves to the output, or to the DecodeError it rejected with; anything else fails the test. */
export async function outcome(p: Promise<Buffer>): Promise<Buffer | DecodeError> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof DecodeError) return err;
    throw new Error(`expected a DecodeError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
  }
}
