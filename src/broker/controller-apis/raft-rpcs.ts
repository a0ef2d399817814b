/**
 * The quorum's RPCs as handlers pass them to the Raft client: the decoded request goes to
 * `RaftClient.handleRequest`, its answer back. They are served at the versions the Raft core
 * speaks (RAFT_API_VERSIONS); a node whose Raft client has stopped closes the connection, as a
 * stopped Kafka controller's would be gone.
 */
import { type InboundRequest, type OutboundResponse, type RaftApi, RAFT_API_VERSIONS } from '../../controller/raft/raft-rpc.js';
import type { HandlerResult } from '../handler.js';
import type { ControllerRequestContext } from './controller-context.js';

export const raftVersions = (api: RaftApi) => ({ min: RAFT_API_VERSIONS[api], max: RAFT_API_VERSIONS[api] });

/** Answers a Raft RPC through the node's Raft client (its response body), or closes the connection when it has stopped. */
export async function answerRaftRpc<T>(api: RaftApi, body: unknown, ctx: ControllerRequestContext): Promise<HandlerResult<T>> {
  const raft = ctx.node.raft;
  if (!raft.isRunning) return 'close';
  try {
    const res: OutboundResponse = await raft.handleRequest({ api, body } as InboundRequest);
    return res.body as T;
  } catch {
    return 'close';
  }
}
