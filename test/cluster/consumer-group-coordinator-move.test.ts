/**
 * A KIP-848 consumer group across a coordinator move: the leadership of the group's partition of
 * __consumer_offsets moves to another node, which loads the group from the replicated records: the
 * member @platformatic/kafka joined with is there with its epoch and partitions, its heartbeat is
 * taken, and a member joining is given nothing the first still holds. The heartbeats after the move
 * go through the raw protocol: @platformatic/kafka 1.35 retries NOT_COORDINATOR against the node it
 * asked first instead of looking the coordinator up again (and throws when that node has left the
 * metadata), so it cannot follow a coordinator move, against Kafka either.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import type { RunningBroker } from '../../src/broker/broker.js';
import { SamsaClient } from '../../src/client/index.js';
import { partitionForGroup } from '../../src/group/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { ConsumerGroupDescribeApi, ConsumerGroupHeartbeatApi } from '../../src/protocol/messages/index.js';
import { eventually } from '../helpers/eventually.js';
import { RawClient } from '../helpers/raw-client.js';
import { type ClusterLayout, clusterLayout, inProcessNode, removeLayout } from '../helpers/test-cluster.js';

const GROUP = 'g-failover';
const TOPIC = 'kip848-failover';

describe('a KIP-848 consumer group across a coordinator move', { timeout: 120_000 }, () => {
  let layout: ClusterLayout;
  let nodes: RunningBroker[] = [];
  const members: Consumer<string, string, string, string>[] = [];

  before(async () => {
    layout = await clusterLayout(3);
    const config = { 'broker.session.timeout.ms': 2000, 'broker.heartbeat.interval.ms': 300, 'offsets.topic.replication.factor': 3, 'group.consumer.heartbeat.interval.ms': 200 };
    nodes = await Promise.all(layout.ids.map((id) => inProcessNode(layout, id, { storage: 'memory' }, config)));
    for (const n of nodes) await eventually(`node ${n.nodeId} sees three unfenced brokers`, 10_000, () => n.metadata.unfencedBrokers().length === 3);
  });

  after(async () => {
    for (const m of members) await new Promise<void>((resolve) => m.close(true, () => resolve()));
    await Promise.all(nodes.map((n) => n.close()));
    if (layout) await removeLayout(layout);
  });

  const member = async (clientId: string) => {
    const m = new Consumer({ groupId: GROUP, clientId, bootstrapBrokers: nodes.map((n) => n.bootstrap), deserializers: stringDeserializers, groupProtocol: 'consumer', maxWaitTime: 100, retries: 50, retryDelay: 100 });
    members.push(m);
    const stream = await m.consume({ topics: [TOPIC], mode: 'committed', fallbackMode: 'earliest' });
    stream.on('error', () => {});
    return m;
  };
  const held = (m: Consumer<string, string, string, string>) => (m.assignments ?? []).flatMap((a) => a.partitions).sort();
  /** The group's node: the leader of its __consumer_offsets partition. */
  const coordinator = () => {
    const live = nodes.find((n) => n.metadata.topic('__consumer_offsets'))!;
    return live.metadata.topic('__consumer_offsets')!.partitions[partitionForGroup(GROUP, 50)]!.leader;
  };
  const describeGroup = async () => {
    const node = nodes.find((n) => n.nodeId === coordinator())!;
    const raw = await RawClient.connect(node.port);
    try {
      return (await raw.send(ConsumerGroupDescribeApi, 0, { groupIds: [GROUP], includeAuthorizedOperations: false })).groups[0]!;
    } finally {
      raw.close();
    }
  };

  it('keeps the member with its epoch and partitions on the node that takes the group over', async () => {
    const client = new SamsaClient({ bootstrapServers: [nodes[0]!.bootstrap] });
    try {
      await client.admin().createTopics([{ name: TOPIC, partitions: 2, replicationFactor: 3 }]);
    } finally {
      await client.close();
    }
    const m1 = await member('m1');
    await eventually('m1 holds both partitions', 15_000, () => held(m1).length === 2);
    const before = await describeGroup();
    assert.equal(before.members.length, 1);

    // The leadership of the group's partition moves: its replicas reordered, then a preferred election.
    const old = coordinator();
    const partition = partitionForGroup(GROUP, 50);
    const replicas = nodes[0]!.metadata.topic('__consumer_offsets')!.partitions[partition]!.replicas;
    const next = replicas.find((r) => r !== old)!;
    const admin = new SamsaClient({ bootstrapServers: [nodes[0]!.bootstrap] });
    try {
      const moved = await admin.admin().alterPartitionReassignments([{ topic: '__consumer_offsets', partition, replicas: [next, ...replicas.filter((r) => r !== next)] }]);
      assert.equal(moved[0]!.errorCode, 0);
      await eventually('the replicas are reordered', 15_000, () => nodes[0]!.metadata.topic('__consumer_offsets')!.partitions[partition]!.replicas[0] === next);
      await eventually('another node leads the group', 15_000, async () => {
        await admin.admin().electLeaders('preferred', [{ topic: '__consumer_offsets', partition }]);
        return coordinator() === next;
      });
    } finally {
      await admin.close();
    }
    await eventually('the new coordinator has loaded the group', 15_000, async () => (await describeGroup()).errorCode === 0, { tolerateErrors: true });
    const after = await describeGroup();
    assert.equal(after.members[0]!.memberId, before.members[0]!.memberId, 'the same member');
    assert.equal(after.groupEpoch, before.groupEpoch, 'no new epoch');

    // The member's own heartbeat, as the client would send it to the new coordinator, goes on with its epoch and partitions.
    const m = after.members[0]!;
    const raw = await RawClient.connect(nodes.find((n) => n.nodeId === next)!.port);
    try {
      const beat = await raw.send(ConsumerGroupHeartbeatApi, 0, { groupId: GROUP, memberId: m.memberId, memberEpoch: m.memberEpoch, topicPartitions: m.assignment.topicPartitions.map((t) => ({ topicId: t.topicId, partitions: t.partitions })) });
      assert.equal(beat.errorCode, ErrorCode.NONE);
      assert.equal(beat.memberEpoch, m.memberEpoch);
      // A new member joining there is given nothing the first still holds.
      const joined = await raw.send(ConsumerGroupHeartbeatApi, 0, { groupId: GROUP, memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 10_000, subscribedTopicNames: [TOPIC], topicPartitions: [] });
      assert.equal(joined.errorCode, ErrorCode.NONE);
      assert.deepEqual(joined.assignment?.topicPartitions, [], 'both partitions are still the first member’s');
    } finally {
      raw.close();
    }
  });
});
