/** EndQuorumEpoch (key 54), version 1, on the controller listener: a resigning leader naming its successors, answered by the Raft client. */
import { type EndQuorumEpochResponseInput, EndQuorumEpochApi } from '../../protocol/messages/index.js';
import { defineControllerHandler } from './controller-context.js';
import { answerRaftRpc, raftVersions } from './raft-rpcs.js';

export const endQuorumEpochHandler = defineControllerHandler(EndQuorumEpochApi, raftVersions('EndQuorumEpoch'), (req, ctx) =>
  answerRaftRpc<EndQuorumEpochResponseInput>('EndQuorumEpoch', req, ctx),
);
