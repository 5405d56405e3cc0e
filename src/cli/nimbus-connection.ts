/**
 * What the client commands (submit, list, describe, kill, ...) share: the cluster config
 * (--config, SQUALL_* environment) and a SquallClient on nimbus.seeds or --nimbus.
 */
import type { Command } from 'commander';
import { loadClusterConfig } from '../config/cluster-config.js';
import { SquallClient } from '../sdk/client.js';
import type { CliContext } from './context.js';
import { collect } from './options.js';

export interface ClientFlags {
  config?: string;
  nimbus?: string[];
  json?: boolean;
}

/** Adds --config, --nimbus and --json to a client command. */
export function clientOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'cluster config file (default ./squall.yaml when present)')
    .option('--nimbus <host:port>', 'nimbus to talk to (repeatable; default: nimbus.seeds)', collect)
    .option('--json', 'print the result as JSON');
}

/** Runs `fn` with a connected client, closing it afterwards. */
export async function withClient<T>(flags: ClientFlags, ctx: CliContext, fn: (client: SquallClient) => Promise<T>): Promise<T> {
  const config = await loadClusterConfig({ file: flags.config, env: ctx.env });
  const nimbus = flags.nimbus && flags.nimbus.length > 0 ? flags.nimbus : [...config.nimbus.addresses];
  await using client = await SquallClient.connect({ nimbus });
  return await fn(client);
}
