/** The errors for a component process that could not start or that ended (shell and gRPC alike). */
import { ComponentError, type ErrorContext, type SquallError } from '../../common/errors.js';

export function spawnError(command: readonly string[], cwd: string, err: NodeJS.ErrnoException, context: ErrorContext): SquallError {
  const cmd = command.join(' ');
  const missing = err.code === 'ENOENT';
  return new ComponentError(missing ? 'E_COMMAND_NOT_FOUND' : 'E_SUBPROCESS_START', missing ? `command not found: ${command[0]} (running "${cmd}" in ${cwd})` : `cannot start "${cmd}": ${err.message}`, {
    context, cause: err,
    hint: missing ? 'install it or fix the command in the topology (commands run without a shell, from the topology directory)' : undefined,
  });
}

/** `detail` is appended to the message (a stderr tail, the stream's last status). */
export function exitError(code: number | null, signal: string | null, detail: string, context: ErrorContext, hint?: string): SquallError {
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  return new ComponentError('E_SUBPROCESS_EXIT', `subprocess ${how}${detail}`, {
    context: { ...context, exitCode: code, signal }, retriable: true, ...(hint ? { hint } : {}),
  });
}

/**
 * The next step for a gRPC component whose Python could not import Squall's SDK: the commonest
 * first-run mistake, since gRPC components need the SDK installed with its extra.
 */
export function grpcExitHint(stderrTail: string): string | undefined {
  if (!/No module named '(squall|grpc|google)|squall\.grpc needs grpcio/.test(stderrTail)) return undefined;
  return "the Python running this component needs Squall's SDK with its gRPC extra: pip install './multilang/python[grpc]' "
    + '(in this repository: bash scripts/install-python-sdk.sh, then put .cache/grpc/venv/bin first on PATH)';
}

/** The task's error context plus the process id, once there is one. */
export function withPid(where: ErrorContext, pid: number | undefined): ErrorContext {
  return pid === undefined ? { ...where } : { ...where, pid };
}
