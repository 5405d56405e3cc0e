/**
 * What the client commands (submit, list, describe, kill, ...) share: the cluster config
 * (--config, SQUALL_* environment) and a SquallClient on nimbus.seeds or --nimbus.
 */
import type { Command } from 'commander';
import { loadClusterConfig } from '../config/cluster-config.js';
import { SquallClient } from '../sdk/client.js';
import type { CliContext } from './context.js';

export interface ClientFlags {
  config?: string;
  nimbus?: string[];
  json?: boolean;
}

/** Adds --config, --nimbus and --json to a client command. */
export function clientOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'cluster config file (default ./squall.yaml when present)')
    .option('--nimbus <host:port>', 'nimbus to talk to (repeatable; default: nimbus.seeds)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--json', 'print the result as JSON');
}

/** Runs `fn` with a connected client, closing it afterwards. */
export async function withClient<T>(flags: ClientFlags, ctx: CliContext, fn: (client: SquallClient) => Promise<T>): Promise<T> {
  const config = await loadClusterConfig({ ...(flags.config === undefined ? {} : { file: flags.config }), env: ctx.env });
  const nimbus = flags.nimbus && flags.nimbus.length > 0 ? flags.nimbus : [...config.nimbus.addresses];
  await using client = await SquallClient.connect({ nimbus });
  return await fn(client);
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout(JSON.stringify(value, null, 2));
}

/** "1h 2m", "3m 4s", "5s". */
export function formatUptime(secs: number): string {
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = Math.floor(secs % 60);
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}
