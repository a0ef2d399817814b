/*
 * Whether the Java consumer (kafka-clients 2.1.1, incremental fetch sessions) is served every
 * partition in turn when one response cannot hold them all: 10 partitions with 2,000 records of
 * 1 KB each, fetch.max.bytes and max.partition.fetch.bytes 20,000, 40 polls. Kafka moves the
 * partitions an incremental response carries to the back of the session, so each partition gets
 * about a tenth; a broker that keeps the session's order serves one partition alone. Prints the
 * partitions of each poll and the records per partition, and exits non-zero when a partition got
 * none. Run by hand where a JDK and Kafka 2.1.1's jars are at hand (never in CI):
 *
 *   javac -cp '<libs>/*' -d /tmp/ff bench/java/FetchFairness.java
 *   java -cp '<libs>/*:/tmp/ff' FetchFairness 127.0.0.1:9092 <new topic>
 */
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class FetchFairness {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], topic = args[1];
    int partitions = 10;
    Properties ap = new Properties();
    ap.put("bootstrap.servers", bootstrap);
    try (AdminClient admin = AdminClient.create(ap)) {
      admin.createTopics(Arrays.asList(new NewTopic(topic, partitions, (short) 1))).all().get();
    }
    Properties pp = new Properties();
    pp.put("bootstrap.servers", bootstrap);
    pp.put("key.serializer", StringSerializer.class.getName());
    pp.put("value.serializer", StringSerializer.class.getName());
    pp.put("linger.ms", "10");
    String value = "x".repeat(1000);
    try (KafkaProducer<String, String> p = new KafkaProducer<>(pp)) {
      for (int i = 0; i < 2000; i++) for (int q = 0; q < partitions; q++) p.send(new ProducerRecord<>(topic, q, null, value));
    }
    Properties cp = new Properties();
    cp.put("bootstrap.servers", bootstrap);
    cp.put("key.deserializer", StringDeserializer.class.getName());
    cp.put("value.deserializer", StringDeserializer.class.getName());
    cp.put("auto.offset.reset", "earliest");
    cp.put("fetch.max.bytes", "20000");
    cp.put("max.partition.fetch.bytes", "20000");
    int[] counts = new int[partitions];
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cp)) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int q = 0; q < partitions; q++) tps.add(new TopicPartition(topic, q));
      c.assign(tps);
      StringBuilder polls = new StringBuilder();
      for (int i = 0; i < 40; i++) {
        Set<Integer> served = new TreeSet<>();
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
          counts[r.partition()]++;
          served.add(r.partition());
        }
        polls.append(served).append(' ');
      }
      System.out.println("polls: " + polls);
    }
    System.out.println("records per partition after 40 polls: " + Arrays.toString(counts));
    System.exit(Arrays.stream(counts).anyMatch(n -> n == 0) ? 1 : 0);
  }
}
