/** `squall list`: the topologies on the cluster. */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { formatUptime, printJson, table } from './format.js';
import { clientOptions, withClient, type ClientFlags } from './nimbus-connection.js';

export function registerList(program: Command, ctx: CliContext): void {
  clientOptions(program.command('list').description('list the topologies on the cluster')).action(async (flags: ClientFlags) => {
    const topologies = await withClient(flags, ctx, (c) => c.list());
    if (flags.json) return printJson(ctx, topologies);
    if (topologies.length === 0) return ctx.stdout('no topologies running');
    ctx.stdout(table(['name', 'id', 'status', 'uptime', 'workers', 'executors', 'tasks'],
      topologies.map((t) => [t.name, t.id, t.status, formatUptime(t.uptimeSecs), t.numWorkers, t.numExecutors, t.numTasks])));
  });
}
