/** `squall rebalance <name> [-w secs] [-n workers] [-e component=N]`: Storm's rebalance. */
import type { Command } from 'commander';
import { UsageError } from '../common/errors.js';
import type { CliContext } from './context.js';
import { printJson } from './format.js';
import { clientOptions, withClient, type ClientFlags } from './nimbus-connection.js';
import { collect, seconds } from './options.js';

interface RebalanceFlags extends ClientFlags {
  wait?: string;
  numWorkers?: string;
  executors: string[];
}

export function registerRebalance(program: Command, ctx: CliContext): void {
  clientOptions(
    program
      .command('rebalance')
      .description('spread a topology over a new number of workers and/or executors (task ids never change)')
      .argument('<name>', 'topology name')
      .option('-w, --wait <secs>', 'seconds to let in-flight tuples finish first (default: topology.message.timeout.secs)')
      .option('-n, --num-workers <n>', 'new number of workers')
      .option('-e, --executors <component=N>', 'new executor count of a component (repeatable)', collect, []),
  ).action(async (name: string, flags: RebalanceFlags) => {
    const executors = parseExecutors(flags.executors);
    const waitSecs = flags.wait === undefined ? undefined : seconds(flags.wait);
    const numWorkers = flags.numWorkers === undefined ? undefined : positive(flags.numWorkers, '--num-workers');
    const r = await withClient(flags, ctx, (c) => c.rebalance(name, {
      executors, ...(waitSecs === undefined ? {} : { waitSecs }), ...(numWorkers === undefined ? {} : { workers: numWorkers }),
    }));
    if (flags.json) return printJson(ctx, r);
    ctx.stdout(`rebalancing topology "${name}" (${r.topologyId}): ${r.status}`);
  });
}

function parseExecutors(pairs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid -e "${p}"`, { hint: 'use -e component=N' });
    out[p.slice(0, eq)] = positive(p.slice(eq + 1), `-e ${p}`);
  }
  return out;
}

function positive(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what}: "${text}" is not a positive whole number`);
  return n;
}
