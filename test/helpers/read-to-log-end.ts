/**
 * Reads a topic with a kafkajs consumer up to the log end offsets it has when the read starts: the
 * barrier for a check that the log holds each record once. Whatever was appended before the read
 * began (a retried batch written twice included) is in the result, however late it would have
 * arrived; a fixed wait past the expected count lets a late duplicate pass unseen.
 */
import { Kafka, logLevel } from 'kafkajs';

export interface LogRecord {
  partition: number;
  offset: bigint;
  key: string | null;
  value: string;
}

/** Every record of `topic`, in arrival order; call it once the producers have finished. */
export async function readToLogEnd(bootstrap: string, topic: string, groupId: string, timeoutMs = 60_000): Promise<LogRecord[]> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  const unread = new Set([...ends].filter(([, end]) => end > 0n).map(([p]) => p));
  const out: LogRecord[] = [];
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const left = [...unread].map((p) => `${p} (end ${ends.get(p)})`).join(', ');
        reject(new Error(`${topic}: partitions ${left} not read to their log end within ${timeoutMs} ms (${out.length} records read)`));
      }, timeoutMs);
      const check = () => {
        if (unread.size > 0) return;
        clearTimeout(timer);
        resolve();
      };
      check();
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const offset = BigInt(message.offset);
          out.push({ partition, offset, key: message.key ? message.key.toString() : null, value: String(message.value) });
          if (offset + 1n >= ends.get(partition)!) unread.delete(partition);
          check();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
