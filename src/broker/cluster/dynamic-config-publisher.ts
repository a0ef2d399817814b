/**
 * Run-time broker configs from the metadata image (BROKER ConfigRecords: this node's and the
 * cluster-wide defaults; config/dynamic-broker-configs.ts) applied to a node's config. A node with
 * the broker role applies them through its partition publisher (broker-role.ts); a controller-only
 * node through `controllerConfigPublisher`, as Kafka's ControllerServer runs a DynamicConfigPublisher
 * for BROKER configs: a changed keystore or truststore of the controller listener reloads it (new
 * connections get the new certificate, open ones keep theirs), and the connection quotas apply to
 * the next connection.
 */
import type { Logger } from 'pino';
import type { MetadataImage } from '../../controller/image/metadata-image.js';
import type { MetadataPublisher } from '../../controller/image/metadata-loader.js';
import { ConfigResourceType } from '../../controller/image/image-types.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { dynamicKind } from '../config/dynamic-broker-configs.js';
import type { ListenerTlsSet } from '../security/listener-tls-set.js';

/** Applies the image's run-time broker configs to `config`; the names whose value changed. */
export function applyDynamicBrokerConfigs(config: BrokerConfig, image: MetadataImage, nodeId: number, log: Logger): string[] {
  const changed = config.applyDynamic(image.configs(ConfigResourceType.BROKER, String(nodeId)), image.configs(ConfigResourceType.BROKER, ''), (name, err) =>
    log.warn({ name, err: err.message }, 'ignoring a run-time broker config whose value does not parse'),
  );
  if (changed.length > 0) log.info({ changed }, 'run-time broker configs applied');
  return changed;
}

/** Reloads the listeners' certificates when a keystore or truststore config is among `changed`; a failure is logged and the old certificates kept. */
export function reloadTlsIfChanged(changed: readonly string[], tls: ListenerTlsSet, log: Logger): Promise<void> {
  if (!changed.some((n) => dynamicKind(n) === 'ssl')) return Promise.resolve();
  return tls.reload().catch((err: unknown) => log.error({ err }, 'the listeners could not load the certificates of the new run-time configs; they keep the old ones'));
}

/** The run-time configs of a controller-only node, applied as each commit (or snapshot) brings them. */
export function controllerConfigPublisher(config: BrokerConfig, nodeId: number, tls: ListenerTlsSet, log: Logger): MetadataPublisher {
  let reloads = Promise.resolve();
  return {
    onMetadataUpdate(u) {
      if (!u.fromSnapshot && !u.delta.brokerConfigsChanged) return;
      const changed = applyDynamicBrokerConfigs(config, u.image, nodeId, log);
      // In commit order: a later change's reload never overtakes an earlier one.
      reloads = reloads.then(() => reloadTlsIfChanged(changed, tls, log));
    },
  };
}
