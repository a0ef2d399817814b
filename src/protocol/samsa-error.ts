/**
 * Samsa's own errors: each class has a stable string `code` that callers can switch on and an
 * optional `cause` (the pattern undici uses). Kafka protocol errors travel as numeric error codes
 * in responses instead; see `error-codes.ts`.
 */
export class SamsaError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bytes that do not decode: truncated, a negative or oversized length, an invalid varint. */
export class DecodeError extends SamsaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SAMSA_DECODE', message, options);
  }
}

/** A value that cannot be written in the requested version (Kafka's UnsupportedVersionException). */
export class EncodeError extends SamsaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SAMSA_ENCODE', message, options);
  }
}
