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
 * Transactional batches need the request's transactional id: a request carrying one without it is
 * answered TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every partition, as Kafka's KafkaApis answers
 * it (else the partition would hold a transaction no coordinator knows, so nothing would ever end
 * it, and read_committed consumers would wait on it for good).
 * Transactional batches (with the request's transactional id) open their producer's transaction
 * in the partition; with transaction.partition.verification.enable (KIP-890) the transaction
 * coordinator first confirms the partition was added to the transaction (INVALID_TXN_STATE when
 * not; NOT_ENOUGH_REPLICAS, retriable, while it cannot answer). A plain batch from a producer whose
 * transaction is open is INVALID_TXN_STATE.
 *
 * From v10, a partition answered NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH carries the leader
 * the broker knows and the response that leader's endpoint (KIP-951).
 *
 * With an authorizer, topics the principal may not WRITE are answered TOPIC_AUTHORIZATION_FAILED
 * (and not appended), and a transactional id it may not WRITE TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
 * The request's size counts against the client's `producer_byte_rate` quota; over it, the
 * response carries the throttle time and the connection is muted for it (dispatcher).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { isTransactionalBatch } from '../../protocol/records/index.js';
import { ProduceApi, type ProduceRequest, type ProduceResponseInput } from '../../protocol/messages/index.js';
import { type HandlerResult, type RequestContext, defineHandler } from '../handler.js';
import { carriesLeader, currentLeader, leaderEndpoints } from '../metadata/current-leader.js';
import type { ProduceEntry, ProduceResult } from '../partitions/replica-manager.js';
import { AclOperation, ResourceType, authorize } from '../security/authorize.js';
import { recordBytes } from '../security/throttle.js';

const failed = (errorCode: number, errorMessage: string | null = null): ProduceResult => ({ errorCode, errorMessage, baseOffset: -1n, logAppendTime: -1n, logStartOffset: -1n });

export const produceHandler = defineHandler(ProduceApi, { min: 3, max: 11 }, (req, ctx) => {
  const entries: ProduceEntry[] = req.topicData.flatMap((t) => t.partitionData.map((p) => ({ topic: t.name, partition: p.index, records: p.records })));
  const mayWriteTransactionally = req.transactionalId === null ? !entries.some((e) => e.records !== null && isTransactionalBatch(e.records)) : authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId);
  if (!mayWriteTransactionally) {
    return respond(
      req,
      ctx,
      entries.map(() => failed(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)),
    );
  }
  if (ctx.broker.authorizer) {
    const allowed = new Map<string, boolean>();
    const mayWrite = (topic: string) => allowed.get(topic) ?? (allowed.set(topic, authorize(ctx, AclOperation.WRITE, ResourceType.TOPIC, topic)), allowed.get(topic)!);
    const permitted = entries.filter((e) => mayWrite(e.topic));
    // Appends start before the handler returns, so they keep the order of requests on the connection.
    return ctx.broker.replicaManager.appendRecords(permitted, req.acks, req.timeoutMs, ctx.apiVersion, req.transactionalId).then((done) => {
      let j = 0;
      return respond(
        req,
        ctx,
        entries.map((e) => (mayWrite(e.topic) ? done[j++]! : failed(ErrorCode.TOPIC_AUTHORIZATION_FAILED))),
      );
    });
  }
  // Appends start before the handler returns, so they keep the order of requests on the connection
  // (the handler is not async: no frame of its own per request, as the response is built once the appends are done).
  return ctx.broker.replicaManager.appendRecords(entries, req.acks, req.timeoutMs, ctx.apiVersion, req.transactionalId).then((results) => respond(req, ctx, results));
});

/** The response to a produce request once its appends are done (none for acks=0). */
function respond(req: ProduceRequest, ctx: RequestContext, results: readonly ProduceResult[]): HandlerResult<ProduceResponseInput> {
  const throttleTimeMs = recordBytes(ctx, 'producer_byte_rate', ctx.requestBytes);
  if (req.acks === 0) {
    // No response to carry the throttle time: the connection is muted all the same.
    ctx.connection.mute(throttleTimeMs);
    return results.some((r) => r.errorCode !== ErrorCode.NONE) ? 'close' : null;
  }
  let i = 0;
  const leaders: number[] = [];
  const kip951 = ctx.apiVersion >= 10;
  const responses = req.topicData.map((t) => ({
    name: t.name,
    partitionResponses: t.partitionData.map((p) => {
      const r = results[i++]!;
      const moved = kip951 && carriesLeader(r.errorCode) ? currentLeader(ctx.broker.metadata, t.name, p.index) : undefined;
      if (moved) leaders.push(moved.leaderId);
      return { index: p.index, errorCode: r.errorCode, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTime, logStartOffset: r.logStartOffset, errorMessage: r.errorMessage, ...(r.recordErrors ? { recordErrors: r.recordErrors } : {}), ...(moved ? { currentLeader: moved } : {}) };
    }),
  }));
  if (leaders.length > 0) return { responses, throttleTimeMs, nodeEndpoints: leaderEndpoints(ctx.broker.metadata, leaders, ctx.listenerName) };
  return { responses, throttleTimeMs };
}
