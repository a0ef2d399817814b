/** kafkajs consumers for the consumer-group integration tests (test/broker/groups-*.test.ts). */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';

/** Rebalances fast: no initial delay to speak of, short sessions allowed. */
export const GROUP_TEST_CONFIG = { 'group.initial.rebalance.delay.ms': 100, 'group.min.session.timeout.ms': 1000 };

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export interface Received {
  /** `partition:offset` of every record, in arrival order. */
  seen: string[];
  values: string[];
  /** The partitions of the member's latest assignment. */
  assigned: number[];
}

/** Starts a consumer that records what it receives and what it is assigned. */
export async function startConsumer(kafka: Kafka, groupId: string, topic: string, opts: { fromBeginning?: boolean; sessionTimeout?: number; restartOnFailure?: boolean } = {}): Promise<{ consumer: Consumer; got: Received }> {
  // A short fetch wait keeps disconnects quick: kafkajs lets the fetch in flight finish first.
  const consumer = kafka.consumer({ groupId, sessionTimeout: opts.sessionTimeout ?? 6000, heartbeatInterval: 300, rebalanceTimeout: 10_000, maxWaitTimeInMs: 200, retry: { retries: 10, initialRetryTime: 50, restartOnFailure: async () => opts.restartOnFailure ?? true } });
  const got: Received = { seen: [], values: [], assigned: [] };
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    got.assigned = ((e.payload.memberAssignment as Record<string, number[]>)[topic] ?? []).slice().sort((a, b) => a - b);
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? true });
  await consumer.run({
    eachMessage: async ({ partition, message }: EachMessagePayload) => {
      got.seen.push(`${partition}:${message.offset}`);
      got.values.push(String(message.value));
    },
  });
  return { consumer, got };
}

