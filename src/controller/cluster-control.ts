/**
 * Brokers as the controller sees them (Kafka's ClusterControlManager and BrokerHeartbeatManager):
 * a broker registers (BrokerRegistration: a RegisterBrokerRecord, fenced, whose offset is the
 * broker's epoch), heartbeats (BrokerHeartbeat), is unfenced once it has caught up with the
 * metadata log to its registration and asks for it, fenced when it asks or when its session
 * expires (`broker.session.timeout.ms` without a heartbeat), and shuts down under control (the
 * heartbeat's wantShutDown: marked in controlled shutdown, then fenced, then told it may stop).
 *
 * Sessions are the active controller's memory, not the log: a new controller gives every broker
 * a full session from the moment it takes over, as Kafka's does — except the previous active
 * controller's own broker, whose session counts from the new one's last Raft contact with it
 * (QuorumController.creditPreviousLeader).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { MetadataRecordType } from '../protocol/metadata/index.js';
import type { ControllerWriter } from './controller-writer.js';
import type { BrokerEndpoint, SupportedFeature } from './image/image-types.js';
import { electLeaderless, moveAwayFrom } from './partition-control.js';

export interface BrokerRegistrationRequest {
  readonly brokerId: number;
  readonly clusterId: string;
  readonly incarnationId: string;
  readonly listeners: readonly BrokerEndpoint[];
  readonly features: readonly SupportedFeature[];
  readonly rack: string | null;
  readonly logDirs: readonly string[];
}

export interface BrokerHeartbeatRequest {
  readonly brokerId: number;
  readonly brokerEpoch: bigint;
  readonly currentMetadataOffset: bigint;
  readonly wantFence: boolean;
  readonly wantShutDown: boolean;
}

export interface BrokerHeartbeatResult {
  readonly errorCode: number;
  readonly isCaughtUp: boolean;
  readonly isFenced: boolean;
  readonly shouldShutDown: boolean;
}

/** When each broker was last heard from, on the active controller's clock. */
export class BrokerSessions {
  private readonly lastContact = new Map<number, number>();

  constructor(readonly sessionTimeoutMs: number) {}

  touch(brokerId: number, now: number): void {
    this.lastContact.set(brokerId, now);
  }

  forget(brokerId: number): void {
    this.lastContact.delete(brokerId);
  }

  /** Every broker starts a full session now (a controller taking over). */
  reset(brokerIds: Iterable<number>, now: number): void {
    this.lastContact.clear();
    for (const id of brokerIds) this.lastContact.set(id, now);
  }

  hasValidSession(brokerId: number, now: number): boolean {
    const t = this.lastContact.get(brokerId);
    return t !== undefined && now - t < this.sessionTimeoutMs;
  }

  /** When `brokerId`'s session ends, if it has one. */
  expiry(brokerId: number): number | undefined {
    const t = this.lastContact.get(brokerId);
    return t === undefined ? undefined : t + this.sessionTimeoutMs;
  }
}

export interface ClusterContext {
  readonly clusterId: string;
  readonly sessions: BrokerSessions;
  /** A broker in the controller's own process: alive as long as the controller is, so never fenced by its session. */
  readonly localBrokerId: number | undefined;
}

export function registerBroker(w: ControllerWriter, ctx: ClusterContext, req: BrokerRegistrationRequest): { errorCode: number; brokerEpoch: bigint } {
  const failed = (errorCode: number) => ({ errorCode, brokerEpoch: -1n });
  if (req.clusterId !== ctx.clusterId) return failed(ErrorCode.INCONSISTENT_CLUSTER_ID);
  const existing = w.image.broker(req.brokerId);
  // The broker in the controller's own process: its previous incarnation died with the previous controller.
  const mayBeAlive = req.brokerId !== ctx.localBrokerId && ctx.sessions.hasValidSession(req.brokerId, w.now);
  if (existing && existing.incarnationId !== req.incarnationId && !existing.fenced && mayBeAlive) {
    return failed(ErrorCode.DUPLICATE_BROKER_REGISTRATION);
  }
  const brokerEpoch = BigInt(w.nextOffset);
  w.emit({
    apiKey: MetadataRecordType.RegisterBrokerRecord,
    data: {
      brokerId: req.brokerId,
      incarnationId: req.incarnationId,
      brokerEpoch,
      endPoints: req.listeners,
      features: req.features,
      rack: req.rack,
      fenced: true,
      inControlledShutdown: false,
      logDirs: req.logDirs,
    },
  });
  // A new incarnation (fenced until it catches up) may have lost what the old one held: it leads nothing and leaves the ISRs.
  if (existing) moveAwayFrom(w, req.brokerId);
  ctx.sessions.touch(req.brokerId, w.now);
  return { errorCode: ErrorCode.NONE, brokerEpoch };
}

/** The broker's epoch check: STALE_BROKER_EPOCH unless it is registered with exactly this epoch. */
export function brokerEpochError(w: ControllerWriter, brokerId: number, brokerEpoch: bigint): number | undefined {
  const b = w.image.broker(brokerId);
  if (!b) return ErrorCode.BROKER_ID_NOT_REGISTERED;
  return b.epoch === brokerEpoch ? undefined : ErrorCode.STALE_BROKER_EPOCH;
}

export function brokerHeartbeat(w: ControllerWriter, ctx: ClusterContext, req: BrokerHeartbeatRequest): BrokerHeartbeatResult {
  const epochError = brokerEpochError(w, req.brokerId, req.brokerEpoch);
  if (epochError !== undefined) return { errorCode: epochError, isCaughtUp: false, isFenced: true, shouldShutDown: false };
  ctx.sessions.touch(req.brokerId, w.now);
  const b = w.image.broker(req.brokerId)!;
  const isCaughtUp = req.currentMetadataOffset >= b.epoch;
  const epoch = b.epoch;
  if (req.wantShutDown) {
    // Leadership moves to other in-sync replicas first (in the same batch), then the broker is fenced and may stop.
    if (!b.inControlledShutdown) w.emit({ apiKey: MetadataRecordType.BrokerRegistrationChangeRecord, data: { brokerId: b.id, brokerEpoch: epoch, inControlledShutdown: 1 } });
    moveAwayFrom(w, b.id);
    if (!b.fenced) w.emit({ apiKey: MetadataRecordType.FenceBrokerRecord, data: { id: b.id, epoch } });
    return { errorCode: ErrorCode.NONE, isCaughtUp, isFenced: true, shouldShutDown: true };
  }
  if (b.fenced && !req.wantFence && isCaughtUp && !b.inControlledShutdown) {
    w.emit({ apiKey: MetadataRecordType.UnfenceBrokerRecord, data: { id: b.id, epoch } });
    electLeaderless(w);
  } else if (!b.fenced && req.wantFence) {
    w.emit({ apiKey: MetadataRecordType.FenceBrokerRecord, data: { id: b.id, epoch } });
    moveAwayFrom(w, b.id);
  }
  return { errorCode: ErrorCode.NONE, isCaughtUp, isFenced: w.image.broker(b.id)!.fenced, shouldShutDown: false };
}

/** Fences every unfenced broker whose session has expired; returns the ids fenced. */
export function fenceStaleBrokers(w: ControllerWriter, ctx: ClusterContext): number[] {
  const fenced: number[] = [];
  for (const b of w.image.unfencedBrokers()) {
    if (b.id === ctx.localBrokerId || ctx.sessions.hasValidSession(b.id, w.now)) continue;
    w.emit({ apiKey: MetadataRecordType.FenceBrokerRecord, data: { id: b.id, epoch: b.epoch } });
    moveAwayFrom(w, b.id);
    fenced.push(b.id);
  }
  return fenced;
}

/** The next time a session may expire (an unfenced broker other than the local one), if any. */
export function nextSessionExpiry(w: { image: ControllerWriter['image'] }, ctx: ClusterContext): number | undefined {
  let next: number | undefined;
  for (const b of w.image.unfencedBrokers()) {
    if (b.id === ctx.localBrokerId) continue;
    const at = ctx.sessions.expiry(b.id);
    if (at !== undefined && (next === undefined || at < next)) next = at;
  }
  return next;
}

/** UnregisterBroker (kafka-cluster.sh unregister): removes a broker's registration. */
export function unregisterBroker(w: ControllerWriter, ctx: ClusterContext, brokerId: number): { errorCode: number; errorMessage: string | null } {
  const b = w.image.broker(brokerId);
  if (!b) return { errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED, errorMessage: `Broker ID ${brokerId} is not currently registered` };
  w.emit({ apiKey: MetadataRecordType.UnregisterBrokerRecord, data: { brokerId, brokerEpoch: b.epoch } });
  ctx.sessions.forget(brokerId);
  return { errorCode: ErrorCode.NONE, errorMessage: null };
}

/** AllocateProducerIds: the next block of ids for a registered broker (Kafka's ProducerIdControlManager). */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

export function allocateProducerIds(w: ControllerWriter, brokerId: number, brokerEpoch: bigint): { errorCode: number; producerIdStart: bigint; producerIdLen: number } {
  const epochError = brokerEpochError(w, brokerId, brokerEpoch);
  if (epochError !== undefined) return { errorCode: ErrorCode.STALE_BROKER_EPOCH, producerIdStart: -1n, producerIdLen: 0 };
  const start = w.image.nextProducerId;
  if (start + BigInt(PRODUCER_ID_BLOCK_SIZE) > 0x7fffffffffffffffn) return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, producerIdStart: -1n, producerIdLen: 0 };
  w.emit({ apiKey: MetadataRecordType.ProducerIdsRecord, data: { brokerId, brokerEpoch, nextProducerId: start + BigInt(PRODUCER_ID_BLOCK_SIZE) } });
  return { errorCode: ErrorCode.NONE, producerIdStart: start, producerIdLen: PRODUCER_ID_BLOCK_SIZE };
}
