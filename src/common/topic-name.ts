/** Kafka's rules for topic names (org.apache.kafka.common.internals.Topic). */

export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';
export const TRANSACTION_STATE_TOPIC = '__transaction_state';
const INTERNAL_TOPICS = new Set([CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC]);

/** Why a topic name is invalid, or undefined when it is valid. */
export function topicNameError(name: string): string | undefined {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`;
  if (!LEGAL.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return undefined;
}

export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name);
}

/** Kafka forbids two topics whose names differ only by '.' versus '_' (their metric names collide). */
export function collisionKey(name: string): string {
  return name.replace(/\./g, '_');
}
