/**
 * Oracle tests: request frames captured from real clients (librdkafka through kcat, and kafkajs;
 * see test/protocol/oracle/capture.ts) decode to the values those clients were asked to send,
 * and re-encode to the very same bytes.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { encodeRequestFrame, readRequestFrame } from '../../src/protocol/frames.js';
import type * as M from '../../src/protocol/messages/index.js';
import { ApiKey, decodeConsumerProtocolSubscription } from '../../src/protocol/messages/index.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { fixturePath } from '../helpers/repo-root.js';
import { CODECS, GROUP, TOPIC } from './oracle/scenario.js';

const CODEC_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

function load(name: string): { frame: Buffer; apiKey: number; apiVersion: number; clientId: string | null; body: unknown } {
  const frame = readFileSync(fixturePath('oracle', `${name}.bin`));
  const req = readRequestFrame(frame);
  assert.ok(req.api && req.header, `${name}: api ${req.apiKey} v${req.apiVersion} is supported`);
  const body = req.api.decodeRequest(req.body, req.apiVersion);
  assert.equal(req.body.remaining, 0, `${name}: the whole frame is consumed`);
  return { frame, apiKey: req.apiKey, apiVersion: req.apiVersion, clientId: req.header.clientId, body };
}

/** The batch header fields of the first record batch in a produce request's records. */
function batchHeader(records: Buffer): { magic: number; compression: number; count: number } {
  return { magic: records.readInt8(16), compression: records.readInt16BE(21) & 7, count: records.readInt32BE(57) };
}

describe('oracle: frames captured from real clients', () => {
  it('every fixture re-encodes to the same bytes', () => {
    const files = readdirSync(fixturePath('oracle')).filter((f) => f.endsWith('.bin'));
    assert.ok(files.length >= 15, `found ${files.length} fixtures`);
    for (const f of files) {
      const name = f.replace(/\.bin$/, '');
      const { frame, apiKey, apiVersion, clientId, body } = load(name);
      const req = readRequestFrame(frame);
      const again = Buffer.concat(encodeRequestFrame(req.api!, apiVersion, req.correlationId, clientId, body));
      assert.deepEqual(again.subarray(4), frame, `${name} (api ${apiKey} v${apiVersion})`);
    }
  });

  it('ApiVersions from librdkafka names the client software', () => {
    const { apiVersion, clientId, body } = load('kcat-api-versions');
    assert.equal(apiVersion, 3);
    assert.equal(clientId, 'rdkafka');
    const b = body as M.ApiVersionsRequest;
    assert.equal(b.clientSoftwareName, 'librdkafka');
    assert.match(b.clientSoftwareVersion, /^2\.0\.2/);
  });

  it('ApiVersions from kafkajs is the non-flexible v2', () => {
    const { apiVersion, clientId } = load('kafkajs-api-versions');
    assert.equal(apiVersion, 2);
    assert.equal(clientId, 'oracle-kafkajs');
  });

  for (const client of ['kcat', 'kafkajs']) {
    it(`Metadata from ${client} asks for the topic`, () => {
      const { apiKey, body } = load(`${client}-metadata`);
      assert.equal(apiKey, ApiKey.Metadata);
      const b = body as M.MetadataRequest;
      assert.deepEqual(b.topics?.map((t) => t.name), [TOPIC]);
    });
  }

  for (const codec of CODECS) {
    it(`Produce from librdkafka with ${codec} compression`, () => {
      const { apiKey, apiVersion, body } = load(`kcat-produce-${codec}`);
      assert.equal(apiKey, ApiKey.Produce);
      assert.equal(apiVersion, 7);
      const b = body as M.ProduceRequest;
      assert.equal(b.acks, -1);
      assert.equal(b.transactionalId, null);
      assert.equal(b.topicData.length, 1);
      assert.equal(b.topicData[0]!.name, TOPIC);
      const p = b.topicData[0]!.partitionData[0]!;
      assert.equal(p.index, 0);
      assert.ok(p.records);
      assert.deepEqual(batchHeader(p.records), { magic: 2, compression: CODEC_IDS[codec], count: 5 });
    });
  }

  for (const codec of ['none', 'gzip'] as const) {
    it(`Produce from kafkajs with ${codec} compression`, () => {
      const { body } = load(`kafkajs-produce-${codec}`);
      const b = body as M.ProduceRequest;
      assert.equal(b.acks, -1);
      assert.equal(b.timeoutMs, 30000);
      const p = b.topicData[0]!.partitionData[0]!;
      assert.deepEqual(batchHeader(p.records!), { magic: 2, compression: CODEC_IDS[codec], count: 3 });
    });
  }

  for (const client of ['kcat', 'kafkajs']) {
    it(`Fetch from ${client} starts at offset 0 of partition 0`, () => {
      const { apiKey, apiVersion, body } = load(`${client}-fetch`);
      assert.equal(apiKey, ApiKey.Fetch);
      assert.equal(apiVersion, 11);
      const b = body as M.FetchRequest;
      assert.equal(b.replicaId, -1);
      assert.equal(b.topics[0]!.topic, TOPIC);
      const p = b.topics[0]!.partitions[0]!;
      assert.equal(p.partition, 0);
      assert.equal(p.fetchOffset, 0n);
      assert.ok(p.partitionMaxBytes > 0);
    });

    it(`JoinGroup from ${client} joins the group with consumer protocols`, () => {
      const { apiKey, body } = load(`${client}-join-group`);
      assert.equal(apiKey, ApiKey.JoinGroup);
      const b = body as M.JoinGroupRequest;
      assert.equal(b.groupId, GROUP);
      assert.equal(b.memberId, '');
      assert.equal(b.protocolType, 'consumer');
      assert.ok(b.protocols.length >= 1);
      assert.ok(b.sessionTimeoutMs > 0);
      // The subscription metadata is a ConsumerProtocolSubscription prefixed by its version.
      for (const p of b.protocols) {
        const version = p.metadata.readInt16BE(0);
        const sub = decodeConsumerProtocolSubscription(new Reader(p.metadata, 2), version);
        assert.deepEqual(sub.topics, [TOPIC], `${p.name} v${version}`);
      }
    });
  }
});
