/**
 * The cluster (KRaft) settings, with Kafka's names and defaults: roles, the static quorum, the
 * controller listener, broker registration and sessions, the metadata log. None of them set, a
 * node is what `samsa broker` always was: one combined broker and controller, a quorum of itself.
 */
import { key, type ConfigKey } from '../../common/config-def.js';

export const KRAFT_CONFIG_KEYS: readonly ConfigKey[] = [
  key.list('process.roles', [], 'The roles of this node: broker, controller, or both (combined). Unset: a single combined node that is its own quorum.', ['broker', 'controller']),
  key.string('controller.quorum.voters', null, 'The static quorum: id@host:port of every controller, comma-separated.'),
  key.string('controller.quorum.bootstrap.servers', null, 'host:port of controllers to reach for a dynamic quorum (KIP-853). Samsa takes the one of a controller that names only itself (Kafka 4\'s default server.properties, formatted with --standalone) as a quorum of itself; a dynamic quorum of several is not supported (set controller.quorum.voters).'),
  key.list('controller.listener.names', [], 'Names of the listeners the controller serves on (the first is the one brokers and voters reach it on).'),
  key.string('listener.security.protocol.map', 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL', 'Security protocol of each listener name (NAME:PROTOCOL, comma-separated).'),
  key.string('inter.broker.listener.name', null, 'The listener brokers reach each other on (default: the security protocol name of security.inter.broker.protocol, PLAINTEXT).'),
  key.string('metadata.log.dir', null, 'Where the metadata log (__cluster_metadata-0) lives; default the first of log.dirs.'),
  key.string('broker.rack', null, 'The rack of this broker, for rack-aware replica placement.'),
  key.short('offsets.topic.replication.factor', 3, 'Replication factor of __consumer_offsets (a single node without process.roles uses 1 unless this is set).', 1),
  key.int('broker.heartbeat.interval.ms', 2000, 'How often a broker heartbeats to the controller.', 1),
  key.int('broker.session.timeout.ms', 9000, 'A broker that has not heartbeated for this long is fenced.', 1),
  key.int('controller.quorum.election.timeout.ms', 1000, 'The base of the randomized time a voter waits for a leader before standing.', 1),
  key.int('controller.quorum.fetch.timeout.ms', 2000, 'How long a follower waits for the leader before starting an election.', 1),
  key.int('controller.quorum.election.backoff.max.ms', 1000, 'The longest backoff after a failed election.', 1),
  key.int('controller.quorum.request.timeout.ms', 2000, 'How long a Raft request may wait for its answer.', 1),
  key.int('controller.quorum.retry.backoff.ms', 20, 'The wait after a failed Raft request before the next to that node.', 0),
  key.long('metadata.log.max.record.bytes.between.snapshots', 20971520, 'Committed bytes after which the metadata log is snapshotted.', 1),
  key.long('metadata.log.max.snapshot.interval.ms', 3600000, 'How long committed records not in the latest snapshot may wait for one (0: snapshots by size only).', 0),
  key.int('metadata.log.segment.bytes', 8388608, 'Size of a metadata log segment.', 12),
  key.bool('auto.leader.rebalance.enable', true, 'The active controller moves leadership back to preferred replicas (in the ISR) on brokers whose imbalance is above leader.imbalance.per.broker.percentage, every leader.imbalance.check.interval.seconds.'),
  key.long('leader.imbalance.check.interval.seconds', 300, 'How often the active controller checks the leader imbalance.', 1),
  key.int('leader.imbalance.per.broker.percentage', 10, 'The share (percent) of the partitions a broker is the preferred leader of that may be led elsewhere before leadership is moved back.', 0),
  key.int('controller.socket.timeout.ms', 30000, 'How long a broker waits for the controller to answer a request it forwarded.', 1),
];
