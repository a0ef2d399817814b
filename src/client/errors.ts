/**
 * Errors the client throws. A broker's answer with an error code becomes a KafkaProtocolError
 * carrying Kafka's name for it and whether a retry may succeed; everything else is a
 * SamsaClientError with a stable string `code` (as undici does) and the `cause` when there is one.
 */
import { errorInfo } from '../protocol/error-codes.js';

export class SamsaClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SamsaClientError';
  }

  /** Whether the operation may succeed if tried again (a lost connection, a timeout). */
  get retriable(): boolean {
    return this.code === 'SAMSA_CONNECTION' || this.code === 'SAMSA_REQUEST_TIMEOUT';
  }
}

/** A Kafka error code answered by a broker, e.g. UNKNOWN_TOPIC_OR_PARTITION (3). */
export class KafkaProtocolError extends Error {
  /** Kafka's name for the code, e.g. `TOPIC_ALREADY_EXISTS`. */
  readonly type: string;
  readonly retriable: boolean;

  constructor(
    readonly errorCode: number,
    detail?: string | null,
  ) {
    const info = errorInfo(errorCode);
    const type = info?.name ?? `UNKNOWN_ERROR_CODE_${errorCode}`;
    super(detail ? `${type}: ${detail}` : type);
    this.name = 'KafkaProtocolError';
    this.type = type;
    this.retriable = info?.retriable ?? false;
  }
}

/** Throws a KafkaProtocolError unless `errorCode` is 0. */
export function throwIfError(errorCode: number, detail?: string | null): void {
  if (errorCode !== 0) throw new KafkaProtocolError(errorCode, detail);
}

export function isRetriable(err: unknown): boolean {
  return (err instanceof KafkaProtocolError || err instanceof SamsaClientError) && err.retriable;
}

/**
 * The producer was fenced: another producer with the same transactional id initialized after it
 * (its epoch is newer), or its transaction timed out and the coordinator bumped the epoch. Fatal:
 * the producer cannot be used again; close it (a new one with the same id takes over).
 */
export class ProducerFencedError extends SamsaClientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SAMSA_PRODUCER_FENCED', message, options);
    this.name = 'ProducerFencedError';
  }
}
