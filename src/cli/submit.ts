/** `squall submit <dir|topology file>`: package the topology's directory and submit it (SquallClient.submit). */
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../common/errors.js';
import { locateTopology } from '../sdk/locate-topology.js';
import { parseConfigOverrides } from '../topology/overrides.js';
import type { CliContext } from './context.js';
import { pythonOptions } from './run.js';
import { printJson } from './format.js';
import { clientOptions, withClient, type ClientFlags } from './nimbus-connection.js';
import { collect } from './options.js';

interface SubmitFlags extends ClientFlags {
  name?: string;
  class?: string;
  config?: string;
  conf: string[];
  inactive?: boolean;
}

export function registerSubmit(program: Command, ctx: CliContext): void {
  clientOptions(
    program
      .command('submit')
      .description('package a topology directory and submit it to the cluster')
      .argument('<topology>', 'a topology file (YAML, JSON, Flux or topology.py), or a directory holding one')
      .option('--name <name>', 'topology name (default: the name in the file)')
      .option('-c, --conf <key=value>', 'override a topology config value (repeatable)', collect, [])
      .option('--inactive', 'submit with the spouts deactivated')
      .option('--class <name>', 'Python topology: the Topology subclass, when the file defines several'),
  ).action(async (target: string, flags: SubmitFlags) => submit(target, flags, ctx));
}

async function submit(target: string, flags: SubmitFlags, ctx: CliContext): Promise<void> {
  // Located here as well as in submit() only so that --class is checked against the file a directory holds.
  const { dir, file } = locateTopology(target);
  const definition = join(dir, file);
  const overrides = parseConfigOverrides(flags.conf);
  if (overrides.issues.length > 0) throw new UsageError(overrides.issues.join('\n'), { hint: 'use -c key=value with a Storm config key' });
  const options = {
    config: overrides.config, inactive: flags.inactive === true, env: ctx.env, python: pythonOptions(definition, flags.class, ctx),
    ...(flags.name === undefined ? {} : { name: flags.name }),
  };
  const result = await withClient(flags, ctx, (client) => client.submit(definition, options));
  if (flags.json) printJson(ctx, { name: result.name, topologyId: result.topologyId, packageBytes: result.packageBytes });
  else ctx.stdout(`submitted topology "${result.name}" as ${result.topologyId} (package ${result.packageBytes.toLocaleString('en-US')} bytes from ${result.dir})`);
}
