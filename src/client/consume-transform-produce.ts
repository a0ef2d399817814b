/**
 * The consume-transform-produce loop with exactly-once results (Kafka's EOS pattern): each chunk of
 * records the consumer reads from a partition is transformed into records to produce, and the
 * produced records and the consumer's next offset commit in one transaction. A crash anywhere
 * leaves either both (the output is visible to read_committed readers and the input is consumed)
 * or neither (the input is read again and the output, if written, was aborted).
 *
 *   const consumer = client.consumer({ groupId: 'enricher', autoCommit: false, isolationLevel: 'read_committed' });
 *   consumer.subscribe('orders');
 *   const producer = client.producer({ transactionalId: 'enricher-1' });
 *   await consumeTransformProduce({
 *     consumer,
 *     producer,
 *     transform: (records) => [{ topic: 'enriched', records: records.map((r) => ({ key: r.key ?? undefined, value: enrich(r.value) })) }],
 *   });   // runs until consumer.close()
 *
 * A transaction that fails (a send, the offsets, the commit) is aborted, the partition is read
 * again from the chunk's start, and the loop goes on. A transform that throws aborts, rewinds and
 * ends the loop with its error; a fenced producer (another instance took the transactional id over)
 * ends it with ProducerFencedError. The consumer should not auto-commit.
 */
import type { Consumer, ConsumerRecord } from './consumer/consumer.js';
import { ProducerFencedError } from './errors.js';
import type { Producer } from './producer/producer.js';
import type { ProducerRecord } from './producer/producer-types.js';

export interface TransformOutput<OK, OV> {
  topic: string;
  records: readonly ProducerRecord<OK, OV>[];
}

export interface ConsumeTransformProduceOptions<K, V, OK, OV> {
  /** A group consumer (subscribed), read_committed and without auto-commit. */
  consumer: Consumer<K, V>;
  /** A transactional producer (with a transactionalId). */
  producer: Producer<OK, OV>;
  /** One partition's chunk of consumed records into the records to produce. */
  transform(records: ConsumerRecord<K, V>[]): readonly TransformOutput<OK, OV>[] | Promise<readonly TransformOutput<OK, OV>[]>;
  /** Called after a transaction failed and was aborted (before the chunk is read again). */
  onAbort?(err: unknown): void;
}

/** Runs the loop until the consumer is closed; rejects with the transform's error or ProducerFencedError. */
export async function consumeTransformProduce<K, V, OK, OV>(o: ConsumeTransformProduceOptions<K, V, OK, OV>): Promise<void> {
  for await (const chunk of o.consumer.batches()) {
    if (chunk.length === 0) continue;
    const first = chunk[0]!;
    const last = chunk[chunk.length - 1]!;
    const txn = await o.producer.transaction();
    let outputs: readonly TransformOutput<OK, OV>[];
    try {
      outputs = await o.transform(chunk);
    } catch (err) {
      await txn.abort();
      await o.consumer.seek(first.topic, first.partition, first.offset);
      throw err;
    }
    try {
      await Promise.all(outputs.map((out) => txn.send(out.topic, out.records)));
      await txn.sendOffsets({ consumer: o.consumer, offsets: [{ topic: last.topic, partition: last.partition, offset: last.offset + 1n }] });
      await txn.commit();
    } catch (err) {
      if (err instanceof ProducerFencedError) throw err;
      if (txn.active) await txn.abort();
      o.onAbort?.(err);
      await o.consumer.seek(first.topic, first.partition, first.offset);
    }
  }
}
