/**
 * Listeners as Kafka configures them: `listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093`
 * names each listener and its address; `listener.security.protocol.map` gives each name its
 * security protocol (a name that is itself a protocol maps to it); `controller.listener.names`
 * says which listeners are the controller's (the others serve clients); `advertised.listeners`
 * says what brokers tell clients, per name (default: the bound address, loopback for a wildcard).
 *
 * Every protocol is served on client and controller listeners alike: PLAINTEXT, SSL, SASL_PLAINTEXT
 * and SASL_SSL (src/broker/security; the controller listener's clients: security/controller-client.ts).
 */
import { ConfigError } from '../../common/config-def.js';

/** Kafka's SecurityProtocol ids. */
export const SecurityProtocol = { PLAINTEXT: 0, SSL: 1, SASL_PLAINTEXT: 2, SASL_SSL: 3 } as const;
export type SecurityProtocolName = keyof typeof SecurityProtocol;

export interface ListenerSpec {
  /** The listener name, upper case (PLAINTEXT, CONTROLLER, ...). */
  readonly name: string;
  readonly host: string;
  /** 0 picks an ephemeral port. */
  readonly port: number;
  readonly securityProtocol: SecurityProtocolName;
}

/** `NAME:PROTOCOL,...` into a map of upper-case names. */
export function parseSecurityProtocolMap(text: string): Map<string, SecurityProtocolName> {
  const out = new Map<string, SecurityProtocolName>();
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [name, protocol] = part.split(':').map((s) => s.trim().toUpperCase());
    if (!name || !protocol || !(protocol in SecurityProtocol)) throw new ConfigError('listener.security.protocol.map', `Invalid listener.security.protocol.map entry ${JSON.stringify(part)}: expected NAME:PROTOCOL`);
    out.set(name, protocol as SecurityProtocolName);
  }
  return out;
}

/** One `NAME://host:port` (or a bare `host:port`, taken as PLAINTEXT); an empty host means all interfaces. */
function parseEndpoint(configName: string, text: string): { name: string; host: string; port: number } {
  const m = /^(?:([A-Za-z0-9_]+):\/\/)?(\[[^\]]*\]|[^:]*):(\d+)$/.exec(text.trim());
  if (!m) throw new ConfigError(configName, `Invalid listener ${JSON.stringify(text)}: expected NAME://host:port`);
  const host = m[2]!.replace(/^\[|\]$/g, '');
  return { name: (m[1] ?? 'PLAINTEXT').toUpperCase(), host: host === '' ? '0.0.0.0' : host, port: Number(m[3]) };
}

/**
 * Parses `listeners` (or `advertised.listeners`). A name missing from the security protocol map
 * is PLAINTEXT when it names a controller listener (Kafka 4 requires it in the map; Samsa does not
 * make a single-protocol cluster say so) and a config error otherwise.
 */
export function parseListeners(configName: string, text: string, protocols: ReadonlyMap<string, SecurityProtocolName>, controllerNames: readonly string[] = []): ListenerSpec[] {
  const out: ListenerSpec[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const e = parseEndpoint(configName, part);
    if (out.some((l) => l.name === e.name)) throw new ConfigError(configName, `Each listener must have a different name: ${e.name} appears twice in ${configName}`);
    const protocol = protocols.get(e.name) ?? (controllerNames.includes(e.name) ? 'PLAINTEXT' : undefined);
    if (!protocol) throw new ConfigError(configName, `No security protocol defined for listener ${e.name}: add it to listener.security.protocol.map`);
    out.push({ ...e, securityProtocol: protocol });
  }
  return out;
}

/** The address to advertise for a bound listener: as configured, else the bound address (loopback for a wildcard bind; the bound port for port 0). */
export function advertisedAddress(configured: { host: string; port: number } | undefined, bound: { host: string; port: number }): { host: string; port: number } {
  if (configured) return { host: configured.host, port: configured.port === 0 ? bound.port : configured.port };
  const wildcard = bound.host === '0.0.0.0' || bound.host === '::';
  return { host: wildcard ? '127.0.0.1' : bound.host, port: bound.port };
}
