/**
 * DescribeQuorum (key 55), versions 0-2, on the controller listener (kafka-metadata-quorum.sh
 * --bootstrap-controller; brokers forward theirs here): the leader's view of the quorum — leader,
 * epoch, high watermark, and each voter's and observer's log end and last fetch. A controller that
 * does not lead answers NOT_LEADER_OR_FOLLOWER for the partition. v2's `nodes` lists the voters'
 * controller endpoints from `controller.quorum.voters`.
 */
import { type DescribeQuorumResponseInput, DescribeQuorumApi } from '../../protocol/messages/index.js';
import { defineControllerHandler } from './controller-context.js';
import { answerRaftRpc } from './raft-rpcs.js';

export const describeQuorumHandler = defineControllerHandler(DescribeQuorumApi, { min: 0, max: 2 }, async (req, ctx) => {
  const res = await answerRaftRpc<DescribeQuorumResponseInput>('DescribeQuorum', req, ctx);
  if (res === 'close' || res === null || ctx.apiVersion < 2) return res;
  const name = (ctx.node.config.get('controller.listener.names') as string[])[0] ?? 'CONTROLLER';
  const nodes = ctx.node.voters.filter((v) => v.port > 0).map((v) => ({ nodeId: v.id, listeners: [{ name, host: v.host, port: v.port }] }));
  return { ...res, nodes };
});
