/**
 * ElectLeaders (key 43), versions 0-2, on the controller listener (brokers forward theirs in an
 * Envelope): a preferred election moves each named partition's leadership back to its first
 * replica when that replica is in the ISR and usable; all partitions when none are named (then
 * only the elected or failed ones are answered). Unclean elections are not done. v0 has no
 * election type (preferred) and no top-level error.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ElectLeadersApi } from '../../protocol/messages/index.js';
import type { ElectionResult } from '../../controller/partition-control.js';
import { controllerErrorCode, defineControllerHandler } from './controller-context.js';

export const controllerElectLeadersHandler = defineControllerHandler(ElectLeadersApi, { min: 0, max: 2 }, async (req, ctx) => {
  const electionType = ctx.apiVersion >= 1 ? req.electionType : 0;
  let results: ElectionResult[];
  try {
    results = await ctx.node.controller.electLeaders(electionType, req.topicPartitions);
  } catch (err) {
    const errorCode = controllerErrorCode(err, ctx);
    if (ctx.apiVersion >= 1) return { throttleTimeMs: 0, errorCode, replicaElectionResults: [] };
    results = (req.topicPartitions ?? []).flatMap((t) => t.partitions.map((partitionId) => ({ topic: t.topic, partitionId, errorCode, errorMessage: null })));
  }
  const byTopic = new Map<string, { partitionId: number; errorCode: number; errorMessage: string | null }[]>();
  for (const r of results) {
    const l = byTopic.get(r.topic) ?? [];
    l.push({ partitionId: r.partitionId, errorCode: r.errorCode, errorMessage: r.errorMessage });
    byTopic.set(r.topic, l);
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: [...byTopic].map(([topic, partitionResult]) => ({ topic, partitionResult })) };
});
