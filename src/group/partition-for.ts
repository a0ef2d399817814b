/**
 * Which partition of __consumer_offsets holds a group: Kafka's
 * `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`, with Java's String.hashCode
 * over UTF-16 code units, so a group lands where Kafka would put it.
 */

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1], in 32-bit two's complement. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

export function partitionForGroup(groupId: string, numPartitions: number): number {
  const h = javaStringHashCode(groupId);
  // Kafka's Utils.abs maps Integer.MIN_VALUE to 0 rather than overflowing.
  const abs = h === -2147483648 ? 0 : Math.abs(h);
  return abs % numPartitions;
}
