/**
 * Every znode path Squall uses, in one place (Storm's ClusterUtils), under a configurable root
 * (default "/squall", Storm's storm.zookeeper.root is "/storm"). The layout mirrors STORM-
 * REFERENCE §1.2 with Squall names:
 *
 * | Squall                                   | Storm                        | mode                 |
 * |------------------------------------------|------------------------------|----------------------|
 * | nimbuses/<nimbus-id>                     | nimbuses/<host:port>         | ephemeral            |
 * | leader-lock/c-<uuid>-<seq>               | leader-lock/…                | ephemeral-sequential |
 * | leader-info                              | leader-info                  | persistent (fencing) |
 * | supervisors/<supervisor-id>              | supervisors/<id>             | ephemeral            |
 * | topologies/<topology-id>                 | storms/<topo-id>             | persistent           |
 * | assignments/<topology-id>                | assignments/<topo-id>        | persistent           |
 * | errors/<topology-id>/<component>/e<seq>  | errors/<topo-id>/<comp>/e<seq> | persistent-sequential |
 * | packages/<package-id>/<nimbus-id>        | blobstore/<key>/<nimbus>-<seq> | ephemeral          |
 *
 * Every name that goes into a path is checked against NAME_PATTERN (system component ids such
 * as "__acker" are allowed where components appear), so no input can escape its directory.
 */
import { isSystemId, NAME_PATTERN } from '../topology/spec.js';
import { InvalidPathError } from './errors.js';
import { childPath, validatePath } from './state-store.js';

/** Squall's storm.zookeeper.root. */
export const DEFAULT_ROOT = '/squall';

/** What a name in a path stands for; used in error messages. */
export type NameKind = 'nimbus id' | 'supervisor id' | 'topology id' | 'component id';

/**
 * Checks a name used as one path segment. @throws InvalidPathError
 */
export function checkName(kind: NameKind, name: string, opts: { allowSystem?: boolean } = {}): string {
  const core = opts.allowSystem && isSystemId(name) ? name.slice(2) : name;
  if (!NAME_PATTERN.test(core) || core.includes('..')) {
    throw new InvalidPathError(
      `invalid ${kind} "${name}": use letters, digits, "_", "-" and "." (no "/" or ".."), starting with a letter or digit, at most 128 long`,
    );
  }
  return name;
}

/** The paths of one Squall cluster. */
export class ClusterPaths {
  readonly root: string;
  readonly nimbuses: string;
  readonly leaderLock: string;
  readonly leaderInfo: string;
  readonly supervisors: string;
  readonly topologies: string;
  readonly assignments: string;
  readonly errors: string;
  readonly packages: string;

  constructor(root: string = DEFAULT_ROOT) {
    this.root = validatePath(root);
    this.nimbuses = this.under('nimbuses');
    this.leaderLock = this.under('leader-lock');
    this.leaderInfo = this.under('leader-info');
    this.supervisors = this.under('supervisors');
    this.topologies = this.under('topologies');
    this.assignments = this.under('assignments');
    this.errors = this.under('errors');
    this.packages = this.under('packages');
  }

  /** The persistent directories created at startup (leader-info is a node, created separately). */
  directories(): string[] {
    return [this.nimbuses, this.leaderLock, this.supervisors, this.topologies, this.assignments, this.errors, this.packages];
  }

  nimbus(nimbusId: string): string {
    return childPath(this.nimbuses, checkName('nimbus id', nimbusId));
  }

  supervisor(supervisorId: string): string {
    return childPath(this.supervisors, checkName('supervisor id', supervisorId));
  }

  topology(topologyId: string): string {
    return childPath(this.topologies, checkName('topology id', topologyId));
  }

  assignment(topologyId: string): string {
    return childPath(this.assignments, checkName('topology id', topologyId));
  }

  topologyErrors(topologyId: string): string {
    return childPath(this.errors, checkName('topology id', topologyId));
  }

  componentErrors(topologyId: string, componentId: string): string {
    return childPath(this.topologyErrors(topologyId), checkName('component id', componentId, { allowSystem: true }));
  }

  /** Prefix of a new error node; ZooKeeper appends the 10-digit sequence. */
  errorPrefix(topologyId: string, componentId: string): string {
    return childPath(this.componentErrors(topologyId, componentId), 'e');
  }

  packageReplicas(topologyId: string): string {
    return childPath(this.packages, checkName('topology id', topologyId));
  }

  packageReplica(topologyId: string, nimbusId: string): string {
    return childPath(this.packageReplicas(topologyId), checkName('nimbus id', nimbusId));
  }

  /** Prefix of an election candidate; the uuid finds our node again after a connection loss. */
  candidatePrefix(uuid: string): string {
    return childPath(this.leaderLock, `c-${uuid}-`);
  }

  private under(name: string): string {
    return childPath(this.root, name);
  }
}
