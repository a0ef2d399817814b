/**
 * `samsa storage format|random-uuid|info`, as Kafka's kafka-storage.sh: `format` writes
 * meta.properties (cluster id, node id, directory id) into every log directory and, on a
 * controller, the bootstrap records of a new cluster; `random-uuid` prints a cluster id; `info`
 * shows what the directories hold. Formatting is optional: a node formats itself at its first
 * start (a standalone node with a random cluster id, a cluster's nodes with one derived from
 * `controller.quorum.voters`); `format -t` fixes the id beforehand, as Kafka requires.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { systemRandom } from '../../common/random.js';
import { newUuid } from '../../common/uuid.js';
import { nodeDisk } from '../../storage/node-disk.js';
import { keyValue } from '../common.js';

interface StorageOptions {
  config?: string;
  override: Record<string, string>;
}

/** The node's config as `samsa broker --config F -o k=v` would read it. */
async function nodeConfig(opts: StorageOptions) {
  const { BrokerConfig, unknownConfigWarning } = await import('../../broker/config/broker-config.js');
  const { parseProperties } = await import('../../common/config-def.js');
  const props = new Map<string, string>(opts.config ? parseProperties(await readFile(opts.config, 'utf8')) : []);
  for (const [k, v] of Object.entries(opts.override)) props.set(k, v);
  const config = new BrokerConfig(props);
  for (const name of config.unknown) process.stderr.write(`${unknownConfigWarning(name)}\n`);
  const { kraftSettings } = await import('../../broker/cluster/kraft-settings.js');
  return { config, settings: kraftSettings(config) };
}

export function registerStorageCommand(program: Command): void {
  const storage = program.command('storage').description("format a node's log directories, as kafka-storage.sh");
  const withConfig = (cmd: Command) =>
    cmd.option('-c, --config <file>', 'the node\'s server.properties').option('-o, --override <key=value>', 'a config by its Kafka name (repeatable)', keyValue, {});

  withConfig(storage.command('format').description('write meta.properties (and a controller\'s bootstrap records) into the log directories'))
    .option('-t, --cluster-id <id>', 'the cluster id (default: derived from controller.quorum.voters, or random for a standalone node)')
    .option('-g, --ignore-formatted', 'leave directories formatted already as they are')
    .option('-s, --standalone', 'a quorum of this controller alone (Kafka 4\'s quick start, with controller.quorum.bootstrap.servers naming this node)')
    .action(async (opts: StorageOptions & { clusterId?: string; ignoreFormatted?: boolean; standalone?: boolean }) => {
      const { config, settings } = await nodeConfig(opts);
      if (opts.standalone && !(settings.isController && settings.voters.length === 1 && settings.voters[0]!.id === settings.nodeId)) {
        throw new Error('--standalone formats a quorum of this controller alone: its controller.quorum.bootstrap.servers (or controller.quorum.voters) must name only this node');
      }
      const { formatStorage } = await import('../../broker/cluster/node-storage.js');
      const r = await formatStorage(nodeDisk, systemRandom, config, settings, { explicit: true, ignoreFormatted: opts.ignoreFormatted === true, ...(opts.clusterId ? { clusterId: opts.clusterId } : {}) });
      for (const d of r.formatted) process.stdout.write(`Formatting ${d} with cluster.id ${r.clusterId} and node.id ${settings.nodeId}\n`);
      for (const d of r.alreadyFormatted) process.stdout.write(`${d} is formatted already (cluster.id ${r.clusterId})\n`);
      if (r.migratedTopics > 0) process.stdout.write(`migrated ${r.migratedTopics} topic(s) from __samsa_metadata/cluster-metadata.json into the bootstrap records\n`);
    });

  storage
    .command('random-uuid')
    .description('print a new cluster id')
    .action(() => void process.stdout.write(`${newUuid(systemRandom)}\n`));

  withConfig(storage.command('info').description("what the node's log directories hold: cluster id, node id, directory ids"))
    .action(async (opts: StorageOptions) => {
      const { config, settings } = await nodeConfig(opts);
      const { nodeDirectories } = await import('../../broker/cluster/node-storage.js');
      const { readMetaProperties } = await import('../../broker/cluster/meta-properties.js');
      for (const dir of nodeDirectories(config, settings)) {
        const m = await readMetaProperties(nodeDisk, resolve(dir));
        process.stdout.write(m ? `${dir}: cluster.id ${m.clusterId}, node.id ${m.nodeId}, directory.id ${m.directoryId}\n` : `${dir}: not formatted\n`);
      }
    });
}
