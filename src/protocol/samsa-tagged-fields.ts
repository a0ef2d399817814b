/**
 * Samsa's own tagged fields, for what newer Kafka versions carry in fields the specs Samsa
 * generates from do not have yet. A Kafka broker ignores them (unknown tags are skipped); when the
 * specs include the field, it replaces the tag.
 *
 * - DescribeCluster: Kafka 4.0's v2 (KIP-1073) has `IncludeFencedBrokers` in the request and
 *   `IsFenced` per broker. Samsa's DescribeCluster stops at v1, so a request tagged
 *   INCLUDE_FENCED_BROKERS asks for fenced brokers too, and each broker of the answer is tagged
 *   IS_FENCED (1 or 0).
 */
import type { TaggedField } from './primitives/codec-support.js';

export const SAMSA_TAG = { INCLUDE_FENCED_BROKERS: 0x5346, IS_FENCED: 0x5347 } as const;

export function flagTag(tag: number, on: boolean): TaggedField {
  return { tag, data: Buffer.from([on ? 1 : 0]) };
}

/** Whether `fields` carry `tag` set to 1. */
export function hasFlag(fields: readonly TaggedField[] | undefined, tag: number): boolean {
  return fields?.some((f) => f.tag === tag && f.data[0] === 1) ?? false;
}

/** Whether `fields` carry `tag` at all. */
export function hasTag(fields: readonly TaggedField[] | undefined, tag: number): boolean {
  return fields?.some((f) => f.tag === tag) ?? false;
}
