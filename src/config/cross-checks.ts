/**
 * Rules between keys, checked once every value is known to be well-typed. Each rule blames
 * the key the user actually set, so the message points at the line to change.
 */
import type { ConfigProblem } from './config-sources.js';

/** The merged values and where each came from ("default" when not set anywhere). */
export interface Merged {
  value(key: string): unknown;
  where(key: string): string;
  /** The key has a bad value somewhere: rules involving it are skipped, not guessed at. */
  broken(key: string): boolean;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

/** Problems (which stop loading) and warnings found across keys. */
export function crossCheck(m: Merged): { problems: ConfigProblem[]; warnings: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const ok = (...keys: string[]): boolean => keys.every((k) => !m.broken(k));
  const push = (list: ConfigProblem[], key: string, message: string, hint?: string): void => {
    list.push({ where: m.where(key), key, message, ...(hint === undefined ? {} : { hint }) });
  };
  // A timeout no longer than the heartbeat period declares every healthy process dead.
  for (const [period, timeout, who] of [
    ['worker.heartbeat.frequency.secs', 'nimbus.task.timeout.secs', 'Nimbus would reassign every worker'],
    ['worker.heartbeat.frequency.secs', 'supervisor.worker.timeout.secs', 'supervisors would restart every worker'],
    ['supervisor.heartbeat.frequency.secs', 'nimbus.supervisor.timeout.secs', 'Nimbus would drop every supervisor'],
  ] as const) {
    const p = m.value(period) as number;
    const t = m.value(timeout) as number;
    if (ok(period, timeout) && t <= p) {
      const key = blame(m, period, timeout);
      push(problems, key, `"${timeout}" (${t}) must be longer than "${period}" (${p}): ${who} between two heartbeats`, 'a timeout of at least 3 heartbeat periods tolerates a late one');
    }
  }
  // Storm does not check this; Curator only warns, and so do we.
  const session = m.value('storm.zookeeper.session.timeout') as number;
  const connection = m.value('storm.zookeeper.connection.timeout') as number;
  if (ok('storm.zookeeper.session.timeout', 'storm.zookeeper.connection.timeout') && connection > session) {
    push(warnings, blame(m, 'storm.zookeeper.session.timeout', 'storm.zookeeper.connection.timeout'),
      `"storm.zookeeper.connection.timeout" (${connection}) is longer than "storm.zookeeper.session.timeout" (${session})`,
      'Curator (Storm) warns about this too; a session cannot outlive its timeout while connecting');
  }
  checkAddresses(m, ok, (key, message, hint) => push(problems, key, message, hint));
  return { problems, warnings };
}

/** Workers are reached at the advertised address: a wildcard bind needs a real one. */
function checkAddresses(m: Merged, ok: (...keys: string[]) => boolean, problem: (key: string, message: string, hint: string) => void): void {
  const bind = m.value('supervisor.host') as string;
  const advertised = m.value('supervisor.advertised.host') as string | null;
  if (!ok('supervisor.host', 'supervisor.advertised.host')) {
    // Judged once both are valid.
  } else if (advertised !== null && WILDCARDS.has(advertised)) {
    problem('supervisor.advertised.host', `"supervisor.advertised.host" cannot be the wildcard address ${advertised}`, 'use the address other machines reach this one at');
  } else if (advertised === null && WILDCARDS.has(bind)) {
    problem('supervisor.host', `"supervisor.host" binds every address (${bind}) but "supervisor.advertised.host" is not set`, 'set supervisor.advertised.host to the address other machines reach this one at');
  }
  const nimbusPort = m.value('nimbus.grpc.port') as number;
  const slots = m.value('supervisor.slots.ports') as readonly number[];
  if (ok('nimbus.grpc.port', 'supervisor.slots.ports', 'nimbus.host', 'supervisor.host') && slots.includes(nimbusPort) && m.value('nimbus.host') === bind) {
    problem(blame(m, 'nimbus.grpc.port', 'supervisor.slots.ports'), `"supervisor.slots.ports" includes ${nimbusPort}, which is "nimbus.grpc.port" on the same address ${bind}`, 'give workers and Nimbus different ports');
  }
}

/** The second key unless only the first was set explicitly. */
function blame(m: Merged, first: string, second: string): string {
  return m.where(second) === 'default' && m.where(first) !== 'default' ? first : second;
}
