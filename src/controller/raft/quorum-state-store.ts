/**
 * The voter's persisted election state (Kafka's FileQuorumStateStore): the file `quorum-state` in
 * the metadata log directory, one line of JSON in Kafka's QuorumStateData format with an extra
 * `data_version` field, e.g.
 *
 *   {"clusterId":"","leaderId":1,"leaderEpoch":2,"votedId":-1,"appliedOffset":0,"currentVoters":[{"voterId":1}],"data_version":0}
 *
 * Samsa writes version 0 (static voters, kraft.version 0) and reads 0 and 1. A write replaces the
 * file atomically and durably (temporary file, fsync, rename, fsync of the directory) before the
 * caller acts on the new state: a vote is granted only once it is on disk.
 */
import { join } from 'node:path';
import type { QuorumStateData } from '../../protocol/metadata/index.js';
import type { Disk } from '../../storage/disk.js';
import { readWholeFile } from '../../storage/disk-files.js';
import { RaftStateError } from './errors.js';
import { NO_LEADER } from './offset-and-epoch.js';

export const QUORUM_STATE_FILE = 'quorum-state';
const MAX_STATE_FILE_BYTES = 64 * 1024;

/** What a voter must remember across restarts: its epoch and whom it voted for or follows in it. */
export interface ElectionState {
  readonly epoch: number;
  /** -1 when none is known. */
  readonly leaderId: number;
  /** -1 when it has not voted in this epoch. */
  readonly votedId: number;
}

type QuorumStateJson = Pick<QuorumStateData, 'clusterId' | 'leaderId' | 'leaderEpoch' | 'votedId'> & {
  appliedOffset: number;
  currentVoters: { voterId: number }[];
  votedDirectoryId?: string;
  data_version: number;
};

export interface QuorumStateStoreOptions {
  /** Simulator control only: skip the fsyncs, so a power loss can forget a vote. Never set in production. */
  readonly unsafeSkipFsync?: boolean;
}

export class FileQuorumStateStore {
  readonly path: string;

  constructor(
    private readonly disk: Disk,
    private readonly dir: string,
    private readonly voters: readonly number[],
    private readonly options: QuorumStateStoreOptions = {},
  ) {
    this.path = join(dir, QUORUM_STATE_FILE);
  }

  /** The stored state, or undefined when the file does not exist (a new node). */
  async read(): Promise<ElectionState | undefined> {
    const bytes = await readWholeFile(this.disk, this.path, MAX_STATE_FILE_BYTES);
    if (bytes === undefined) return undefined;
    return parseQuorumState(bytes.toString('utf8'), this.path);
  }

  async write(state: ElectionState): Promise<void> {
    const json: QuorumStateJson = {
      clusterId: '',
      leaderId: state.leaderId,
      leaderEpoch: state.epoch,
      votedId: state.votedId,
      appliedOffset: 0,
      currentVoters: this.voters.map((voterId) => ({ voterId })),
      data_version: 0,
    };
    const tmp = `${this.path}.tmp`;
    const file = await this.disk.open(tmp, 'overwrite');
    try {
      await file.write([Buffer.from(JSON.stringify(json), 'utf8')], 0);
      if (!this.options.unsafeSkipFsync) await file.sync();
    } finally {
      await file.close();
    }
    await this.disk.rename(tmp, this.path);
    if (!this.options.unsafeSkipFsync) await this.disk.syncDir(this.dir);
  }
}

function intField(o: Record<string, unknown>, name: string, path: string, fallback?: number): number {
  const v = o[name];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new RaftStateError(`${path}: field ${name} is not an integer`);
  return v;
}

export function parseQuorumState(text: string, path: string): ElectionState {
  let o: unknown;
  try {
    o = JSON.parse(text.split('\n')[0] ?? '');
  } catch (err) {
    throw new RaftStateError(`${path} is not JSON`, { cause: err });
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new RaftStateError(`${path} does not hold a JSON object`);
  const rec = o as Record<string, unknown>;
  const version = intField(rec, 'data_version', path);
  if (version < 0 || version > 1) throw new RaftStateError(`${path}: data_version ${version} is not 0 or 1`);
  const epoch = intField(rec, 'leaderEpoch', path, -1);
  const leaderId = intField(rec, 'leaderId', path, NO_LEADER);
  const votedId = intField(rec, 'votedId', path, -1);
  if (epoch < 0 && (leaderId >= 0 || votedId >= 0)) throw new RaftStateError(`${path}: a leader or vote without an epoch`);
  return { epoch: Math.max(epoch, 0), leaderId, votedId };
}
