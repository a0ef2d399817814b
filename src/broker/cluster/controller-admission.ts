/**
 * Which connections the controller listener serves, as Kafka's controller decides with the
 * ConnectionQuotas of its own SocketServer: `max.connections` (and the listener's
 * `listener.name.<l>.max.connections`), `max.connections.per.ip` with its overrides, the broker-wide
 * or listener `max.connection.creation.rate`, and the `connection_creation_rate` quotas of IP
 * entities from the metadata log (Kafka's controller runs a ClientQuotaMetadataManager on its
 * socket server's quotas too). The counts are the controller listener's own, apart from the client
 * listeners' (Kafka counts each SocketServer apart); the controller listener is not exempt from the
 * broker-wide limits (Kafka protects only the inter-broker listener of a broker's SocketServer).
 * The decisions are connection-admission.ts's; run-time changes (the `max.connections` ones
 * included) apply to the next connection.
 */
import type { Clock } from '../../common/clock.js';
import type { MetadataPublisher } from '../../controller/image/metadata-loader.js';
import { ClientQuotas } from '../../security/quota/client-quotas.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConnectionAdmission } from '../security/connection-admission.js';
import { quotasOf } from '../security/security-publisher.js';

export interface ControllerAdmission {
  readonly admission: ConnectionAdmission;
  /** Keeps the IP connection-rate quotas equal to the image's. */
  readonly publisher: MetadataPublisher;
}

export function controllerAdmission(config: BrokerConfig, clock: Clock): ControllerAdmission {
  const quotas = new ClientQuotas();
  const admission = new ConnectionAdmission(config, quotas, clock, { samples: config.num('quota.window.num'), windowMs: config.num('quota.window.size.seconds') * 1000 });
  const publisher: MetadataPublisher = {
    onMetadataUpdate(u) {
      if (!u.fromSnapshot && !u.delta.quotasChanged) return;
      const wanted = [...quotasOf(u.image.security)].filter((q) => q.entity.ip !== undefined);
      const key = (q: { entity: { ip?: string | null } }) => String(q.entity.ip);
      const kept = new Set(wanted.map(key));
      for (const { entity } of quotas.entries()) if (!kept.has(key({ entity }))) quotas.set(entity, 'connection_creation_rate', null);
      for (const q of wanted) if (quotas.get(q.entity, q.key) !== q.value) quotas.set(q.entity, q.key, q.value);
    },
  };
  return { admission, publisher };
}
