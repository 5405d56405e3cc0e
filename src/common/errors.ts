/**
 * One error hierarchy for all of Squall. Every error carries a stable `code`, says whether
 * retrying can help, and names what failed through typed context fields, so that the CLI can
 * print a one-line cause and a next step instead of a stack trace.
 */

/** Where in the topology (or cluster) an error happened. All fields optional. */
export interface ErrorContext {
  topology?: string;
  component?: string;
  task?: number;
  pid?: number;
  worker?: string;
  file?: string;
  line?: number;
  column?: number;
  exitCode?: number | null;
  signal?: string | null;
}

export interface SquallErrorOptions extends ErrorOptions {
  context?: ErrorContext;
  /** What the user should do next; printed after the message by the CLI. */
  hint?: string;
  retriable?: boolean;
}

/** Base class. Thrown directly only for internal invariants; use a subclass otherwise. */
export class SquallError extends Error {
  readonly code: string;
  readonly context: ErrorContext;
  readonly hint: string | undefined;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: SquallErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = options.context ?? {};
    this.hint = options.hint;
    this.retriable = options.retriable ?? false;
  }
}

/** Thrown when user input (a flag, a config value, a file) is invalid. The CLI exits 2. */
export class UsageError extends SquallError {
  constructor(message: string, options: SquallErrorOptions = {}) {
    super('E_USAGE', message, options);
  }
}

/** Thrown when a configuration value has the wrong type or range. */
export class ConfigError extends SquallError {
  readonly key: string;
  constructor(key: string, message: string, options: SquallErrorOptions = {}) {
    super('E_CONFIG', message, options);
    this.key = key;
  }
}

/** One problem found while validating a topology definition. */
export interface ValidationIssue {
  file: string;
  line: number;
  column: number;
  /** The component the problem belongs to, when there is one. */
  component?: string;
  message: string;
  hint?: string;
}

/** Thrown when a topology definition has one or more problems; carries all of them. */
export class TopologyValidationError extends SquallError {
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[]) {
    const first = issues[0];
    super(
      'E_TOPOLOGY_INVALID',
      `${issues.length} problem${issues.length === 1 ? '' : 's'} in topology${first ? ` ${first.file}` : ''}`,
      { hint: 'fix the problems listed above and run the command again' },
    );
    this.issues = issues;
  }
}

/** Thrown when a user component (spout or bolt) fails: it threw, it could not load, it broke a rule. */
export class ComponentError extends SquallError {
  constructor(code: string, message: string, options: SquallErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Thrown when a lifecycle method is called in a state that does not allow it. */
export class IllegalStateError extends SquallError {
  constructor(message: string, options: SquallErrorOptions = {}) {
    super('E_ILLEGAL_STATE', message, options);
  }
}

/** Formats an error for a terminal: `error: message` plus context and hint; no stack for ours. */
export function describeError(err: unknown): string {
  if (err instanceof TopologyValidationError) {
    return err.issues.map(formatIssue).join('\n') + `\n${err.message}; ${err.hint ?? ''}`.trimEnd();
  }
  if (err instanceof SquallError) {
    const where = formatContext(err.context);
    const lines = [`error: ${err.message}${where ? ` (${where})` : ''}`];
    if (err.cause instanceof Error) lines.push(`  cause: ${err.cause.message}`);
    if (err.hint) lines.push(`  hint: ${err.hint}`);
    return lines.join('\n');
  }
  if (err instanceof Error) return `error: ${err.stack ?? err.message}`;
  return `error: ${String(err)}`;
}

export function formatIssue(issue: ValidationIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  const who = issue.component ? `component "${issue.component}": ` : '';
  return `${where}: error: ${who}${issue.message}` + (issue.hint ? `\n  hint: ${issue.hint}` : '');
}

export function formatContext(ctx: ErrorContext): string {
  const parts: string[] = [];
  if (ctx.file) parts.push(`${ctx.file}${ctx.line ? `:${ctx.line}` : ''}${ctx.column ? `:${ctx.column}` : ''}`);
  if (ctx.topology) parts.push(`topology ${ctx.topology}`);
  if (ctx.component) parts.push(`component ${ctx.component}`);
  if (ctx.task !== undefined) parts.push(`task ${ctx.task}`);
  if (ctx.worker) parts.push(`worker ${ctx.worker}`);
  if (ctx.pid !== undefined) parts.push(`pid ${ctx.pid}`);
  if (ctx.exitCode !== undefined && ctx.exitCode !== null) parts.push(`exit code ${ctx.exitCode}`);
  if (ctx.signal) parts.push(`signal ${ctx.signal}`);
  return parts.join(', ');
}
