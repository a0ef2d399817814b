/** FetchSnapshot (key 59), version 1, on the controller listener: a follower fetching a snapshot of the metadata log in chunks, answered by the Raft client. */
import { type FetchSnapshotResponseInput, FetchSnapshotApi } from '../../protocol/messages/index.js';
import { defineControllerHandler } from './controller-context.js';
import { answerRaftRpc, raftVersions } from './raft-rpcs.js';

export const fetchSnapshotHandler = defineControllerHandler(FetchSnapshotApi, raftVersions('FetchSnapshot'), (req, ctx) =>
  answerRaftRpc<FetchSnapshotResponseInput>('FetchSnapshot', req, ctx),
);
