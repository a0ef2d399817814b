/**
 * Hands out producer ids for InitProducerId: blocks of PRODUCER_ID_BLOCK_SIZE ids are reserved in
 * the cluster metadata (persisted before the first id of a block is used), so an id is never
 * given twice, across restarts too. Ids of a block unused at shutdown are skipped, as in Kafka.
 */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

export class ProducerIdManager {
  private next = 0n;
  private end = 0n;
  private reserving: Promise<void> | undefined;

  constructor(private readonly reserve: (size: number) => Promise<bigint>) {}

  async generate(): Promise<bigint> {
    while (this.next >= this.end) {
      this.reserving ??= this.reserve(PRODUCER_ID_BLOCK_SIZE)
        .then((first) => {
          this.next = first;
          this.end = first + BigInt(PRODUCER_ID_BLOCK_SIZE);
        })
        .finally(() => (this.reserving = undefined));
      await this.reserving;
    }
    return this.next++;
  }
}
