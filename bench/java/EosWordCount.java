/*
 * A Kafka Streams word count with processing.guarantee=exactly_once and an in-memory store (no
 * RocksDB), for bench/java/eos-trial.sh: lines from WC_IN, counts (as strings) to WC_OUT. Run by
 * hand where a JDK and Kafka 2.1.1's jars are at hand (never in CI; the jars are never committed).
 *
 *   java -cp '<libs>/*:<classes>' EosWordCount <bootstrap> <application.id> <state dir> <replication factor>
 */
import java.util.Arrays;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.Stores;

public class EosWordCount {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
    p.put(StreamsConfig.STATE_DIR_CONFIG, args[2]);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, Integer.parseInt(args[3]));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.String().getClass());
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.String().getClass());
    StreamsBuilder b = new StreamsBuilder();
    b.<String, String>stream(System.getenv("WC_IN"))
        .flatMapValues(v -> Arrays.asList(v.toLowerCase().split("\\W+")))
        .groupBy((k, w) -> w)
        .count(Materialized.as(Stores.inMemoryKeyValueStore("counts")))
        .toStream()
        .mapValues(v -> Long.toString(v))
        .to(System.getenv("WC_OUT"));
    KafkaStreams streams = new KafkaStreams(b.build(), p);
    CountDownLatch done = new CountDownLatch(1);
    streams.setStateListener((now, before) -> System.out.println("state " + before + " -> " + now));
    streams.setUncaughtExceptionHandler((t, e) -> {
      e.printStackTrace();
      done.countDown();
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close();
      done.countDown();
    }));
    streams.start();
    done.await();
  }
}
