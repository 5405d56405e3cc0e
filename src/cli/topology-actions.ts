/** `squall activate <name>` and `squall deactivate <name>`: start or pause a topology's spouts. */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { printJson } from './format.js';
import { clientOptions, withClient, type ClientFlags } from './nimbus-connection.js';

export function registerActivation(program: Command, ctx: CliContext): void {
  for (const action of ['activate', 'deactivate'] as const) {
    clientOptions(
      program
        .command(action)
        .description(action === 'activate' ? "start a topology's spouts" : "pause a topology's spouts (in-flight tuples finish)")
        .argument('<name>', 'topology name'),
    ).action(async (name: string, flags: ClientFlags) => {
      const r = await withClient(flags, ctx, (c) => (action === 'activate' ? c.activate(name) : c.deactivate(name)));
      if (flags.json) return printJson(ctx, r);
      ctx.stdout(`topology "${name}" (${r.topologyId}): ${r.status}`);
    });
  }
}
