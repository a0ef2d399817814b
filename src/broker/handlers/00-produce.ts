/**
 * Produce (key 0), versions 3-11 (Kafka 4's floor is 3: record batches v2 only).
 *
 * Each partition's records go to the partition layer (partitions/replica-manager.ts), which
 * checks them (one valid v2 batch within `max.message.bytes`, timestamps, compression: see
 * produce/validate-produce.ts), appends them on the leader in request order and, for acks=all,
 * waits up to `timeout_ms` for the high watermark. acks 0, 1 and -1 (all) are served; acks=all
 * checks `min.insync.replicas` (NOT_ENOUGH_REPLICAS). With acks=0 nothing is answered, and a
 * failed append closes the connection so the producer notices, as Kafka does.
 *
 * Batches of idempotent producers (a producer id from InitProducerId) are checked by the log's
 * producer state: a retry of a batch already written is answered with its offsets and not written
 * again; a fenced epoch is INVALID_PRODUCER_EPOCH, a gap in sequences OUT_OF_ORDER_SEQUENCE_NUMBER.
 *
 * Transactional batches (with the request's transactional id) open their producer's transaction
 * in the partition; with transaction.partition.verification.enable (KIP-890) the transaction
 * coordinator first confirms the partition was added to the transaction (INVALID_TXN_STATE when
 * not; NOT_ENOUGH_REPLICAS, retriable, while it cannot answer). A plain batch from a producer whose
 * transaction is open is INVALID_TXN_STATE.
 *
 * From v10, a partition answered NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH carries the leader
 * the broker knows and the response that leader's endpoint (KIP-951).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ProduceApi } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { carriesLeader, currentLeader, leaderEndpoints } from '../metadata/current-leader.js';
import type { ProduceEntry, ProduceResult } from '../partitions/replica-manager.js';

export const produceHandler = defineHandler(ProduceApi, { min: 3, max: 11 }, async (req, ctx) => {
  const entries: ProduceEntry[] = req.topicData.flatMap((t) => t.partitionData.map((p) => ({ topic: t.name, partition: p.index, records: p.records })));
  // Appends start before the first await, so they keep the order of requests on the connection.
  const results: ProduceResult[] = await ctx.broker.replicaManager.appendRecords(entries, req.acks, req.timeoutMs, ctx.apiVersion, req.transactionalId);
  if (req.acks === 0) return results.some((r) => r.errorCode !== ErrorCode.NONE) ? 'close' : null;
  let i = 0;
  const leaders: number[] = [];
  const kip951 = ctx.apiVersion >= 10;
  const responses = req.topicData.map((t) => ({
    name: t.name,
    partitionResponses: t.partitionData.map((p) => {
      const r = results[i++]!;
      const moved = kip951 && carriesLeader(r.errorCode) ? currentLeader(ctx.broker.metadata, t.name, p.index) : undefined;
      if (moved) leaders.push(moved.leaderId);
      return { index: p.index, errorCode: r.errorCode, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTime, logStartOffset: r.logStartOffset, errorMessage: r.errorMessage, ...(moved ? { currentLeader: moved } : {}) };
    }),
  }));
  if (leaders.length > 0) return { responses, throttleTimeMs: 0, nodeEndpoints: leaderEndpoints(ctx.broker.metadata, leaders, ctx.listenerName) };
  return { responses, throttleTimeMs: 0 };
});
