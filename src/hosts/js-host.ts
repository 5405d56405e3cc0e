/**
 * In-process JavaScript components: a topology names a module and an export (a class); each
 * task gets its own instance, constructed with the definition's args.
 */
import { createRequire } from 'node:module';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ComponentError } from '../common/errors.js';
import { didYouMean } from '../common/suggest.js';
import type { ComponentRequest } from '../runtime/runtime.js';

type JsImpl = { kind: 'js'; module: string; export: string; args: unknown[] };

/** Loads the module, finds the export and constructs one instance for the requested task. */
export async function createJsComponent(req: ComponentRequest, impl: JsImpl, base?: string): Promise<unknown> {
  const where = { topology: req.topology, component: req.component.id, task: req.taskId };
  const mod = await importModule(impl.module, base, where);
  const ctor = (mod as Record<string, unknown>)[impl.export];
  if (ctor === undefined) {
    const names = Object.keys(mod as object);
    throw new ComponentError('E_COMPONENT_LOAD', `module "${impl.module}" has no export "${impl.export}"${didYouMean(impl.export, names)}`, {
      context: where, hint: `its exports are: ${names.join(', ') || '(none)'}`,
    });
  }
  if (typeof ctor !== 'function') {
    throw new ComponentError('E_COMPONENT_LOAD', `export "${impl.export}" of "${impl.module}" is not a class (got ${typeof ctor})`, { context: where });
  }
  let instance: unknown;
  try {
    instance = new (ctor as new (...args: unknown[]) => unknown)(...impl.args);
  } catch (err) {
    throw new ComponentError('E_COMPONENT_LOAD', `constructing ${impl.export} failed: ${err instanceof Error ? err.message : String(err)}`, { context: where, cause: err });
  }
  const method = req.component.kind === 'spout' ? 'nextTuple' : 'execute';
  if (typeof (instance as Record<string, unknown>)[method] !== 'function') {
    throw new ComponentError('E_COMPONENT_LOAD', `${impl.export} has no ${method}() method, so it cannot be a ${req.component.kind}`, {
      context: where, hint: req.component.kind === 'spout' ? 'a spout implements nextTuple(), and optionally open/ack/fail/activate/deactivate/close' : 'a bolt implements execute(tuple), and optionally prepare/cleanup',
    });
  }
  return instance;
}

async function importModule(spec: string, base: string | undefined, where: { topology: string; component: string; task: number }): Promise<unknown> {
  let url: string;
  try {
    url = isAbsolute(spec) ? pathToFileURL(spec).href : pathToFileURL(createRequire(base ?? `${process.cwd()}/`).resolve(spec)).href;
  } catch (err) {
    throw new ComponentError('E_COMPONENT_LOAD', `cannot find module "${spec}"`, {
      context: where, cause: err, hint: 'use a path relative to the topology file (./my-bolt.js) or an installed package name',
    });
  }
  try {
    return await import(url);
  } catch (err) {
    throw new ComponentError('E_COMPONENT_LOAD', `cannot load module "${spec}": ${err instanceof Error ? err.message : String(err)}`, {
      context: where, cause: err, hint: 'check that the file exists and is JavaScript (compile TypeScript first)',
    });
  }
}
