/**
 * What the controller listener's handlers (Kafka's ControllerApis) reach: the Raft client (the
 * quorum's RPCs), the quorum controller (metadata changes), the committed image and the static
 * voters. A node with the controller role serves them on its controller listener; a broker on
 * the same node reaches them in-process through the same handlers (cluster/controller-channel.ts).
 */
import type { Logger } from 'pino';
import type { MetadataImage } from '../../controller/image/metadata-image.js';
import type { QuorumController } from '../../controller/quorum-controller.js';
import { NotControllerError } from '../../controller/quorum-controller.js';
import type { RaftClient } from '../../controller/raft/raft-client.js';
import type { VoterEndpoint } from '../../controller/raft/quorum-config.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ApiDescriptor } from '../../protocol/api-descriptor.js';
import type { RequestIdentity, StandardAuthorizer } from '../../security/authorizer.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Faults } from '../faults/faults.js';
import { type Handler, type HandlerResult, type RequestInfo, defineApiHandler as defineHandler } from '../api-handler.js';

export interface ControllerNode {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly raft: RaftClient;
  readonly controller: QuorumController;
  /** The committed image. */
  readonly image: MetadataImage;
  readonly voters: readonly VoterEndpoint[];
  readonly config: BrokerConfig;
  readonly faults: Faults;
  readonly log: Logger;
  /** The versions the controller listener serves, as its ApiVersions reports them. */
  readonly apiVersions: readonly { apiKey: number; minVersion: number; maxVersion: number }[];
  /** The authorizer of `authorizer.class.name` with the ACLs of the committed image; undefined when none is configured (everything is allowed). */
  readonly authorizer: StandardAuthorizer | undefined;
  /** The handlers an Envelope may carry (the forwardable admin APIs), by API key. */
  readonly forwardable: ReadonlyMap<number, Handler<unknown, unknown, ControllerRequestContext>>;
  /** The offset of the committed metadata (what a forwarded request's answer reflects). */
  committedOffset(): number;
  /** Whether this node's listeners load run-time keystore and truststore values (security/listener-tls-set.ts): undefined when they do, else INVALID_CONFIG. */
  validateTlsChange?(changes: readonly { name: string; value: string | null }[]): Promise<{ errorCode: number; errorMessage: string } | undefined>;
}

export interface ControllerRequestContext extends RequestInfo {
  readonly node: ControllerNode;
  /**
   * Who asks: the connection's principal and address on the controller listener, or for a request a
   * broker forwarded in an Envelope, the client's as the Envelope carries them. Absent for the
   * broker of this node reaching its controller in-process (controller-authorization.ts).
   */
  readonly identity?: RequestIdentity;
}

/** Declares a handler of the controller listener. */
export function defineControllerHandler<Req, ReqIn, Res, ResIn>(
  api: ApiDescriptor<Req, ReqIn, Res, ResIn>,
  versions: { min: number; max: number },
  handle: (req: Req, ctx: ControllerRequestContext) => HandlerResult<ResIn> | Promise<HandlerResult<ResIn>>,
): Handler<Req, ResIn, ControllerRequestContext> {
  return defineHandler<Req, ReqIn, Res, ResIn, ControllerRequestContext>(api, versions, handle);
}

/** The error code a failed controller operation answers: NOT_CONTROLLER when this node is not the active controller. */
export function controllerErrorCode(err: unknown, ctx: ControllerRequestContext): number {
  if (err instanceof NotControllerError) return ErrorCode.NOT_CONTROLLER;
  ctx.node.log.error({ err }, 'controller operation failed');
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}
