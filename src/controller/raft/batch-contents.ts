/** What the Raft core reads inside its own batches: data record values and the LeaderChange control record. */
import { encodeLeaderChangeMessage } from '../../protocol/messages/index.js';
import { Writer } from '../../protocol/primitives/writer.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
  type RecordInput,
  compressionOf,
  type RecordFactory,
  decodeRecordsWith,
  encodeControlRecordKey,
} from '../../protocol/records/index.js';
import { RaftStateError } from './errors.js';
import type { LogBatch } from './raft-log.js';
import type { CommittedBatch } from './raft-core.js';
import { KRaftControlType } from './snapshots.js';

const EMPTY = Buffer.alloc(0);
/** A record's value (empty for a null one), without a KafkaRecord in between. */
const valueOf: RecordFactory<Buffer> = (_context, _attributes, _timestampDelta, _offsetDelta, _key, value) => value ?? EMPTY;

/** The committed form of a data batch: its record values (the Raft core writes them uncompressed). */
export function committedBatch(b: LogBatch): CommittedBatch {
  const bytes = b.bytes;
  if (compressionOf(bytes.readInt16BE(ATTRIBUTES_OFFSET)) !== 0) throw new RaftStateError(`batch at ${b.baseOffset} is compressed`);
  const count = bytes.readInt32BE(RECORDS_COUNT_OFFSET);
  const baseTimestamp = bytes.readBigInt64BE(BASE_TIMESTAMP_OFFSET);
  // Only the values, made straight from the decoded fields: a replay at start decodes every record of the metadata log.
  const records = decodeRecordsWith(bytes, RECORD_BATCH_OVERHEAD, bytes.length, count, { baseOffset: BigInt(b.baseOffset), baseTimestamp, logAppendTime: null, baseSequence: -1 }, valueOf);
  return { baseOffset: b.baseOffset, lastOffset: b.lastOffset, epoch: b.epoch, appendTimestamp: Number(baseTimestamp), records };
}

/** The control record a new leader writes first in its epoch (Kafka's LeaderChangeMessage, version 0). */
export function leaderChangeRecord(leaderId: number, voters: readonly number[], grantingVoters: Iterable<number>): RecordInput {
  const w = new Writer(64);
  encodeLeaderChangeMessage(w, 0, {
    version: 0,
    leaderId,
    voters: voters.map((voterId) => ({ voterId })),
    grantingVoters: [...grantingVoters].sort((a, b) => a - b).map((voterId) => ({ voterId })),
  });
  return { key: encodeControlRecordKey(KRaftControlType.LeaderChange), value: w.toBuffer() };
}
