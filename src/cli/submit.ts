/** `squall submit <dir|topology file>`: package the topology's directory and submit it. */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../common/errors.js';
import { loadTopologyFile } from '../local/load-topology.js';
import { createPackage } from '../packages/create-package.js';
import { validateName } from '../packages/names.js';
import { parseConfigOverrides } from '../topology/overrides.js';
import type { CliContext } from './context.js';
import { pythonOptions } from './run.js';
import { clientOptions, printJson, withNimbus, type ClientFlags } from './nimbus-connection.js';

interface SubmitFlags extends ClientFlags {
  name?: string;
  class?: string;
  config?: string;
  conf: string[];
  inactive?: boolean;
}

const DEFINITION_NAMES = ['topology.yaml', 'topology.yml', 'topology.json', 'topology.py'];

export function registerSubmit(program: Command, ctx: CliContext): void {
  clientOptions(
    program
      .command('submit')
      .description('package a topology directory and submit it to the cluster')
      .argument('<topology>', 'a topology file (YAML, JSON, Flux or topology.py), or a directory holding one')
      .option('--name <name>', 'topology name (default: the name in the file)')
      .option('-c, --conf <key=value>', 'override a topology config value (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
      .option('--inactive', 'submit with the spouts deactivated')
      .option('--class <name>', 'Python topology: the Topology subclass, when the file defines several'),
  ).action(async (target: string, flags: SubmitFlags) => submit(target, flags, ctx));
}

async function submit(target: string, flags: SubmitFlags, ctx: CliContext): Promise<void> {
  const { dir, file } = locate(target);
  const overrides = parseConfigOverrides(flags.conf);
  if (overrides.issues.length > 0) throw new UsageError(overrides.issues.join('\n'), { hint: 'use -c key=value with a Storm config key' });
  // Validate here first: the user gets file:line:column errors before anything is uploaded.
  const path = join(dir, file);
  const loaded = await loadTopologyFile(path, overrides.config, ctx.env, { python: pythonOptions(path, flags.class, ctx) });
  const name = validateName('topology', flags.name ?? loaded.plan.name);
  // The cluster gets a Python topology's spec, generated here: it never runs the user's Python to learn it.
  const generated = loaded.generated === undefined ? undefined : { path: generatedSpecName(file), content: loaded.generated };
  const bytes = await createPackage(dir, generated ? { extraFiles: [generated] } : {});
  const topologyFile = generated?.path ?? file;
  const result = await withNimbus(flags, ctx, async (client) => {
    const uploaded = await client.uploadPackage(bytes, { name });
    return client.submit({ name, packageId: uploaded.packageId, topologyFile, configOverrides: overrides.config, startInactive: flags.inactive === true });
  });
  if (flags.json) printJson(ctx, { name, topologyId: result.topologyId, packageBytes: bytes.length });
  else ctx.stdout(`submitted topology "${name}" as ${result.topologyId} (package ${bytes.length.toLocaleString('en-US')} bytes from ${dir})`);
}

/** The package entry holding the spec generated from a Python topology file: beside it, so paths resolve alike. */
export function generatedSpecName(pythonFile: string): string {
  return `${pythonFile}.json`;
}

/** The package root and the definition's path inside it. */
function locate(target: string): { dir: string; file: string } {
  const abs = resolve(target);
  if (!existsSync(abs)) throw new UsageError(`no such file or directory: ${target}`);
  if (!statSync(abs).isDirectory()) return { dir: dirname(abs), file: basename(abs) };
  const file = DEFINITION_NAMES.find((n) => existsSync(join(abs, n)));
  if (!file) throw new UsageError(`${target} has no ${DEFINITION_NAMES.join(' / ')}`, { hint: 'name the topology file instead of the directory' });
  return { dir: abs, file };
}
