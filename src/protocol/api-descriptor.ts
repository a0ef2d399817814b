/** What the generated registry knows of each Kafka API, and the header versions that follow from it. */
import type { Reader } from './primitives/reader.js';
import type { Writer } from './primitives/writer.js';

export interface ApiDescriptor<Req, ReqInput, Res, ResInput> {
  readonly apiKey: number;
  /** Kafka's name of the API, e.g. `Fetch`. */
  readonly name: string;
  /** The range of versions Samsa has codecs for (an unstable latest version is left out). */
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The first flexible version (compact encodings, tagged fields), or Infinity. */
  readonly flexibleMinVersion: number;
  /** Which kinds of node serve it: `broker`, `controller`, `zkBroker`. */
  readonly listeners: readonly string[];
  decodeRequest(r: Reader, version: number): Req;
  encodeRequest(w: Writer, version: number, v: ReqInput): void;
  decodeResponse(r: Reader, version: number): Res;
  encodeResponse(w: Writer, version: number, v: ResInput): void;
}

// Parameter types are `never` so that any descriptor fits: callers narrow by API key.
export type AnyApiDescriptor = ApiDescriptor<unknown, never, unknown, never>;

const API_VERSIONS_KEY = 18;
const CONTROLLED_SHUTDOWN_KEY = 7;

/** Request header v2 for flexible versions, v1 otherwise; ControlledShutdown v0 alone uses v0. */
export function requestHeaderVersion(api: AnyApiDescriptor, version: number): number {
  if (api.apiKey === CONTROLLED_SHUTDOWN_KEY && version === 0) return 0;
  return version >= api.flexibleMinVersion ? 2 : 1;
}

/** Response header v1 for flexible versions, v0 otherwise; ApiVersions always answers with v0. */
export function responseHeaderVersion(api: AnyApiDescriptor, version: number): number {
  if (api.apiKey === API_VERSIONS_KEY) return 0;
  return version >= api.flexibleMinVersion ? 1 : 0;
}
