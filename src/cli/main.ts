#!/usr/bin/env node
/**
 * The `squall` command. The only place that touches process signals, exit codes and the
 * environment: subcommands receive them through a CliContext.
 */
import { Command, CommanderError } from 'commander';
import { SquallError, describeError } from '../common/errors.js';
import type { CliContext } from './context.js';
import { squallVersion } from './daemon-support.js';
import { registerDevZooKeeper } from './dev-zookeeper.js';
import { registerRun } from './run.js';
import { registerSubmit } from './submit.js';
import { registerList } from './list.js';
import { registerDescribe } from './describe.js';
import { registerKill } from './kill.js';
import { registerActivation } from './topology-actions.js';
import { registerRebalance } from './rebalance.js';
import { registerNimbus } from './nimbus.js';
import { registerSupervisor } from './supervisor.js';
import { registerWorker } from './worker.js';
import { registerDevCluster } from './dev-cluster.js';

const EXIT_INVALID_INPUT = 2;
const USER_INPUT_CODES = new Set(['E_USAGE', 'E_CONFIG', 'E_TOPOLOGY_INVALID', 'E_COMPONENT_LOAD', 'E_UNSUPPORTED_COMPONENT', 'E_COMMAND_NOT_FOUND',
  'E_INVALID_NAME', 'E_TOPOLOGY_NOT_FOUND', 'E_TOPOLOGY_EXISTS', 'E_PACKAGE_REJECTED', 'E_INVALID_TRANSITION']);

async function main(argv: string[]): Promise<number> {
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\n${sig} received: stopping (again to force)\n`);
      abort.abort(new Error(sig));
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const ctx: CliContext = { env: process.env, signal: abort.signal, stdout: (t) => process.stdout.write(`${t}\n`) };
  const program = new Command('squall')
    .description('Squall: a Storm-compatible stream processor for Node.js; runs multilang and JS spouts and bolts')
    .version(squallVersion())
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError('(run squall --help for usage)');
  registerRun(program, ctx);
  registerDevZooKeeper(program, ctx);
  registerSubmit(program, ctx);
  registerList(program, ctx);
  registerDescribe(program, ctx);
  registerKill(program, ctx);
  registerActivation(program, ctx);
  registerRebalance(program, ctx);
  registerNimbus(program, ctx);
  registerSupervisor(program, ctx);
  registerWorker(program, ctx);
  registerDevCluster(program, ctx);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    return report(err);
  }
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return EXIT_INVALID_INPUT;
  }
  process.stderr.write(`${describeError(err)}\n`);
  return err instanceof SquallError && USER_INPUT_CODES.has(err.code) ? EXIT_INVALID_INPUT : 1;
}

process.exitCode = await main(process.argv);
