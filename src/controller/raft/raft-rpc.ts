/**
 * The Raft RPCs as the core sends and answers them: the generated request and response types of
 * Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch, FetchSnapshot and DescribeQuorum, the versions
 * Samsa speaks, and the transport the core is given (no sockets here: the broker wires a network
 * client, the simulator a simulated network).
 *
 * Pre-vote (KIP-996) travels in Vote v2's `PreVote` field in Kafka 4; the specs Samsa generates
 * from stop at Vote v1, so until they include v2 Samsa marks a pre-vote with a tagged field of its
 * own on the partition (tag SAMSA_PRE_VOTE_TAG). Between Samsa controllers the meaning is the
 * same; a Kafka controller would read such a request as a real vote, which is why a quorum must not
 * mix Samsa and Kafka controllers.
 */
import {
  BeginQuorumEpochApi,
  type BeginQuorumEpochRequest,
  type BeginQuorumEpochRequestInput,
  type BeginQuorumEpochResponse,
  type BeginQuorumEpochResponseInput,
  DescribeQuorumApi,
  type DescribeQuorumRequest,
  type DescribeQuorumRequestInput,
  type DescribeQuorumResponse,
  type DescribeQuorumResponseInput,
  EndQuorumEpochApi,
  type EndQuorumEpochRequest,
  type EndQuorumEpochRequestInput,
  type EndQuorumEpochResponse,
  type EndQuorumEpochResponseInput,
  FetchApi,
  type FetchRequest,
  type FetchRequestInput,
  type FetchResponse,
  type FetchResponseInput,
  FetchSnapshotApi,
  type FetchSnapshotRequest,
  type FetchSnapshotRequestInput,
  type FetchSnapshotResponse,
  type FetchSnapshotResponseInput,
  VoteApi,
  type VoteRequest,
  type VoteRequestInput,
  type VoteRequestPartitionDataInput,
  type VoteResponse,
  type VoteResponseInput,
} from '../../protocol/messages/index.js';
import type { AnyApiDescriptor } from '../../protocol/api-descriptor.js';
import type { TaggedField } from '../../protocol/primitives/codec-support.js';
import { Reader } from '../../protocol/primitives/reader.js';
import { Writer } from '../../protocol/primitives/writer.js';

export interface RaftRequestTypes {
  Vote: [VoteRequestInput, VoteRequest];
  BeginQuorumEpoch: [BeginQuorumEpochRequestInput, BeginQuorumEpochRequest];
  EndQuorumEpoch: [EndQuorumEpochRequestInput, EndQuorumEpochRequest];
  Fetch: [FetchRequestInput, FetchRequest];
  FetchSnapshot: [FetchSnapshotRequestInput, FetchSnapshotRequest];
  DescribeQuorum: [DescribeQuorumRequestInput, DescribeQuorumRequest];
}

export interface RaftResponseTypes {
  Vote: [VoteResponseInput, VoteResponse];
  BeginQuorumEpoch: [BeginQuorumEpochResponseInput, BeginQuorumEpochResponse];
  EndQuorumEpoch: [EndQuorumEpochResponseInput, EndQuorumEpochResponse];
  Fetch: [FetchResponseInput, FetchResponse];
  FetchSnapshot: [FetchSnapshotResponseInput, FetchSnapshotResponse];
  DescribeQuorum: [DescribeQuorumResponseInput, DescribeQuorumResponse];
}

export type RaftApi = keyof RaftRequestTypes;

/** A request as the sender builds it (the generated input type). */
export type OutboundRequest = { [K in RaftApi]: { readonly api: K; readonly body: RaftRequestTypes[K][0] } }[RaftApi];
/** A request as a handler receives it (decoded). */
export type InboundRequest = { [K in RaftApi]: { readonly api: K; readonly body: RaftRequestTypes[K][1] } }[RaftApi];
/** A response as the handler builds it. */
export type OutboundResponse = { [K in RaftApi]: { readonly api: K; readonly body: RaftResponseTypes[K][0] } }[RaftApi];
/** A response as the requester receives it (decoded). */
export type InboundResponse = { [K in RaftApi]: { readonly api: K; readonly body: RaftResponseTypes[K][1] } }[RaftApi];

export const RAFT_APIS: Record<RaftApi, AnyApiDescriptor> = {
  Vote: VoteApi as unknown as AnyApiDescriptor,
  BeginQuorumEpoch: BeginQuorumEpochApi as unknown as AnyApiDescriptor,
  EndQuorumEpoch: EndQuorumEpochApi as unknown as AnyApiDescriptor,
  Fetch: FetchApi as unknown as AnyApiDescriptor,
  FetchSnapshot: FetchSnapshotApi as unknown as AnyApiDescriptor,
  DescribeQuorum: DescribeQuorumApi as unknown as AnyApiDescriptor,
};

/** The versions the core speaks to its peers: the newest of each in the specs (Fetch v17 names topics by id). */
export const RAFT_API_VERSIONS: Record<RaftApi, number> = {
  Vote: 1,
  BeginQuorumEpoch: 1,
  EndQuorumEpoch: 1,
  Fetch: 17,
  FetchSnapshot: 1,
  DescribeQuorum: 2,
};

/**
 * How the core reaches its peers. `send` resolves with the peer's response or rejects when the
 * request fails (no connection, the peer closed it); the core applies its own request timeout and
 * ignores answers that come after it.
 */
export interface RaftTransport {
  send(destination: number, request: OutboundRequest): Promise<InboundResponse>;
}

type Encode = (w: Writer, version: number, v: unknown) => void;
type Decode = (r: Reader, version: number) => unknown;

/** The request's body bytes at Samsa's version (what the network carries after the header). */
export function encodeRaftRequest(req: OutboundRequest): Buffer {
  const w = new Writer(128);
  (RAFT_APIS[req.api].encodeRequest as unknown as Encode)(w, RAFT_API_VERSIONS[req.api], req.body);
  return w.toBuffer();
}

export function decodeRaftRequest(api: RaftApi, bytes: Buffer): InboundRequest {
  const body = (RAFT_APIS[api].decodeRequest as Decode)(new Reader(bytes), RAFT_API_VERSIONS[api]);
  return { api, body } as InboundRequest;
}

export function encodeRaftResponse(res: OutboundResponse): Buffer {
  const w = new Writer(128);
  (RAFT_APIS[res.api].encodeResponse as unknown as Encode)(w, RAFT_API_VERSIONS[res.api], res.body);
  return w.toBuffer();
}

export function decodeRaftResponse(api: RaftApi, bytes: Buffer): InboundResponse {
  const body = (RAFT_APIS[api].decodeResponse as Decode)(new Reader(bytes), RAFT_API_VERSIONS[api]);
  return { api, body } as InboundResponse;
}

/** The tag of Samsa's pre-vote marker on a Vote request's partition (see the module comment). */
export const SAMSA_PRE_VOTE_TAG = 0x5341;

export function preVoteMarker(): TaggedField[] {
  return [{ tag: SAMSA_PRE_VOTE_TAG, data: Buffer.from([1]) }];
}

export function isPreVote(partition: Pick<VoteRequestPartitionDataInput, 'unknownTaggedFields'>): boolean {
  return partition.unknownTaggedFields?.some((f) => f.tag === SAMSA_PRE_VOTE_TAG && f.data[0] === 1) ?? false;
}
