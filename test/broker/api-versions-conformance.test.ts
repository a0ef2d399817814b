/**
 * Every API and version the broker advertises in ApiVersions answers a well-formed request with
 * a response that decodes, at every version in the advertised range; a version outside it gets
 * the documented treatment.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import * as M from '../../src/protocol/messages/index.js';
import { startBroker } from '../../src/broker/broker.js';
import { produceHandler } from '../../src/broker/handlers/00-produce.js';
import { RawClient } from '../helpers/raw-client.js';
import { freePort, testBroker } from '../helpers/test-broker.js';

/** A minimal valid request per API (empty lists where the API allows). */
const MINIMAL: Record<string, (v: number) => unknown> = {
  Produce: () => ({ acks: 1, timeoutMs: 1000, topicData: [] }),
  Fetch: () => ({ maxWaitMs: 0, minBytes: 0, topics: [] }),
  ListOffsets: () => ({ replicaId: -1, topics: [] }),
  Metadata: (v) => ({ topics: v === 0 ? [] : null }),
  ApiVersions: () => ({ clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' }),
  CreateTopics: () => ({ topics: [], timeoutMs: 1000 }),
  DeleteTopics: () => ({ timeoutMs: 1000 }),
  DeleteRecords: () => ({ topics: [], timeoutMs: 1000 }),
  InitProducerId: () => ({ transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 }),
  OffsetForLeaderEpoch: () => ({ topics: [] }),
  DescribeConfigs: () => ({ resources: [] }),
  AlterConfigs: () => ({ resources: [], validateOnly: false }),
  DescribeLogDirs: () => ({ topics: null }),
  CreatePartitions: () => ({ topics: [], timeoutMs: 1000, validateOnly: false }),
  IncrementalAlterConfigs: () => ({ resources: [], validateOnly: false }),
  DescribeCluster: () => ({ includeClusterAuthorizedOperations: false }),
  DescribeTopicPartitions: () => ({ topics: [], responsePartitionLimit: 10, cursor: null }),
  OffsetCommit: () => ({ groupId: 'conformance', topics: [] }),
  OffsetFetch: (v) => (v >= 8 ? { groups: [{ groupId: 'conformance', topics: null }] } : { groupId: 'conformance', topics: v >= 2 ? null : [] }),
  FindCoordinator: (v) => (v >= 4 ? { keyType: 0, coordinatorKeys: ['conformance'] } : { key: 'conformance' }),
  JoinGroup: () => ({ groupId: 'conformance', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }),
  Heartbeat: () => ({ groupId: 'conformance', generationId: 1, memberId: 'nobody' }),
  LeaveGroup: (v) => (v >= 3 ? { groupId: 'conformance', members: [{ memberId: 'nobody' }] } : { groupId: 'conformance', memberId: 'nobody' }),
  SyncGroup: () => ({ groupId: 'conformance', generationId: 1, memberId: 'nobody', assignments: [] }),
  DescribeGroups: () => ({ groups: ['conformance'] }),
  ListGroups: () => ({}),
  DeleteGroups: () => ({ groupsNames: [] }),
  OffsetDelete: () => ({ groupId: 'conformance', topics: [] }),
  ConsumerGroupHeartbeat: () => ({ groupId: 'conformance-kip848', memberId: 'nobody', memberEpoch: 1 }),
  ConsumerGroupDescribe: () => ({ groupIds: ['conformance-kip848'] }),
  AddPartitionsToTxn: (v) => (v >= 4 ? { transactions: [] } : { v3AndBelowTransactionalId: 'conformance', v3AndBelowProducerId: 1n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [] }),
  AddOffsetsToTxn: () => ({ transactionalId: 'conformance', producerId: 1n, producerEpoch: 0, groupId: 'conformance' }),
  EndTxn: () => ({ transactionalId: 'conformance', producerId: 1n, producerEpoch: 0, committed: false }),
  WriteTxnMarkers: () => ({ markers: [] }),
  TxnOffsetCommit: () => ({ transactionalId: 'conformance', groupId: 'conformance', producerId: 1n, producerEpoch: 0, topics: [] }),
  DescribeProducers: () => ({ topics: [] }),
  DescribeTransactions: () => ({ transactionalIds: ['conformance'] }),
  ListTransactions: () => ({ stateFilters: [], producerIdFilters: [] }),
  // Security APIs: on a PLAINTEXT listener without an authorizer they answer ILLEGAL_SASL_STATE or SECURITY_DISABLED.
  SaslHandshake: () => ({ mechanism: 'PLAIN' }),
  SaslAuthenticate: () => ({ authBytes: Buffer.alloc(0) }),
  CreateAcls: () => ({ creations: [] }),
  DescribeAcls: () => ({ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }),
  DeleteAcls: () => ({ filters: [] }),
  DescribeClientQuotas: () => ({ components: [], strict: false }),
  AlterClientQuotas: () => ({ entries: [], validateOnly: true }),
  DescribeUserScramCredentials: () => ({ users: [] }),
  AlterUserScramCredentials: () => ({ deletions: [], upsertions: [] }),
  DescribeQuorum: () => ({ topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] }),
  UnregisterBroker: () => ({ brokerId: 999 }),
  ElectLeaders: () => ({ electionType: 0, topicPartitions: [], timeoutMs: 1000 }),
  AlterPartitionReassignments: () => ({ topics: [], timeoutMs: 1000 }),
  ListPartitionReassignments: () => ({ topics: [], timeoutMs: 1000 }),
  // The controller listener's (a node with the controller role).
  Vote: () => ({ clusterId: null, topics: [] }),
  BeginQuorumEpoch: () => ({ clusterId: null, topics: [] }),
  EndQuorumEpoch: () => ({ clusterId: null, topics: [] }),
  FetchSnapshot: () => ({ clusterId: null, topics: [] }),
  BrokerRegistration: () => ({ brokerId: 999, clusterId: 'wrong', incarnationId: 'AAAAAAAAAAAAAAAAAAAAAQ', listeners: [], features: [], rack: null }),
  BrokerHeartbeat: () => ({ brokerId: 999, brokerEpoch: 1n, currentMetadataOffset: 0n, wantFence: true, wantShutDown: false }),
  AllocateProducerIds: () => ({ brokerId: 999, brokerEpoch: 1n }),
  AlterPartition: () => ({ brokerId: 999, brokerEpoch: 1n, topics: [] }),
  Envelope: () => ({ requestData: Buffer.from([0, 3]), requestPrincipal: null, clientHostAddress: Buffer.from([127, 0, 0, 1]) }),
};

/** Every API and version `port` advertises answers a minimal request with a response that decodes. */
async function everyAdvertisedVersionAnswers(client: RawClient, minimal: Record<string, (v: number) => unknown>): Promise<number> {
  const av = await client.send(M.ApiVersionsApi, 3, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' });
  assert.equal(av.errorCode, ErrorCode.NONE);
  for (const range of av.apiKeys) {
    const api = M.apiByKey(range.apiKey);
    assert.ok(api, `advertised api ${range.apiKey} has a codec`);
    const make = minimal[api.name];
    assert.ok(make, `the test knows a minimal ${api.name} request`);
    // Produce is listed from v0 as Kafka 4 lists it (KAFKA-18659) but served from v3: v0-2 close the connection (test below).
    const from = range.apiKey === M.ApiKey.Produce ? produceHandler.minVersion : range.minVersion;
    for (let v = from; v <= range.maxVersion; v++) {
      const res = await client.send(api, v, make(v) as never).catch((err: Error) => assert.fail(`${api.name} v${v}: ${err.message}`));
      assert.ok(res && typeof res === 'object', `${api.name} v${v} answered`);
    }
  }
  return av.apiKeys.length;
}

describe('ApiVersions conformance', () => {
  let broker: Awaited<ReturnType<typeof testBroker>>;
  let client: RawClient;
  before(async () => {
    broker = await testBroker({ config: { 'group.initial.rebalance.delay.ms': 0 } });
    client = await RawClient.connect(broker.port);
  });
  after(async () => {
    client.close();
    await broker.stop();
  });

  it('every advertised API answers at every advertised version', async () => {
    assert.ok((await everyAdvertisedVersionAnswers(client, MINIMAL)) >= 16);
  });

  it("so does every API of a controller's controller listener", async () => {
    const port = await freePort();
    const controller = await startBroker({
      storage: 'memory',
      logLevel: 'silent',
      config: { 'process.roles': 'controller', 'controller.quorum.voters': `1@127.0.0.1:${port}`, 'controller.listener.names': 'CONTROLLER', listeners: `CONTROLLER://127.0.0.1:${port}` },
    });
    const c = await RawClient.connect(port);
    try {
      const fetchMetadata = { replicaState: { replicaId: -1 }, maxWaitMs: 0, minBytes: 0, topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1024 }] }] };
      assert.equal(await everyAdvertisedVersionAnswers(c, { ...MINIMAL, Fetch: () => fetchMetadata }), 28, '22 APIs, CreateAcls, DeleteAcls, AlterClientQuotas, AlterUserScramCredentials forwarded to the controller, and SaslHandshake and SaslAuthenticate for SASL controller listeners');
    } finally {
      c.close();
      await controller.close();
    }
  });

  it('lists Produce from v0 as Kafka 4 does (KAFKA-18659) and closes the connection on a Produce v0-2 request', async () => {
    const av = await client.send(M.ApiVersionsApi, 3, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' });
    assert.equal(av.apiKeys.find((k) => k.apiKey === M.ApiKey.Produce)?.minVersion, 0);
    const c = await RawClient.connect(broker.port);
    // A Produce v2 header (key 0, version 2, correlation id 1, null client id) and acks=1, timeout 1000, no topics.
    c.write(Buffer.from([0, 0, 0, 20, 0, 0, 0, 2, 0, 0, 0, 1, 0xff, 0xff, 0, 1, 0, 0, 3, 0xe8, 0, 0, 0, 0]));
    await c.closed;
  });

  it('answers ApiVersions at a version it does not serve with v0 UNSUPPORTED_VERSION and its ranges', async () => {
    const c = await RawClient.connect(broker.port);
    // Version 99: the request header is read as v2 (flexible), the body is ignored.
    const frame = Buffer.from([0, 0, 0, 12, 0, 18, 0, 99, 0, 0, 0, 7, 0, 1, 0x61, 0]);
    const got = new Promise<Buffer>((resolve) => c.socket.once('data', resolve));
    c.write(frame);
    const res = M.decodeApiVersionsResponse(new (await import('../../src/protocol/primitives/reader.js')).Reader((await got).subarray(8)), 0);
    assert.equal(res.errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.ok(res.apiKeys.some((k) => k.apiKey === 18 && k.maxVersion === 4));
    c.close();
  });
});
