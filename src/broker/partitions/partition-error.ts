/** A Kafka error about one partition, raised by the partition layer and answered as its error code. */
export class PartitionError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'PartitionError';
  }
}
