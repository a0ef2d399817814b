/** A partition named by its topic and index (Kafka's TopicPartition), and the one key for maps of them. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** `topic-partition`, as Kafka prints a TopicPartition and names its directory. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
