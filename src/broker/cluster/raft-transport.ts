/**
 * The Raft client's transport over the network (controller/raft/raft-rpc.ts's RaftTransport): each
 * RPC goes to the peer's controller listener, from `controller.quorum.voters`, through the node's
 * connections, at the version the Raft core speaks. A standalone node has no peers: its transport
 * refuses everything (a lone voter never sends).
 */
import type { NodeConnections } from '../../network/node-connections.js';
import { type InboundResponse, type OutboundRequest, RAFT_APIS, RAFT_API_VERSIONS, type RaftTransport } from '../../controller/raft/raft-rpc.js';
import type { AnyApiDescriptor } from '../../protocol/api-descriptor.js';

export function networkRaftTransport(connections: NodeConnections, requestTimeoutMs: number): RaftTransport {
  return {
    async send(destination: number, req: OutboundRequest): Promise<InboundResponse> {
      const api = RAFT_APIS[req.api] as unknown as AnyApiDescriptor;
      const body = await connections.send(destination, api, req.body as never, { version: RAFT_API_VERSIONS[req.api], timeoutMs: requestTimeoutMs });
      return { api: req.api, body } as InboundResponse;
    },
  };
}

export const NO_PEERS: RaftTransport = {
  send: (destination) => Promise.reject(new Error(`a standalone node has no peer ${destination}`)),
};
