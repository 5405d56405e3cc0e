/** `squall describe <name>`: status, workers, per-component stats and last errors. */
import type { Command } from 'commander';
import type { TopologyDetails } from '../rpc/index.js';
import type { CliContext } from './context.js';
import { formatUptime, printJson, table } from './format.js';
import { clientOptions, withClient, type ClientFlags } from './nimbus-connection.js';

export function registerDescribe(program: Command, ctx: CliContext): void {
  clientOptions(program.command('describe').description('show a topology: status, workers, statistics, errors').argument('<name>', 'topology name'))
    .action(async (name: string, flags: ClientFlags) => {
      const d = await withClient(flags, ctx, (c) => c.describe(name));
      if (flags.json) return printJson(ctx, d);
      ctx.stdout(render(d));
    });
}

function render(d: TopologyDetails): string {
  const out = [`topology "${d.name}" (${d.id}): ${d.status}, up ${formatUptime(d.uptimeSecs)}${d.scheduleMessage ? ` — ${d.scheduleMessage}` : ''}`, ''];
  out.push(table(['worker', 'supervisor', 'uptime', 'executors', 'tasks'],
    d.workers.map((w) => [`${w.host}:${w.port}`, w.supervisorId, formatUptime(w.uptimeSecs), w.numExecutors, w.numTasks])), '');
  out.push(table(['component', 'kind', 'emitted', 'transferred', 'executed', 'acked', 'failed', 'errors'],
    d.components.map((c) => [c.id, c.kind, c.emitted, c.transferred, c.executed, c.acked, c.failed, c.errorsCount])));
  const errors = d.components.flatMap((c) => c.lastErrors.map((e) => ({ component: c.id, ...e })));
  if (errors.length > 0) {
    out.push('', 'last errors:');
    for (const e of errors.slice(0, 10)) out.push(`  ${new Date(e.timeMs).toISOString()} ${e.component} task ${e.task}: ${e.message}`);
  }
  return out.join('\n');
}
