/**
 * What the oracle capture asks real clients to send, and so what the captured bytes must decode
 * to. Shared by the capture script and the oracle test; nothing here comes from Samsa's decoders.
 */
export const TOPIC = 'oracle-topic';
export const GROUP = 'oracle-group';
export const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Codec = (typeof CODECS)[number];

/** Records kcat produces: `key:value` lines with one header on every record. */
export const KCAT_RECORDS = Array.from({ length: 5 }, (_, i) => ({ key: `key-${i}`, value: `value-${i}-${'x'.repeat(i * 10)}` }));
export const KCAT_HEADER = { key: 'trace', value: 'abc123' };

/** Records kafkajs produces (gzip and none; kafkajs has no other codec built in). */
export const KAFKAJS_RECORDS = [
  { key: 'k1', value: 'hello', headers: { h1: 'v1' } },
  { key: null, value: 'no key', headers: {} },
  { key: 'k3', value: null, headers: {} },
];
