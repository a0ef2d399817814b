/**
 * The TLS contexts of every listener a node serves — its client listeners and its controller
 * listener — as Kafka's DynamicBrokerConfig reaches every listener's channel builder, the
 * controller's socket server included: run-time keystore and truststore configs
 * (`listener.name.<l>.ssl.*`, dynamic-broker-configs.ts) are checked against all of them before
 * they are stored, and reload all of them once the metadata log has them. One node has one set,
 * shared by its broker and its controller, since they share one config.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { ListenerTlsContext } from './listener-tls.js';

/** Broker configs that may be altered at run time (to reload certificates), by their base name. */
const DYNAMIC_SSL_CONFIGS = ['ssl.keystore.location', 'ssl.keystore.type', 'ssl.keystore.password', 'ssl.key.password', 'ssl.keystore.key', 'ssl.keystore.certificate.chain', 'ssl.truststore.location', 'ssl.truststore.type', 'ssl.truststore.password', 'ssl.truststore.certificates'];

export function isDynamicSslConfig(name: string): boolean {
  const base = name.replace(/^listener\.name\.[^.]+\./, '');
  return DYNAMIC_SSL_CONFIGS.includes(base);
}

export class ListenerTlsSet {
  private readonly contexts = new Map<string, ListenerTlsContext>();

  add(context: ListenerTlsContext): void {
    this.contexts.set(context.listenerName, context);
  }

  get size(): number {
    return this.contexts.size;
  }

  has(listenerName: string): boolean {
    return this.contexts.has(listenerName);
  }

  /** Reads every listener's keystore and truststore again (each keeps its old context when its new one does not load; the first failure is thrown). */
  async reload(): Promise<void> {
    await Promise.all([...this.contexts.values()].map((t) => t.reload()));
  }

  /**
   * Checks that the listeners can load their certificates with these run-time keystore and
   * truststore values (Kafka validates a dynamic SSL change on the node before it is stored): the
   * values are tried, the contexts loaded, then everything is put back as it was — the files read
   * again, so that the same file name with new content reloads it, as Kafka's
   * `reloadUpdatedFilesWithoutConfigChange`. Undefined when they load, else INVALID_CONFIG with why.
   */
  async validateChange(config: BrokerConfig, changes: readonly { name: string; value: string | null }[]): Promise<{ errorCode: number; errorMessage: string } | undefined> {
    const ssl = changes.filter((ch) => isDynamicSslConfig(ch.name));
    if (ssl.length === 0 || this.contexts.size === 0) return undefined;
    const previous = ssl.map((ch) => ({ name: ch.name, value: config.dynamicValue(ch.name) ?? null }));
    let error: Error | undefined;
    try {
      for (const ch of ssl) config.setDynamic(ch.name, ch.value);
      for (const t of this.contexts.values()) await t.reload();
    } catch (err) {
      error = err as Error;
    }
    for (const p of previous) config.setDynamic(p.name, p.value);
    await Promise.all([...this.contexts.values()].map((t) => t.reload().catch(() => undefined)));
    return error ? { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Invalid TLS configuration: ${error.message}` } : undefined;
  }
}
