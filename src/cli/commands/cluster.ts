/**
 * `samsa cluster describe`: the brokers (registered ones, fenced or not, with their racks), the
 * controllers of the metadata quorum and which one is active, and the cluster id.
 */
import type { Command } from 'commander';
import { type CommonOptions, withClient, withCommonOptions } from '../common.js';

export function registerClusterCommand(program: Command): void {
  const cluster = program.command('cluster').description('describe the cluster: brokers, controllers, the active controller');
  withCommonOptions(cluster.command('describe').description('brokers (fenced or not, rack), controllers and the active one'))
    .action(async (opts: CommonOptions) =>
      withClient(opts, async (client, out) => {
        const c = await client.admin().describeClusterNodes();
        const state = (fenced: boolean | null) => (fenced === null ? 'unknown' : fenced ? 'fenced' : 'unfenced');
        if (out.json) return out.result('', c);
        out.line(`cluster ${c.clusterId ?? '-'}  active controller ${c.activeControllerId >= 0 ? c.activeControllerId : '-'}`);
        out.table(['broker', 'host', 'port', 'rack', 'state'], c.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack, state(b.fenced)]));
        if (c.controllers.length > 0) {
          out.table(['controller', 'host', 'port', 'active'], c.controllers.map((n) => [n.nodeId, n.host, n.port, n.nodeId === c.activeControllerId ? 'yes' : '']));
        }
      }),
    );
}
