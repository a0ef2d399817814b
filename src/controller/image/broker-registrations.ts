/** Brokers as records describe them (Kafka's BrokerRegistration built from RegisterBrokerRecord and changed by the fence records). */
import type { RegisterBrokerRecord } from '../../protocol/metadata/index.js';
import type { BrokerRegistration } from './image-types.js';

export function registrationFromRecord(r: RegisterBrokerRecord): BrokerRegistration {
  return {
    id: r.brokerId,
    epoch: r.brokerEpoch,
    incarnationId: r.incarnationId,
    endpoints: r.endPoints.map(({ name, host, port, securityProtocol }) => ({ name, host, port, securityProtocol })),
    features: r.features.map(({ name, minSupportedVersion, maxSupportedVersion }) => ({ name, minSupportedVersion, maxSupportedVersion })),
    rack: r.rack,
    fenced: r.fenced,
    inControlledShutdown: r.inControlledShutdown,
    logDirs: r.logDirs,
  };
}

/**
 * A BrokerRegistrationChangeRecord's change (also what Fence/UnfenceBrokerRecord mean): `fenced`
 * 1 fences, -1 unfences, 0 leaves it; `inControlledShutdown` 1 marks it (only a new registration
 * clears it, as in Kafka).
 */
export function withRegistrationChange(b: BrokerRegistration, c: { fenced: number; inControlledShutdown: number; logDirs?: readonly string[] }): BrokerRegistration {
  const fenced = c.fenced === 1 ? true : c.fenced === -1 ? false : b.fenced;
  return {
    ...b,
    fenced,
    inControlledShutdown: c.inControlledShutdown === 1 ? true : b.inControlledShutdown,
    logDirs: c.logDirs && c.logDirs.length > 0 ? c.logDirs : b.logDirs,
  };
}
