/**
 * What a connection knows of its peer: the listener it came in on and that listener's security
 * protocol, the client's address, and who the client is (its principal) once the TLS and SASL
 * handshakes are done, as Kafka's KafkaChannel does. A PLAINTEXT connection is `User:ANONYMOUS`
 * from the start; a TLS one is named by its certificate (or ANONYMOUS without one); a SASL one is
 * unauthenticated until its login succeeds.
 */
import type { X509Certificate } from 'node:crypto';

export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

export interface ChannelInfo {
  /** The listener's name (PLAINTEXT, SASL_SSL, or a custom name from `listeners`). */
  readonly listenerName: string;
  readonly securityProtocol: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  /** The client's IP address (IPv4-mapped IPv6 addresses as plain IPv4). */
  readonly clientHost: string;
  /** `User:alice`; `User:ANONYMOUS` before (or without) authentication. */
  principal: string;
  /** Whether the connection may be served requests (TLS and SASL handshakes done). */
  authenticated: boolean;
  /** The client's TLS certificate, when it presented one. */
  peerCertificate: X509Certificate | undefined;
  /** When the SASL session ends (KIP-368), ms since the epoch; undefined when it does not. */
  sessionExpiresAtMs: number | undefined;
}

/** Kafka writes client addresses without the IPv4-mapped prefix. */
export function clientHostOf(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
