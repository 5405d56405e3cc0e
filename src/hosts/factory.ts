/**
 * The component factory used by local mode and workers: picks the host for each component's
 * implementation kind.
 */
import { existsSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { ComponentError } from '../common/errors.js';
import { packageRoot } from '../common/package-root.js';
import type { Spout } from '../runtime/api.js';
import type { BoltHost } from '../runtime/executors.js';
import type { ComponentFactory, ComponentRequest } from '../runtime/runtime.js';
import { GrpcLauncher, type GrpcTarget } from './grpc/grpc-launcher.js';
import { createJsComponent } from './js-host.js';
import type { LinkLauncher } from './multilang-task/component-link.js';
import { MultilangBolt } from './multilang-task/multilang-bolt.js';
import { MultilangSpout } from './multilang-task/multilang-spout.js';
import { ShellLauncher, type ShellEnvironment } from './shell/shell-launcher.js';

export interface HostFactoryOptions {
  /** The topology file: js modules and shell working directories resolve against its directory. */
  topologyFile?: string;
  /** Run directory for multilang pid files (see pid-dirs.ts); required for shell components. */
  runDir?: { path: string; runId: string };
  /** The environment children inherit (the CLI passes process.env). */
  baseEnv?: Readonly<Record<string, string | undefined>>;
}

/** The directory holding Squall's own Python adapter, put on PYTHONPATH for shell components. */
export const PYTHON_ADAPTER_DIR = join(packageRoot(), 'multilang', 'python');

export function createHostFactory(opts: HostFactoryOptions = {}): ComponentFactory {
  const create = async (req: ComponentRequest): Promise<unknown> => {
    const impl = req.component.impl;
    const where = { topology: req.topology, component: req.component.id, task: req.taskId };
    if (impl === undefined) throw new ComponentError('E_COMPONENT_LOAD', 'system component has no implementation', { context: where });
    switch (impl.kind) {
      case 'js':
        return createJsComponent(req, impl, opts.topologyFile);
      case 'shell':
        return multilangTask(req, new ShellLauncher(req, impl.command, shellEnvironment(req, impl, opts)));
      case 'grpc':
        return multilangTask(req, new GrpcLauncher(req, grpcTarget(req, impl, opts)));
      default:
        throw new ComponentError('E_UNSUPPORTED_COMPONENT', `${(impl as { kind: string }).kind} components are not supported by this build of Squall`, {
          context: where, hint: 'use a js, shell or grpc component',
        });
    }
  };
  return {
    createSpout: async (req) => (await create(req)) as Spout,
    createBolt: async (req) => (await create(req)) as BoltHost,
  };
}

/** Storm's ShellSpout/ShellBolt semantics over whatever link the launcher opens. */
function multilangTask(req: ComponentRequest, launcher: LinkLauncher): MultilangSpout | MultilangBolt {
  return req.component.kind === 'spout' ? new MultilangSpout(req, launcher) : new MultilangBolt(req, launcher);
}

function shellEnvironment(req: ComponentRequest, impl: { cwd?: string; env?: Record<string, string> }, opts: HostFactoryOptions): ShellEnvironment {
  if (!opts.runDir) throw new ComponentError('E_NO_RUN_DIR', 'shell components need a run directory', { context: { component: req.component.id } });
  const env = componentEnv(req, impl.env, opts);
  env.PYTHONPATH = env.PYTHONPATH ? `${PYTHON_ADAPTER_DIR}${delimiter}${env.PYTHONPATH}` : PYTHON_ADAPTER_DIR;
  return { runDir: opts.runDir.path, runId: opts.runDir.runId, cwd: resourcesDir(opts.topologyFile, impl.cwd), env };
}

/**
 * Launched gRPC components get the shell components' environment and working directory, but
 * not Squall's stdio adapter on PYTHONPATH: they use the installed SDK (squall[grpc]).
 */
function grpcTarget(req: ComponentRequest, impl: { command?: string[]; address?: string; cwd?: string; env?: Record<string, string> }, opts: HostFactoryOptions): GrpcTarget {
  if (impl.command && impl.command.length > 0) {
    return { command: impl.command, cwd: resourcesDir(opts.topologyFile, impl.cwd), env: componentEnv(req, impl.env, opts) };
  }
  if (impl.address) return { address: impl.address };
  throw new ComponentError('E_COMPONENT_LOAD', 'a grpc component needs a command or an address', {
    context: { topology: req.topology, component: req.component.id }, hint: 'declare grpc: {command: [...]} or grpc: {address: "host:port"}',
  });
}

/** The inherited environment, then topology.environment, then the component's own env. */
function componentEnv(req: ComponentRequest, own: Record<string, string> | undefined, opts: HostFactoryOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.baseEnv ?? {})) if (v !== undefined) env[k] = v;
  const topologyEnv = req.component.config['topology.environment'];
  if (topologyEnv && typeof topologyEnv === 'object') for (const [k, v] of Object.entries(topologyEnv)) env[k] = String(v);
  Object.assign(env, own ?? {});
  return env;
}

/** As in Storm, children run in the topology's `resources/` directory when it has one. */
export function resourcesDir(topologyFile: string | undefined, explicit?: string): string {
  const dir = topologyFile ? dirname(topologyFile) : process.cwd();
  if (explicit) return resolve(dir, explicit);
  const resources = join(dir, 'resources');
  return existsSync(resources) && statSync(resources).isDirectory() ? resources : dir;
}
