/**
 * The component factory used by local mode and workers: picks the host for each component's
 * implementation kind.
 */
import { ComponentError } from '../common/errors.js';
import type { Spout } from '../runtime/api.js';
import type { BoltHost } from '../runtime/executors.js';
import type { ComponentFactory, ComponentRequest } from '../runtime/runtime.js';
import { createJsComponent } from './js-host.js';

export interface HostFactoryOptions {
  /** The topology file, for resolving package names in js components. */
  topologyFile?: string;
}

export function createHostFactory(opts: HostFactoryOptions = {}): ComponentFactory {
  const create = async (req: ComponentRequest): Promise<unknown> => {
    const impl = req.component.impl;
    if (impl === undefined) throw new ComponentError('E_COMPONENT_LOAD', 'system component has no implementation');
    switch (impl.kind) {
      case 'js':
        return createJsComponent(req, impl, opts.topologyFile);
      default:
        throw new ComponentError('E_UNSUPPORTED_COMPONENT', `${impl.kind} components are not supported by this build of Squall`, {
          context: { topology: req.topology, component: req.component.id, task: req.taskId },
          hint: 'use a js component',
        });
    }
  };
  return {
    createSpout: async (req) => (await create(req)) as Spout,
    createBolt: async (req) => (await create(req)) as BoltHost,
  };
}
