/*
 * A small consumer perf tool on Kafka's Java client (kafka-clients), reading as the Scala
 * kafka-consumer-perf-test does: one KafkaConsumer, poll(100 ms) in a loop until N records,
 * default fetch settings (Fetch with incremental sessions, fetch.min.bytes=1,
 * fetch.max.wait.ms=500, max.partition.fetch.bytes=1 MiB, one fetch in flight per broker).
 * Run by hand where a JDK and the Kafka client jars are at hand (never in CI; the jars are never
 * committed: kafka-clients 2.1.1 and its dependencies are in the public repository
 * ATCP/kafka_2.11-2.1.1, libs/). Prints one JSON line. Figures: docs/broker.md, issue 18.
 *
 *   javac -cp '<libs>/*' -d /tmp/jv bench/java/SamsaConsumerPerf.java
 *   java -cp '<libs>/*:/tmp/jv' SamsaConsumerPerf <bootstrap> <topic> <records> [assign|subscribe] [key=value ...]
 */
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class SamsaConsumerPerf {
  public static void main(String[] args) {
    String bootstrap = args[0];
    String topic = args[1];
    long wanted = Long.parseLong(args[2]);
    String mode = args.length > 3 ? args[3] : "assign";
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("group.id", "samsa-perf-" + System.nanoTime());
    props.put("auto.offset.reset", "earliest");
    props.put("enable.auto.commit", "false");
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    for (int i = 4; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      props.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      long joinStart = System.nanoTime();
      if (mode.equals("subscribe")) {
        consumer.subscribe(Collections.singletonList(topic));
      } else {
        List<TopicPartition> parts = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic)) parts.add(new TopicPartition(topic, p.partition()));
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
      }
      long records = 0;
      long bytes = 0;
      long first = 0;
      long last = System.nanoTime();
      while (records < wanted && System.nanoTime() - last < 10_000_000_000L) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
        if (batch.isEmpty()) continue;
        if (first == 0) first = System.nanoTime();
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          records++;
          if (r.value() != null) bytes += r.value().length;
          if (r.key() != null) bytes += r.key().length;
        }
        last = System.nanoTime();
      }
      double seconds = (last - first) / 1e9;
      double fetchLatencyAvg = metric(consumer.metrics(), "fetch-latency-avg");
      double fetchTotal = metric(consumer.metrics(), "fetch-total");
      double fetchSizeAvg = metric(consumer.metrics(), "fetch-size-avg");
      System.out.printf(
          "{\"records\":%d,\"bytes\":%d,\"seconds\":%.4f,\"recordsPerSec\":%.1f,\"mbPerSec\":%.2f,\"joinMs\":%.1f,\"fetches\":%.0f,\"fetchLatencyAvgMs\":%.3f,\"fetchSizeAvg\":%.0f}%n",
          records, bytes, seconds, records / seconds, bytes / seconds / 1e6, (first - joinStart) / 1e6, fetchTotal, fetchLatencyAvg, fetchSizeAvg);
    }
  }

  private static double metric(Map<MetricName, ? extends Metric> metrics, String name) {
    for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
      if (e.getKey().name().equals(name) && e.getKey().group().equals("consumer-fetch-manager-metrics") && e.getKey().tags().size() == 1) {
        Object v = e.getValue().metricValue();
        if (v instanceof Double) return (Double) v;
      }
    }
    return Double.NaN;
  }
}
