/**
 * The group handlers at every version they serve, against a real group coordinator: requests
 * are encoded and decoded with the codecs, answers encoded and decoded back, so a field a
 * version lacks can never slip into its answer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BrokerContext } from '../../src/broker/broker-context.js';
import type { AnyHandler, RequestContext } from '../../src/broker/handler.js';
import { offsetCommitHandler } from '../../src/broker/handlers/08-offset-commit.js';
import { offsetFetchHandler } from '../../src/broker/handlers/09-offset-fetch.js';
import { findCoordinatorHandler } from '../../src/broker/handlers/10-find-coordinator.js';
import { clientHostOf, joinGroupHandler } from '../../src/broker/handlers/11-join-group.js';
import { heartbeatHandler } from '../../src/broker/handlers/12-heartbeat.js';
import { leaveGroupHandler } from '../../src/broker/handlers/13-leave-group.js';
import { syncGroupHandler } from '../../src/broker/handlers/14-sync-group.js';
import { describeGroupsHandler } from '../../src/broker/handlers/15-describe-groups.js';
import { listGroupsHandler } from '../../src/broker/handlers/16-list-groups.js';
import { deleteGroupsHandler } from '../../src/broker/handlers/42-delete-groups.js';
import { offsetDeleteHandler } from '../../src/broker/handlers/47-offset-delete.js';
import type { GroupCoordinator } from '../../src/group/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { harness, settle, subscription, tick } from '../group/helpers.js';
import { imageOf } from '../helpers/metadata-image.js';

function fakeBroker(groups: GroupCoordinator): BrokerContext {
  const metadata = imageOf({ brokers: [{ id: 7 }], topics: [{ name: 't', partitions: 2 }, { name: '__consumer_offsets', partitions: groups.config['offsets.topic.num.partitions'] }] });
  // Transactional ids are coordinated by this node too (the leader of their __transaction_state partition).
  const transactions = { ensureTopic: async () => true, coordinatorNode: () => 7, servesOnceLoaded: async () => true };
  return { groups, transactions, nodeId: 7, advertised: { host: '127.0.0.1', port: 9092 }, metadata, ensureOffsetsTopic: () => undefined } as unknown as BrokerContext;
}

/** Encodes the request at `version`, decodes it, handles it, and round-trips the answer through the codec. */
async function call(broker: BrokerContext, handler: AnyHandler, version: number, input: unknown, clientId = 'cli'): Promise<Record<string, unknown>> {
  const w = new Writer(256);
  handler.api.encodeRequest(w, version, input as never);
  const req = handler.api.decodeRequest(new Reader(w.toBuffer()), version);
  const ctx = { broker, apiVersion: version, clientId, correlationId: 1, connection: { remote: '10.1.2.3:5555' }, listenerName: 'PLAINTEXT', log: undefined } as unknown as RequestContext;
  const res = await handler.handle(req, ctx);
  const out = new Writer(256);
  handler.api.encodeResponse(out, version, res as never);
  return handler.api.decodeResponse(new Reader(out.toBuffer()), version) as Record<string, unknown>;
}

const versions = (h: AnyHandler): number[] => Array.from({ length: h.maxVersion - h.minVersion + 1 }, (_, i) => h.minVersion + i);

describe('group handlers at every served version', () => {
  it('serve Kafka 4 floors up to the newest stable versions', () => {
    const ranges = [offsetCommitHandler, offsetFetchHandler, findCoordinatorHandler, joinGroupHandler, heartbeatHandler, leaveGroupHandler, syncGroupHandler, describeGroupsHandler, listGroupsHandler, deleteGroupsHandler, offsetDeleteHandler].map((h) => [h.api.name, h.minVersion, h.maxVersion]);
    assert.deepEqual(ranges, [
      ['OffsetCommit', 2, 9], ['OffsetFetch', 1, 9], ['FindCoordinator', 0, 6], ['JoinGroup', 2, 9], ['Heartbeat', 0, 4], ['LeaveGroup', 0, 5],
      ['SyncGroup', 0, 5], ['DescribeGroups', 0, 5], ['ListGroups', 0, 5], ['DeleteGroups', 0, 2], ['OffsetDelete', 0, 0],
    ]);
  });

  it('FindCoordinator names this node for group and transaction keys, single and batched', async () => {
    const h = await harness();
    const b = fakeBroker(h.coordinator);
    for (const v of versions(findCoordinatorHandler)) {
      if (v < 4) {
        const r = await call(b, findCoordinatorHandler, v, { key: 'g', keyType: v >= 1 ? 1 : 0 });
        assert.deepEqual([r.errorCode, r.nodeId, r.host, r.port], [0, 7, '127.0.0.1', 9092], `v${v}`);
      } else {
        const r = await call(b, findCoordinatorHandler, v, { keyType: 0, coordinatorKeys: ['a', 'b'] });
        assert.deepEqual((r.coordinators as { key: string; nodeId: number }[]).map((c) => [c.key, c.nodeId]), [['a', 7], ['b', 7]], `v${v}`);
      }
    }
    const bad = await call(b, findCoordinatorHandler, 3, { key: 'g', keyType: 2 });
    assert.equal(bad.errorCode, ErrorCode.INVALID_REQUEST);
    await h.coordinator.close();
    assert.equal((await call(b, findCoordinatorHandler, 2, { key: 'g', keyType: 0 })).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });

  it('JoinGroup, SyncGroup, Heartbeat and LeaveGroup carry a member through a group at each version', async () => {
    for (const v of versions(joinGroupHandler)) {
      const h = await harness({ 'group.initial.rebalance.delay.ms': 0 });
      const b = fakeBroker(h.coordinator);
      const join = (memberId: string) => call(b, joinGroupHandler, v, { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['t']) }] });
      // Joins park until the join phase completes: here at once, on the next clock tick.
      const joinNow = async (memberId: string) => {
        const p = join(memberId);
        await new Promise((resolve) => setImmediate(resolve));
        h.clock.advance(0);
        return p;
      };
      let r: Record<string, unknown>;
      if (v >= 4) {
        const first = await join('');
        assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED, `v${v}`);
        assert.match(first.memberId as string, /^cli-/);
        assert.equal(first.protocolName, v >= 7 ? null : '');
        r = await joinNow(first.memberId as string);
      } else {
        r = await joinNow('');
      }
      assert.equal(r.errorCode, ErrorCode.NONE, `v${v}`);
      assert.equal(r.generationId, 1);
      assert.equal(r.protocolName, 'range');
      assert.equal(r.protocolType, v >= 7 ? 'consumer' : null);
      const memberId = r.memberId as string;
      assert.deepEqual(h.coordinator.describeGroups(['g'])[0]!.members.map((m) => [m.clientId, m.clientHost]), [['cli', '/10.1.2.3']]);
      const sv = Math.min(v, syncGroupHandler.maxVersion);
      const s = await call(b, syncGroupHandler, sv, { groupId: 'g', generationId: 1, memberId, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId, assignment: Buffer.from([1, 2]) }] });
      assert.equal(s.errorCode, 0);
      assert.deepEqual(s.assignment, Buffer.from([1, 2]));
      assert.equal(s.protocolName, sv >= 5 ? 'range' : null);
      const hv = Math.min(v, heartbeatHandler.maxVersion);
      assert.equal((await call(b, heartbeatHandler, hv, { groupId: 'g', generationId: 1, memberId })).errorCode, 0);
      assert.equal((await call(b, heartbeatHandler, hv, { groupId: 'g', generationId: 9, memberId })).errorCode, ErrorCode.ILLEGAL_GENERATION);
      const lv = Math.min(v, leaveGroupHandler.maxVersion);
      const l = await call(b, leaveGroupHandler, lv, lv >= 3 ? { groupId: 'g', members: [{ memberId }, { memberId: 'ghost' }] } : { groupId: 'g', memberId });
      if (lv >= 3) assert.deepEqual((l.members as { errorCode: number }[]).map((m) => m.errorCode), [0, ErrorCode.UNKNOWN_MEMBER_ID]);
      assert.equal(l.errorCode, 0);
      const again = await call(b, leaveGroupHandler, 0, { groupId: 'g', memberId });
      assert.equal(again.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'v0-2 carry the member error at the top');
      await h.coordinator.close();
    }
  });

  it('JoinGroup takes a rebalance timeout of 0 as not given: the session timeout bounds the SyncGroup wait', async () => {
    // kafkajs's Broker.joinGroup sends 0 when its caller gives no rebalance timeout (its own specs do).
    const h = await harness({ 'group.initial.rebalance.delay.ms': 0 });
    const b = fakeBroker(h.coordinator);
    const joined = async (groupId: string, rebalanceTimeoutMs: number): Promise<{ memberId: string; generationId: number }> => {
      const body = { groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['t']) }] };
      const first = await call(b, joinGroupHandler, 5, { ...body, memberId: '' });
      assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
      const p = call(b, joinGroupHandler, 5, { ...body, memberId: first.memberId });
      await settle();
      h.clock.advance(0); // the join phase completes (no initial delay)
      const r = await p;
      assert.equal(r.errorCode, ErrorCode.NONE);
      return { memberId: r.memberId as string, generationId: r.generationId as number };
    };
    const sync = (groupId: string, m: { memberId: string; generationId: number }) =>
      call(b, syncGroupHandler, 3, { groupId, generationId: m.generationId, memberId: m.memberId, assignments: [{ memberId: m.memberId, assignment: Buffer.from([7]) }] });

    const zero = await joined('zero', 0);
    await tick(h, 5_000);
    const s = await sync('zero', zero);
    assert.equal(s.errorCode, ErrorCode.NONE, 'still a member 5 s after the join phase');
    assert.deepEqual(s.assignment, Buffer.from([7]));

    const neverSyncs = await joined('never', 0);
    await tick(h, 10_001);
    assert.equal((await sync('never', neverSyncs)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'removed once the session timeout passed');

    const short = await joined('short', 2_000);
    await tick(h, 2_001);
    assert.equal((await sync('short', short)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'a given rebalance timeout still bounds the SyncGroup wait');
    await h.coordinator.close();
  });

  it('OffsetCommit and OffsetFetch round-trip offsets at each version, single and multi-group', async () => {
    const h = await harness();
    const b = fakeBroker(h.coordinator);
    for (const v of versions(offsetCommitHandler)) {
      const r = await call(b, offsetCommitHandler, v, {
        groupId: `g${v}`,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: BigInt(100 + v), committedLeaderEpoch: 5, committedMetadata: 'md' }, { partitionIndex: 9, committedOffset: 1n, committedMetadata: null }] }, { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }],
      });
      const codes = (r.topics as { partitions: { errorCode: number }[] }[]).map((t) => t.partitions.map((p) => p.errorCode));
      assert.deepEqual(codes, [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]], `v${v}`);
    }
    for (const v of versions(offsetFetchHandler)) {
      const topics = [{ name: 't', partitionIndexes: [0, 1] }];
      if (v >= 8) {
        const r = await call(b, offsetFetchHandler, v, { groups: [{ groupId: 'g9', topics }, { groupId: 'g2', topics: null }], requireStable: true });
        const groups = r.groups as { groupId: string; topics: { partitions: { committedOffset: bigint; committedLeaderEpoch: number }[] }[] }[];
        assert.deepEqual(groups.map((g) => g.topics.map((t) => t.partitions.map((p) => p.committedOffset))), [[[-1n, 109n]], [[102n]]], `v${v}`);
        assert.equal(groups[0]!.topics[0]!.partitions[1]!.committedLeaderEpoch, 5);
      } else {
        const r = await call(b, offsetFetchHandler, v, { groupId: 'g7', topics, requireStable: v >= 7 });
        const parts = (r.topics as { partitions: { committedOffset: bigint; committedLeaderEpoch: number; metadata: string }[] }[])[0]!.partitions;
        assert.deepEqual(parts.map((p) => [p.committedOffset, p.metadata]), [[-1n, ''], [107n, 'md']], `v${v}`);
        assert.equal(parts[1]!.committedLeaderEpoch, v >= 5 ? 5 : -1);
      }
    }
  });

  it('ListGroups, DescribeGroups, OffsetDelete and DeleteGroups', async () => {
    const h = await harness();
    const b = fakeBroker(h.coordinator);
    await call(b, offsetCommitHandler, 8, { groupId: 'solo', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedMetadata: null }] }] });
    for (const v of versions(listGroupsHandler)) {
      const r = await call(b, listGroupsHandler, v, v >= 4 ? { statesFilter: ['empty'], typesFilter: v >= 5 ? ['classic'] : [] } : {});
      const g = (r.groups as { groupId: string; groupState: string; groupType: string }[])[0]!;
      assert.equal(g.groupId, 'solo');
      assert.equal(g.groupState, v >= 4 ? 'Empty' : '');
      assert.equal(g.groupType, v >= 5 ? 'classic' : '');
    }
    for (const v of versions(describeGroupsHandler)) {
      const r = await call(b, describeGroupsHandler, v, { groups: ['solo', 'nobody'], includeAuthorizedOperations: v >= 3 });
      const gs = r.groups as { groupState: string; authorizedOperations: number }[];
      assert.deepEqual(gs.map((g) => g.groupState), ['Empty', 'Dead']);
      assert.equal(gs[0]!.authorizedOperations, v >= 3 ? (1 << 3) | (1 << 6) | (1 << 8) : -2147483648);
    }
    const od = await call(b, offsetDeleteHandler, 0, { groupId: 'solo', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }, { name: 'nope', partitions: [{ partitionIndex: 0 }] }] });
    assert.deepEqual((od.topics as { partitions: { errorCode: number }[] }[]).map((t) => t.partitions[0]!.errorCode), [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    assert.equal((await call(b, offsetDeleteHandler, 0, { groupId: 'nobody', topics: [] })).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    for (const v of versions(deleteGroupsHandler)) {
      const r = await call(b, deleteGroupsHandler, v, { groupsNames: ['solo'] });
      assert.deepEqual(r.results, [{ groupId: 'solo', errorCode: v === 0 ? 0 : ErrorCode.GROUP_ID_NOT_FOUND }]);
    }
  });

  it('reports client hosts as Kafka does', () => {
    assert.equal(clientHostOf('127.0.0.1:5000'), '/127.0.0.1');
    assert.equal(clientHostOf('::ffff:127.0.0.1:5000'), '/::ffff:127.0.0.1');
  });
});
