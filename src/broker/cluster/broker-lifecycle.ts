/**
 * A broker's life as the controller sees it (Kafka's BrokerLifecycleManager): it registers
 * (BrokerRegistration, getting its broker epoch), catches up with the metadata log to its own
 * registration, then — once its partitions are open — heartbeats asking to be unfenced; from then
 * on it heartbeats every `broker.heartbeat.interval.ms` so that its session does not expire. A
 * registration the controller no longer knows (STALE_BROKER_EPOCH, after a long pause) is made
 * again. A clean stop is a controlled shutdown: heartbeats that want to shut down until the
 * controller, having fenced the broker, says it may.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../common/clock.js';
import type { BrokerEndpoint } from '../../controller/image/image-types.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { BrokerHeartbeatApi, BrokerRegistrationApi } from '../../protocol/messages/index.js';
import type { BrokerHeartbeatResponse } from '../../protocol/messages/index.js';
import { SamsaError } from '../../protocol/samsa-error.js';
import type { ControllerChannel } from './controller-channel.js';

export interface BrokerLifecycleOptions {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly incarnationId: string;
  readonly rack: string | null;
  /** The listeners clients are told of (advertised). */
  readonly endpoints: () => readonly BrokerEndpoint[];
  /** The directory ids of the log directories. */
  readonly logDirs: readonly string[];
  /** The channel to the active controller (only `send`: the partition simulation passes its network's). */
  readonly channel: Pick<ControllerChannel, 'send'>;
  readonly clock: Clock;
  readonly heartbeatIntervalMs: number;
  /** How long one registration or heartbeat may take to be answered. */
  readonly requestTimeoutMs: number;
  /** The offset after the last metadata record applied on this node. */
  metadataOffset(): number;
  /** Resolves once the metadata applied on this node reaches `offset`. */
  whenMetadataAt(offset: number): Promise<void>;
  readonly logger: Logger;
}

export class BrokerRegistrationError extends SamsaError {
  constructor(message: string) {
    super('SAMSA_BROKER_REGISTRATION', message);
  }
}

/** Kafka's BrokerRegistration features: Samsa supports metadata.version up to 4.0's. */
const FEATURES = [{ name: 'metadata.version', minSupportedVersion: 7, maxSupportedVersion: 25 }];

export class BrokerLifecycleManager {
  private epoch = -1n;
  private readyToUnfence = false;
  private fenced = true;
  /** The DUPLICATE_BROKER_REGISTRATION of this start already logged at info. */
  private duplicateSaid = false;
  private timer: TimerHandle | undefined;
  private heartbeating: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: BrokerLifecycleOptions) {}

  get brokerEpoch(): bigint {
    return this.epoch;
  }

  get isFenced(): boolean {
    return this.fenced;
  }

  /** Registers, and resolves once this node's metadata has caught up to the registration. */
  async start(): Promise<void> {
    await this.register();
  }

  /** Registers (again after DUPLICATE_BROKER_REGISTRATION, once the previous incarnation's session has expired). */
  private async register(): Promise<void> {
    for (;;) {
      const epoch = await this.tryRegister();
      if (epoch !== undefined) break;
      if (this.stopped) throw new BrokerRegistrationError('the broker stopped before it registered');
      await this.sleep(this.o.heartbeatIntervalMs);
    }
    await this.o.whenMetadataAt(Number(this.epoch) + 1);
  }

  private async tryRegister(): Promise<bigint | undefined> {
    const o = this.o;
    const res = await o.channel.send(
      BrokerRegistrationApi,
      {
        brokerId: o.nodeId,
        clusterId: o.clusterId,
        incarnationId: o.incarnationId,
        listeners: o.endpoints(),
        features: FEATURES,
        rack: o.rack,
        logDirs: o.logDirs,
        previousBrokerEpoch: this.epoch,
      },
      { version: 4, timeoutMs: 24 * 3600_000 },
    );
    if (res.errorCode === ErrorCode.DUPLICATE_BROKER_REGISTRATION) {
      // Expected after a crash, until the old session times out: said once, then at debug for each retry (Kafka logs it at info).
      const level = this.duplicateSaid ? 'debug' : 'info';
      this.duplicateSaid = true;
      o.logger[level]({ node: o.nodeId }, 'another incarnation of this broker id still has a session with the controller: registering again once it expires');
      return undefined;
    }
    if (res.errorCode !== ErrorCode.NONE) throw new BrokerRegistrationError(`the controller refused the registration of broker ${o.nodeId}: error ${res.errorCode}`);
    this.epoch = res.brokerEpoch;
    this.fenced = true;
    o.logger.info({ node: o.nodeId, epoch: String(res.brokerEpoch) }, 'registered with the controller');
    return res.brokerEpoch;
  }

  /** The broker is ready to serve: asks to be unfenced, resolves once it is, and keeps heartbeating. */
  async unfence(): Promise<void> {
    this.readyToUnfence = true;
    while (this.fenced && !this.stopped) {
      await this.heartbeat(false);
      if (this.fenced && !this.stopped) await this.sleep(Math.min(100, this.o.heartbeatIntervalMs));
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.heartbeating = this.heartbeat(false).then(
        () => this.schedule(),
        () => this.schedule(),
      );
    }, this.o.heartbeatIntervalMs);
  }

  /** One heartbeat; re-registers when the controller no longer knows this registration. */
  private async heartbeat(wantShutDown: boolean, timeoutMs = this.o.requestTimeoutMs): Promise<BrokerHeartbeatResponse | undefined> {
    const o = this.o;
    let res: BrokerHeartbeatResponse;
    try {
      res = await o.channel.send(
        BrokerHeartbeatApi,
        { brokerId: o.nodeId, brokerEpoch: this.epoch, currentMetadataOffset: BigInt(Math.max(0, o.metadataOffset() - 1)), wantFence: !this.readyToUnfence, wantShutDown },
        { version: 1, timeoutMs },
      );
    } catch (err) {
      if (!this.stopped) o.logger.warn({ err: (err as Error).message }, 'broker heartbeat failed');
      return undefined;
    }
    if (res.errorCode === ErrorCode.STALE_BROKER_EPOCH || res.errorCode === ErrorCode.BROKER_ID_NOT_REGISTERED) {
      o.logger.warn({ node: o.nodeId, epoch: String(this.epoch) }, 'the controller no longer knows this registration: registering again');
      await this.register();
      return res;
    }
    if (res.errorCode === ErrorCode.NONE) {
      if (res.isFenced !== this.fenced) o.logger.info({ node: o.nodeId, fenced: res.isFenced }, res.isFenced ? 'broker fenced' : 'broker unfenced');
      this.fenced = res.isFenced;
    }
    return res;
  }

  /** Controlled shutdown: resolves once the controller lets this broker stop, or after `timeoutMs`. */
  async controlledShutdown(timeoutMs: number): Promise<void> {
    this.timer?.cancel();
    await this.heartbeating;
    if (this.epoch < 0n) return;
    const deadline = this.o.clock.now() + timeoutMs;
    while (this.o.clock.now() < deadline) {
      const res = await this.heartbeat(true, Math.max(1, deadline - this.o.clock.now()));
      if (res?.shouldShutDown) return;
      await this.sleep(Math.min(100, deadline - this.o.clock.now()));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.o.clock.setTimeout(resolve, Math.max(0, ms)));
  }

  close(): void {
    this.stopped = true;
    this.timer?.cancel();
  }
}
