/**
 * Whole request and response frames: the size prefix, the header in the version the API and
 * its version call for, and the body. Pure functions on buffers; the network layer does the I/O.
 */
import { type AnyApiDescriptor, requestHeaderVersion, responseHeaderVersion } from './api-descriptor.js';
import { type RequestHeader, decodeRequestHeader, decodeResponseHeader, encodeRequestHeader, encodeResponseHeader } from './messages/headers.js';
import { apiByKey } from './messages/index.js';
import { Reader } from './primitives/reader.js';
import { Writer } from './primitives/writer.js';
import { DecodeError } from './samsa-error.js';

export interface RequestFrame {
  /** The API, or undefined when the key is not one Samsa knows. */
  api: AnyApiDescriptor | undefined;
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** The decoded header, when the API is known and its header version could be decided. */
  header: RequestHeader | undefined;
  /** A reader positioned at the start of the body. */
  body: Reader;
}

/**
 * Reads a request frame's header. The API key, version and correlation id always come first, so
 * they are read even when the API or version is unknown (to answer UNSUPPORTED_VERSION); the
 * rest of the header is decoded only when the version is in the API's range.
 */
export function readRequestFrame(frame: Buffer): RequestFrame {
  const r = new Reader(frame);
  if (r.remaining < 8) throw new DecodeError(`request frame of ${frame.length} bytes is too short for a header`);
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const correlationId = frame.readInt32BE(4);
  const api = apiByKey(apiKey);
  if (!api || apiVersion < api.minVersion || apiVersion > api.maxVersion) {
    return { api, apiKey, apiVersion, correlationId, header: undefined, body: r };
  }
  const header = decodeRequestHeader(r, requestHeaderVersion(api, apiVersion));
  return { api, apiKey, apiVersion, correlationId, header, body: r };
}

/** Encodes a complete response frame (size prefix included) as a list of buffers for writev. */
export function encodeResponseFrame(api: AnyApiDescriptor, version: number, correlationId: number, body: unknown): Buffer[] {
  const w = new Writer(256);
  const size = w.reserve(4);
  encodeResponseHeader(w, responseHeaderVersion(api, version), { correlationId });
  (api.encodeResponse as (w: Writer, v: number, b: unknown) => void)(w, version, body);
  size.buf.writeInt32BE(w.length - 4, size.off);
  return w.toChunks();
}

/** Encodes a complete request frame (size prefix included). */
export function encodeRequestFrame(api: AnyApiDescriptor, version: number, correlationId: number, clientId: string | null, body: unknown): Buffer[] {
  const w = new Writer(256);
  const size = w.reserve(4);
  encodeRequestHeader(w, requestHeaderVersion(api, version), { requestApiKey: api.apiKey, requestApiVersion: version, correlationId, clientId });
  (api.encodeRequest as (w: Writer, v: number, b: unknown) => void)(w, version, body);
  size.buf.writeInt32BE(w.length - 4, size.off);
  return w.toChunks();
}

/** Reads a response frame (without its size prefix) for a request of `api` at `version`. */
export function readResponseFrame(api: AnyApiDescriptor, version: number, frame: Buffer): { correlationId: number; body: unknown } {
  const r = new Reader(frame);
  const { correlationId } = decodeResponseHeader(r, responseHeaderVersion(api, version));
  return { correlationId, body: api.decodeResponse(r, version) };
}
