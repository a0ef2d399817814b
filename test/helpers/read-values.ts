/** Reads the first `count` values of one partition from the start with the Samsa client's consumer. */
import { type SamsaClient, stringSerde } from '../../src/client/index.js';

export async function readValues(client: SamsaClient, topic: string, partition: number, count: number, timeoutMs: number): Promise<string[]> {
  const consumer = client.consumer({ valueDeserializer: stringSerde, autoOffsetReset: 'earliest' });
  const seen: string[] = [];
  // Closing the consumer ends its iterator: the read is bounded even if records were missing.
  const guard = setTimeout(() => void consumer.close(), timeoutMs);
  try {
    consumer.assign([{ topic, partition }]);
    for await (const batch of consumer.batches()) {
      for (const r of batch) seen.push(String(r.value));
      if (seen.length >= count) break;
    }
  } finally {
    clearTimeout(guard);
    await consumer.close();
  }
  return seen;
}
