/** The Raft core's own errors, with stable codes (DESIGN.md: Samsa's errors are classes with a `code`). */
import { SamsaError } from '../../protocol/samsa-error.js';

export class QuorumConfigError extends SamsaError {
  constructor(message: string) {
    super('SAMSA_QUORUM_CONFIG', message);
  }
}

/** `append` on a node that is not the leader (of the given epoch): Kafka's NotLeaderException. */
export class NotLeaderError extends SamsaError {
  constructor(
    message: string,
    /** The leader this node knows of, -1 when none. */
    readonly leaderId: number,
    readonly epoch: number,
  ) {
    super('SAMSA_NOT_LEADER', message);
  }
}

/** Stored Raft state that cannot be read or contradicts itself (a corrupt quorum-state, a gap in the log). */
export class RaftStateError extends SamsaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SAMSA_RAFT_STATE', message, options);
  }
}

/** The client was closed or stopped on a fatal error; no more operations. */
export class RaftClosedError extends SamsaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SAMSA_RAFT_CLOSED', message, options);
  }
}
