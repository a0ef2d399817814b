/**
 * Writing transaction markers into this node's partitions (what WriteTxnMarkers does on the
 * partition leader, Kafka's KafkaApis.handleWriteTxnMarkersRequest): for each partition a control
 * batch with the COMMIT or ABORT record, the producer's id and epoch and the coordinator epoch,
 * appended through the partition layer as a coordinator's write (acks=all). The log checks it
 * against the producer's state (an older producer epoch is INVALID_PRODUCER_EPOCH, an older
 * coordinator epoch TRANSACTION_COORDINATOR_FENCED) and, for an ABORT, records the aborted
 * transaction in its index. Markers that land in __consumer_offsets then settle the producer's
 * transactional offset commits in the group coordinator.
 *
 * Both the WriteTxnMarkers handler and the transaction coordinator's local path use this.
 */
import type { GroupCoordinator } from '../../group/index.js';
import { ProducerStateError } from '../../log/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { ControlRecordType, encodeUncompressedRecordBatch, endTxnMarkerRecord } from '../../protocol/records/index.js';
import type { Clock } from '../../common/clock.js';
import { CONSUMER_OFFSETS_TOPIC } from '../../common/topic-name.js';
import type { MetadataImage } from '../../controller/image/metadata-image.js';
import { PartitionError } from '../partitions/partition-error.js';
import type { ReplicaManager } from '../partitions/replica-manager.js';
import { tpKey } from '../partitions/topic-partition.js';

export interface MarkerWrite {
  producerId: bigint;
  producerEpoch: number;
  committed: boolean;
  coordinatorEpoch: number;
  partitions: readonly { topic: string; partition: number }[];
}

export interface MarkerWriterDeps {
  replicaManager: ReplicaManager;
  image: MetadataImage;
  clock: Clock;
  /** The group coordinator (undefined while it is not open). */
  groups(): GroupCoordinator | undefined;
  /** How long a marker may wait for the high watermark (Kafka's request.timeout.ms). */
  timeoutMs: number;
}

/** The marker batch Kafka writes (MemoryRecords.withEndTransactionMarker). */
export function markerBatch(m: MarkerWrite, now: bigint): Buffer {
  const type = m.committed ? ControlRecordType.Commit : ControlRecordType.Abort;
  return encodeUncompressedRecordBatch({
    isTransactional: true,
    isControlBatch: true,
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    baseTimestamp: now,
    records: [endTxnMarkerRecord(type, m.coordinatorEpoch, now)],
  });
}

/** Writes one marker to each of its partitions here; resolves with each one's error code (by tpKey). */
export async function writeTxnMarkers(d: MarkerWriterDeps, m: MarkerWrite): Promise<Map<string, number>> {
  const now = BigInt(d.clock.now());
  const codes = new Map<string, number>();
  await Promise.all(
    m.partitions.map(async ({ topic, partition }) => {
      const t = d.image.topic(topic);
      if (!t || partition < 0 || partition >= t.partitionCount) return codes.set(tpKey(topic, partition), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      try {
        await d.replicaManager.appendInternal(topic, partition, markerBatch(m, now), d.timeoutMs);
        codes.set(tpKey(topic, partition), ErrorCode.NONE);
      } catch (err) {
        codes.set(tpKey(topic, partition), err instanceof PartitionError || err instanceof ProducerStateError ? err.errorCode : ErrorCode.KAFKA_STORAGE_ERROR);
      }
    }),
  );
  const offsetsPartitions = m.partitions.filter((p) => p.topic === CONSUMER_OFFSETS_TOPIC && codes.get(tpKey(p.topic, p.partition)) === ErrorCode.NONE).map((p) => p.partition);
  if (offsetsPartitions.length > 0) d.groups()?.onTransactionCompleted(m.producerId, offsetsPartitions, m.committed);
  return codes;
}
