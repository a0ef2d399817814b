/**
 * Kafka's OffsetAndEpoch and LeaderAndEpoch. Offsets in the Raft core are JavaScript numbers (a
 * metadata log stays far below 2^53 records); they become bigint only at the protocol edge.
 */
export interface OffsetAndEpoch {
  readonly offset: number;
  readonly epoch: number;
}

export interface LeaderAndEpoch {
  /** -1 when no leader is known in this epoch. */
  readonly leaderId: number;
  readonly epoch: number;
}

export const NO_LEADER = -1;

/** Orders by epoch, then offset: whose log is more up to date (Raft's election restriction). */
export function compareOffsetAndEpoch(a: OffsetAndEpoch, b: OffsetAndEpoch): number {
  return a.epoch !== b.epoch ? a.epoch - b.epoch : a.offset - b.offset;
}

export function formatOffsetAndEpoch(x: OffsetAndEpoch): string {
  return `${x.offset}@${x.epoch}`;
}

/** The metadata partition every Raft RPC names (Kafka's `__cluster_metadata-0`). */
export const METADATA_TOPIC = '__cluster_metadata';
export const METADATA_PARTITION = 0;
/** Kafka's Uuid.METADATA_TOPIC_ID (0x...01), used by Fetch v13+ which names topics by id. */
export const METADATA_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
