/**
 * The quorum's configuration with Kafka's names and defaults (QuorumConfig, MetadataLogConfig):
 * a static voter set as in `controller.quorum.voters` (`id@host:port,...`) and the timeouts of
 * KIP-595.
 */
import { QuorumConfigError } from './errors.js';

export interface VoterEndpoint {
  readonly id: number;
  readonly host: string;
  readonly port: number;
}

export interface QuorumConfig {
  /** The voters' ids, from `controller.quorum.voters`; a node not in it is an observer. */
  readonly voters: readonly number[];
  /** `controller.quorum.election.timeout.ms`: the base of the randomized election timeout. */
  readonly electionTimeoutMs: number;
  /** `controller.quorum.fetch.timeout.ms`: a follower that hears nothing from the leader this long starts an election. */
  readonly fetchTimeoutMs: number;
  /** `controller.quorum.election.backoff.max.ms`: the most a failed election waits before the next. */
  readonly electionBackoffMaxMs: number;
  /** `controller.quorum.request.timeout.ms`. */
  readonly requestTimeoutMs: number;
  /** `controller.quorum.retry.backoff.ms`: the wait after a failed request before the next to that node. */
  readonly retryBackoffMs: number;
  /** `controller.quorum.fetch.max.wait.ms` (Kafka's fixed 500): how long the leader holds a Fetch with nothing new. */
  readonly fetchMaxWaitMs: number;
  /** `metadata.log.max.record.bytes.between.snapshots`: committed bytes after which a node takes a snapshot. */
  readonly maxBytesBetweenSnapshots: number;
  /** `metadata.log.max.snapshot.interval.ms`: a node with committed records not in its latest snapshot takes one after this long (0: never by time). */
  readonly maxSnapshotIntervalMs: number;
  /** `metadata.log.segment.bytes`: a log segment is rolled past this size. */
  readonly segmentBytes: number;
  /** The most record bytes one Fetch response carries. */
  readonly fetchMaxBytes: number;
  /** The most snapshot bytes one FetchSnapshot response carries. */
  readonly fetchSnapshotMaxBytes: number;
}

export const DEFAULT_QUORUM_CONFIG: Omit<QuorumConfig, 'voters'> = {
  electionTimeoutMs: 1000,
  fetchTimeoutMs: 2000,
  electionBackoffMaxMs: 1000,
  requestTimeoutMs: 2000,
  retryBackoffMs: 20,
  fetchMaxWaitMs: 500,
  maxBytesBetweenSnapshots: 20 * 1024 * 1024,
  maxSnapshotIntervalMs: 60 * 60 * 1000,
  segmentBytes: 8 * 1024 * 1024,
  fetchMaxBytes: 8 * 1024 * 1024,
  fetchSnapshotMaxBytes: 8 * 1024 * 1024,
};


/** Parses `controller.quorum.voters`: `1@host:9093,2@[::1]:9093`. Ids must be distinct and non-negative. */
export function parseQuorumVoters(text: string): VoterEndpoint[] {
  const voters: VoterEndpoint[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const m = /^(\d+)@(\[[^\]]+\]|[^:@[\]]+):(\d+)$/.exec(part);
    if (!m) throw new QuorumConfigError(`controller.quorum.voters entry ${JSON.stringify(part)} is not id@host:port`);
    const id = Number(m[1]);
    const port = Number(m[3]);
    if (!Number.isSafeInteger(id) || id > 0x7fffffff) throw new QuorumConfigError(`voter id ${m[1]} is out of range`);
    if (port < 1 || port > 65535) throw new QuorumConfigError(`voter ${id} has port ${port} outside 1-65535`);
    if (voters.some((v) => v.id === id)) throw new QuorumConfigError(`voter id ${id} appears twice`);
    voters.push({ id, host: m[2]!.replace(/^\[|\]$/g, ''), port });
  }
  if (voters.length === 0) throw new QuorumConfigError('controller.quorum.voters names no voter');
  return voters;
}

export function quorumConfig(voters: readonly number[], overrides: Partial<Omit<QuorumConfig, 'voters'>> = {}): QuorumConfig {
  const config = { ...DEFAULT_QUORUM_CONFIG, ...overrides, voters: [...voters].sort((a, b) => a - b) };
  if (new Set(config.voters).size !== config.voters.length) throw new QuorumConfigError('duplicate voter ids');
  if (config.voters.length === 0) throw new QuorumConfigError('a quorum needs at least one voter');
  for (const k of ['electionTimeoutMs', 'fetchTimeoutMs', 'requestTimeoutMs', 'fetchMaxWaitMs'] as const) {
    if (!(config[k] > 0)) throw new QuorumConfigError(`${k} must be positive`);
  }
  return config;
}

/** The number of voters that makes a majority. */
export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}
