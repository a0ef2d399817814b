/** A record a produce request's batch was refused for: its index in the batch, and why (Produce v8+'s record_errors). */
export interface RecordError {
  batchIndex: number;
  batchIndexErrorMessage: string | null;
}

/** A Kafka error about one partition, raised by the partition layer and answered as its error code. */
export class PartitionError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
    /** The records of a refused batch that caused the error, when the error is theirs. */
    readonly recordErrors: readonly RecordError[] = [],
  ) {
    super(message);
    this.name = 'PartitionError';
  }
}
