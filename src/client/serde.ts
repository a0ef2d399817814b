/** Turning keys, values and header values into bytes and back: Buffers pass through, strings are UTF-8, JSON on request. */

export type Bytes = Buffer | Uint8Array | string | null | undefined;

export function toBytes(v: Bytes): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export interface Serializer<T> {
  serialize(value: T): Buffer | null;
}

export interface Deserializer<T> {
  deserialize(bytes: Buffer | null): T;
}

/** The default: Buffers and Uint8Arrays as they are, strings as UTF-8; bytes are read back as Buffers. */
export const bytesSerde: Serializer<Bytes> & Deserializer<Buffer | null> = {
  serialize: toBytes,
  deserialize: (b) => b,
};

export const stringSerde: Serializer<string | null> & Deserializer<string | null> = {
  serialize: (v) => toBytes(v),
  deserialize: (b) => (b === null ? null : b.toString('utf8')),
};

export const jsonSerde: Serializer<unknown> & Deserializer<unknown> = {
  serialize: (v) => (v === undefined ? null : Buffer.from(JSON.stringify(v), 'utf8')),
  deserialize: (b) => (b === null ? null : (JSON.parse(b.toString('utf8')) as unknown)),
};
