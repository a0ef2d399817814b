/**
 * The whole-request error answers (src/broker/faults/error-responses.ts: a forward to the
 * controller that timed out, a refused authorization, an injected fault) encode at every version
 * of their API, for any request: a field a version lacks must hold its default.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { errorResponse, hasErrorResponse } from '../../src/broker/faults/error-responses.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { API_DESCRIPTORS } from '../../src/protocol/messages/index.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { schemaOf } from '../protocol/generated-schemas.js';
import { SampleBuilder } from '../protocol/message-samples.js';

it('every error answer encodes at every version of its API', () => {
  const failures: string[] = [];
  for (const api of API_DESCRIPTORS.filter((a) => hasErrorResponse(a.apiKey))) {
    for (let version = api.minVersion; version <= api.maxVersion; version++) {
      for (let seed = 0; seed < 5; seed++) {
        const req = api.decodeRequest(encoded(api, version, new SampleBuilder(schemaOf(`${api.name}Request`), seed).message(version)), version) as Record<string, unknown>;
        try {
          (api.encodeResponse as (w: Writer, v: number, x: unknown) => void)(new Writer(), version, errorResponse(api.apiKey, version, req, ErrorCode.REQUEST_TIMED_OUT));
        } catch (err) {
          failures.push(`${api.name} v${version}: ${(err as Error).message}`);
          break;
        }
      }
    }
  }
  assert.deepEqual(failures, []);
});

/** A sample request as the handlers see it: encoded and decoded, so absent fields hold their defaults. */
function encoded(api: (typeof API_DESCRIPTORS)[number], version: number, sample: unknown): Reader {
  const w = new Writer();
  (api.encodeRequest as (w: Writer, v: number, x: unknown) => void)(w, version, sample);
  return new Reader(w.toBuffer());
}
