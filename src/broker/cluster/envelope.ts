/**
 * Kafka's Envelope (KIP-590), in which a broker forwards an admin request it cannot handle itself
 * to the active controller: the client's request frame (header and body, at the client's version),
 * the client's principal (DefaultPrincipalData) and address. The controller answers with the
 * response frame. Samsa's controller also tags the answer with the offset of the metadata it
 * reflects (tag SAMSA_METADATA_OFFSET_TAG, an int64), so that the forwarding broker can answer its
 * client only once its own metadata has caught up to it: a topic created through any broker is
 * then visible on that broker as soon as the client hears it was created.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { AnyApiDescriptor } from '../../protocol/api-descriptor.js';
import { encodeRequestFrame, encodeResponseFrame } from '../../protocol/frames.js';
import { decodeDefaultPrincipalData, encodeDefaultPrincipalData } from '../../protocol/messages/index.js';
import type { TaggedField } from '../../protocol/primitives/codec-support.js';
import { Reader } from '../../protocol/primitives/reader.js';
import { Writer } from '../../protocol/primitives/writer.js';

export const SAMSA_METADATA_OFFSET_TAG = 0x534d;

/** Header and body of a request (a frame without its size prefix), as Envelope carries it. */
export function requestData(api: AnyApiDescriptor, version: number, correlationId: number, clientId: string | null, body: unknown): Buffer {
  return Buffer.concat(encodeRequestFrame(api, version, correlationId, clientId, body)).subarray(4);
}

/** Header and body of a response, as Envelope carries it. */
export function responseData(api: AnyApiDescriptor, version: number, correlationId: number, body: unknown): Buffer {
  return Buffer.concat(encodeResponseFrame(api, version, correlationId, body)).subarray(4);
}

/** Kafka's DefaultPrincipalData of a client (default: User:ANONYMOUS). */
export function principalData(type = 'User', name = 'ANONYMOUS'): Buffer {
  const w = new Writer(32);
  encodeDefaultPrincipalData(w, 0, { type, name, tokenAuthenticated: false });
  return w.toBuffer();
}

/** The principal (`User:alice`) an Envelope's DefaultPrincipalData names; undefined when absent or unreadable. */
export function principalOf(data: Buffer | null): string | undefined {
  if (!data) return undefined;
  try {
    const p = decodeDefaultPrincipalData(new Reader(data), 0);
    return `${p.type}:${p.name}`;
  } catch {
    return undefined;
  }
}

/** The bytes of an IP address (`remote` as `ip:port`), loopback when it cannot be read. */
export function addressBytes(remote: string): Buffer {
  const host = remote.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').replace(/^::ffff:/, '');
  if (isIPv4(host)) return Buffer.from(host.split('.').map(Number));
  if (isIPv6(host)) {
    const [head = '', tail = ''] = host.split('::');
    const a = head ? head.split(':') : [];
    const b = tail ? tail.split(':') : [];
    const groups = [...a, ...Array<string>(8 - a.length - b.length).fill('0'), ...b];
    const out = Buffer.alloc(16);
    groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
    return out;
  }
  return Buffer.from([127, 0, 0, 1]);
}

/** The address an Envelope's `client_host_address` holds, as a broker's connections name it (`10.0.0.1`, `::1`); undefined unless 4 or 16 bytes. */
export function hostOfAddressBytes(bytes: Buffer): string | undefined {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return undefined;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // RFC 5952's short form, as node:net gives a peer's address.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

export function metadataOffsetTag(offset: number): TaggedField {
  const w = new Writer(8);
  w.writeInt64(BigInt(offset));
  return { tag: SAMSA_METADATA_OFFSET_TAG, data: w.toBuffer() };
}

/** The metadata offset a Samsa controller tagged its answer with, if any. */
export function metadataOffsetOf(fields: readonly TaggedField[] | undefined): number | undefined {
  const f = fields?.find((t) => t.tag === SAMSA_METADATA_OFFSET_TAG);
  return f && f.data.length === 8 ? Number(new Reader(f.data).readInt64()) : undefined;
}
