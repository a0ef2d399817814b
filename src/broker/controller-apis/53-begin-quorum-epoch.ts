/** BeginQuorumEpoch (key 53), version 1, on the controller listener: a new leader announcing itself, answered by the Raft client. */
import { type BeginQuorumEpochResponseInput, BeginQuorumEpochApi } from '../../protocol/messages/index.js';
import { defineControllerHandler } from './controller-context.js';
import { answerRaftRpc, raftVersions } from './raft-rpcs.js';

export const beginQuorumEpochHandler = defineControllerHandler(BeginQuorumEpochApi, raftVersions('BeginQuorumEpoch'), (req, ctx) =>
  answerRaftRpc<BeginQuorumEpochResponseInput>('BeginQuorumEpoch', req, ctx),
);
