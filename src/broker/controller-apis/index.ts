/**
 * The APIs of the controller listener (Kafka's ControllerApis), one handler per API; its
 * ApiVersions advertises exactly these. FORWARDABLE are those a broker may send in an Envelope.
 * Each is wrapped in its API's authorization on the cluster (controller-authorization.ts).
 */
import type { AnyHandler } from '../handler.js';
import type { ControllerRequestContext } from './controller-context.js';
import { withClusterCheck } from './controller-authorization.js';
import { saslHandshakeHandler } from '../handlers/17-sasl-handshake.js';
import { saslAuthenticateHandler } from '../handlers/36-sasl-authenticate.js';
import { controllerFetchHandler } from './01-fetch.js';
import { controllerApiVersionsHandler } from './18-api-versions.js';
import { controllerCreateTopicsHandler } from './19-create-topics.js';
import { controllerDeleteTopicsHandler } from './20-delete-topics.js';
import { controllerCreateAclsHandler } from './30-create-acls.js';
import { controllerDeleteAclsHandler } from './31-delete-acls.js';
import { controllerAlterConfigsHandler } from './33-alter-configs.js';
import { controllerCreatePartitionsHandler } from './37-create-partitions.js';
import { controllerElectLeadersHandler } from './43-elect-leaders.js';
import { controllerIncrementalAlterConfigsHandler } from './44-incremental-alter-configs.js';
import { controllerAlterPartitionReassignmentsHandler } from './45-alter-partition-reassignments.js';
import { controllerListPartitionReassignmentsHandler } from './46-list-partition-reassignments.js';
import { controllerAlterClientQuotasHandler } from './49-alter-client-quotas.js';
import { controllerAlterUserScramCredentialsHandler } from './51-alter-user-scram-credentials.js';
import { voteHandler } from './52-vote.js';
import { beginQuorumEpochHandler } from './53-begin-quorum-epoch.js';
import { endQuorumEpochHandler } from './54-end-quorum-epoch.js';
import { describeQuorumHandler } from './55-describe-quorum.js';
import { alterPartitionHandler } from './56-alter-partition.js';
import { envelopeHandler } from './58-envelope.js';
import { fetchSnapshotHandler } from './59-fetch-snapshot.js';
import { controllerDescribeClusterHandler } from './60-describe-cluster.js';
import { brokerRegistrationHandler } from './62-broker-registration.js';
import { brokerHeartbeatHandler } from './63-broker-heartbeat.js';
import { unregisterBrokerHandler } from './64-unregister-broker.js';
import { allocateProducerIdsHandler } from './67-allocate-producer-ids.js';

export const FORWARDABLE_HANDLERS: readonly AnyHandler<ControllerRequestContext>[] = ([
  controllerCreateTopicsHandler,
  controllerDeleteTopicsHandler,
  controllerCreateAclsHandler,
  controllerDeleteAclsHandler,
  controllerAlterConfigsHandler,
  controllerCreatePartitionsHandler,
  controllerElectLeadersHandler,
  controllerIncrementalAlterConfigsHandler,
  controllerAlterPartitionReassignmentsHandler,
  controllerListPartitionReassignmentsHandler,
  controllerAlterClientQuotasHandler,
  controllerAlterUserScramCredentialsHandler,
  describeQuorumHandler,
  unregisterBrokerHandler,
] as AnyHandler<ControllerRequestContext>[]).map(withClusterCheck);

export const CONTROLLER_HANDLERS: readonly AnyHandler<ControllerRequestContext>[] = [
  ...FORWARDABLE_HANDLERS,
  ...([
    controllerFetchHandler,
    controllerApiVersionsHandler,
    voteHandler,
    beginQuorumEpochHandler,
    endQuorumEpochHandler,
    alterPartitionHandler,
    envelopeHandler,
    fetchSnapshotHandler,
    controllerDescribeClusterHandler,
    brokerRegistrationHandler,
    brokerHeartbeatHandler,
    allocateProducerIdsHandler,
  ] as AnyHandler<ControllerRequestContext>[]).map(withClusterCheck),
  // A SASL listener's authenticator runs the login before the dispatcher (security/sasl-authenticator.ts);
  // these answer what reaches them as the client listener's do (ILLEGAL_SASL_STATE) and need no context,
  // and ApiVersions advertises them, as Kafka's controller listener does, so that clients log in.
  saslHandshakeHandler as unknown as AnyHandler<ControllerRequestContext>,
  saslAuthenticateHandler as unknown as AnyHandler<ControllerRequestContext>,
];
