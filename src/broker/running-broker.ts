/** What a started node is to its embedder, and the world (clock, disk, randomness, network) it runs in. */
import type { Clock } from '../common/clock.js';
import type { Random, RandomBytes } from '../common/random.js';
import type { MetadataImage } from '../controller/image/metadata-image.js';
import type { RaftInspection } from '../controller/raft/raft-client.js';
import type { Network } from '../network/network.js';
import type { Disk } from '../storage/disk.js';
import type { Faults } from './faults/faults.js';
import type { SecurityProtocolName } from './config/listeners.js';

/** One client listener as it serves: its name, security protocol, bound and advertised addresses. */
export interface RunningListener {
  readonly name: string;
  readonly securityProtocol: SecurityProtocolName;
  readonly host: string;
  readonly port: number;
  /** The advertised `host:port` of this listener. */
  readonly bootstrap: string;
}

export interface RunningBroker {
  /** The first client listener (a controller-only node: its controller listener). */
  readonly host: string;
  readonly port: number;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly dataDir: string;
  /** `host:port` of the first client listener, for a client's bootstrap servers. */
  readonly bootstrap: string;
  /** Every client listener (the first is the one `host`, `port` and `bootstrap` describe; none on a controller-only node). */
  readonly listeners: readonly RunningListener[];
  /** Reads the TLS listeners' keystores and truststores again: new connections get the new certificates. */
  reloadCertificates(): Promise<void>;
  /** Fault injection and request observation for tests (faults/faults.ts), on the client listeners. */
  readonly faults: Faults;
  /** The same on the controller listener (Raft RPCs, registrations, forwarded requests), when this node has one. */
  readonly controllerFaults: Faults | undefined;
  /** `process.roles`: both for a standalone node. */
  readonly roles: readonly ('broker' | 'controller')[];
  /** The controller listener's bound address, when this node has one. */
  readonly controllerAddress: { host: string; port: number } | undefined;
  /** The committed cluster metadata as this node sees it. */
  readonly metadata: MetadataImage;
  /** The controller this node knows leads the metadata quorum (-1: none). */
  readonly activeControllerId: number;
  /** This node's view of the metadata quorum (role, epoch, offsets). */
  quorum(): RaftInspection;
  close(): Promise<void>;
}

/** The world a node runs in: what startBroker was given, else the real one. */
export interface World {
  clock: Clock;
  disk: Disk;
  random: Random;
  network: Network;
  /** Secure random bytes (SCRAM nonces and salts). */
  randomBytes: RandomBytes;
}
