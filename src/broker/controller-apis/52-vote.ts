/**
 * Vote (key 52), version 1, on the controller listener: a candidate's (or, with Samsa's pre-vote
 * marker, a prospective voter's) request for this voter's vote, answered by the Raft client
 * (controller/raft/raft-election.ts).
 */
import { type VoteResponseInput, VoteApi } from '../../protocol/messages/index.js';
import { defineControllerHandler } from './controller-context.js';
import { answerRaftRpc, raftVersions } from './raft-rpcs.js';

export const voteHandler = defineControllerHandler(VoteApi, raftVersions('Vote'), (req, ctx) => answerRaftRpc<VoteResponseInput>('Vote', req, ctx));
