/** Samsa's Kafka client: producer, consumer and admin over the protocol layer. */
export { Admin, type ClusterNodes, type GroupDescription, type GroupMember, type GroupPartitionLag, type NewTopic, type OffsetSpec, type PartitionOffset, type QuorumDescription, type QuorumReplica, type ResetSpec } from './admin.js';
export type { ListTransactionsOptions, ListedTransaction, ProducerState, TransactionDescription } from './admin-transactions.js';
export { SamsaClient, type ClientOptions } from './client.js';
export type { Acl, AclFilter, DescribedAcl, QuotaEntityInput, ScramAlteration } from './admin-security.js';
export type { SaslOptions, TlsOptions } from './security.js';
export type { BrokerInfo, PartitionInfo, TopicInfo } from './cluster.js';
export { ASSIGNORS, type Assignor } from './consumer/assignors.js';
export { Consumer, type ConsumerOptions, type ConsumerRecord, type TopicPartition } from './consumer/consumer.js';
export { KafkaProtocolError, ProducerFencedError, SamsaClientError } from './errors.js';
export { type ConsumeTransformProduceOptions, type TransformOutput, consumeTransformProduce } from './consume-transform-produce.js';
export { murmur2, partitionForKey } from './partitioner.js';
export { type Compression, Producer, type ProducerOptions, type ProducerRecord, type RecordMetadata } from './producer/producer.js';
export { type SendOffsetsOptions, Transaction } from './producer/transaction.js';
export type { ConsumerGroupMetadata, OffsetToCommit } from './producer/transaction-manager.js';
export { type Bytes, type Deserializer, type Serializer, bytesSerde, jsonSerde, stringSerde } from './serde.js';
// The world a client is given (ClientOptions clock, random, network): the real ones, and what tests use.
export { type Clock, ManualClock, type TimerHandle, type TimerOptions, systemClock } from '../common/clock.js';
export { type Random, seededRandom, systemRandom } from '../common/random.js';
export { type ConnectOptions, type Network, nodeNetwork } from '../network/network.js';
