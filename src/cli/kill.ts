/** `squall kill <name> [-w secs]`: deactivate, wait, then remove the topology (Storm's kill). */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { printJson } from './format.js';
import { clientOptions, withClient, type ClientFlags } from './nimbus-connection.js';
import { seconds } from './options.js';

interface KillFlags extends ClientFlags {
  wait?: string;
  noWait?: boolean;
  waitRemoval: boolean;
}

export function registerKill(program: Command, ctx: CliContext): void {
  clientOptions(
    program
      .command('kill')
      .description('kill a topology: its spouts stop, in-flight tuples get the wait to finish, then its workers are removed')
      .argument('<name>', 'topology name')
      .option('-w, --wait <secs>', 'seconds between deactivation and removal (default: topology.message.timeout.secs)')
      .option('--no-wait-removal', 'return once the kill is scheduled instead of when the topology is gone'),
  ).action(async (name: string, flags: KillFlags) => {
    const waitSecs = flags.wait === undefined ? undefined : seconds(flags.wait);
    const result = await withClient(flags, ctx, (c) => c.kill(name, { ...(waitSecs === undefined ? {} : { waitSecs }), waitForRemoval: flags.waitRemoval }));
    if (flags.json) return printJson(ctx, result);
    ctx.stdout(result.removed ? `killed topology "${name}" (${result.topologyId}): removed` : `killing topology "${name}" (${result.topologyId}): ${result.status}`);
  });
}
