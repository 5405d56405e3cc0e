/**
 * Validation of topology and component names before they reach a path, a znode or a command
 * line. Storm's CVE-2021-38294 put a user-supplied name into a bash command; Squall never
 * builds shell strings, and this module is the second wall: a name that reaches the file system
 * or an argv has passed `NAME_PATTERN`. The specific checks before the pattern exist only to
 * say *why* a name was refused.
 */
import { UsageError, type SquallErrorOptions } from '../common/errors.js';
import { NAME_PATTERN } from '../topology/spec.js';

/** What the name names; used in messages. */
export type NameKind = 'topology' | 'component' | 'stream' | 'user';

/** Longest accepted name, in characters; mirrors NAME_PATTERN's `{0,127}` plus the first. */
export const MAX_NAME_LENGTH = 128;

/** Characters a shell gives meaning to; none of them may appear in a name. */
const SHELL_METACHARACTERS = /[\s$`"'\\|&;<>(){}[\]*?!~#%^=,:@+]/u;
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/u;
const PATH_SEPARATORS = /[/\\]/u;

/**
 * Thrown when a name is unsafe or malformed. A user-input error: code `E_INVALID_NAME`,
 * still an instance of {@link UsageError} so a caller treating usage errors as exit 2 does so.
 */
export class InvalidNameError extends UsageError {
  override readonly code: string = 'E_INVALID_NAME';
  readonly kind: NameKind;
  /** The refused value, as given (may contain anything; print it with JSON.stringify). */
  readonly value: unknown;

  constructor(kind: NameKind, value: unknown, reason: string, options: SquallErrorOptions = {}) {
    super(`invalid ${kind} name ${show(value)}: ${reason}`, {
      hint: `use letters, digits, '_', '-' and '.', starting with a letter or digit, at most ${MAX_NAME_LENGTH} characters`,
      ...options,
    });
    this.kind = kind;
    this.value = value;
  }
}

/**
 * Why `value` is not a safe name, or undefined when it is. Pure; never throws.
 * The order matters only for the message: the most specific reason wins.
 */
export function nameProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `expected a string, got ${value === null ? 'null' : typeof value}`;
  if (value.length === 0) return 'it is empty';
  if (value.length > MAX_NAME_LENGTH) return `it is ${value.length} characters long (at most ${MAX_NAME_LENGTH})`;
  if (CONTROL_CHARACTERS.test(value)) return 'it contains a control character';
  if (PATH_SEPARATORS.test(value)) return 'it contains a path separator';
  if (value === '.' || value === '..') return 'it is a relative path component';
  if (value.startsWith('-')) return 'it starts with "-" (it would read as a command-line option)';
  if (SHELL_METACHARACTERS.test(value)) return 'it contains a shell metacharacter or whitespace';
  if (!NAME_PATTERN.test(value)) return 'it must start with a letter or digit and use only letters, digits, "_", "-" and "."';
  return undefined;
}

/** True when `value` can be used verbatim as a path segment and an argv element. */
export function isSafeName(value: unknown): value is string {
  return nameProblem(value) === undefined;
}

/**
 * Returns `value` when it is a safe name.
 * @throws {InvalidNameError} naming the kind of name and the reason.
 */
export function validateName(kind: NameKind, value: unknown): string {
  const problem = nameProblem(value);
  if (problem !== undefined) throw new InvalidNameError(kind, value, problem);
  return value as string;
}

/** Quotes a refused value for a message, escaping control characters and capping its length. */
function show(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  const capped = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return JSON.stringify(capped);
}
