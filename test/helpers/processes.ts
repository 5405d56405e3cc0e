/**
 * Child processes for the tests: running a program from the repository root and collecting its
 * output, finding the processes a run left behind (by command line or working directory, from
 * /proc), reading the pid a fixture component recorded, and picking a free loopback port.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ProgramResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunProgramOptions {
  /** The child's whole environment. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** SIGKILLs the child after this long; the result then has signal 'SIGKILL'. */
  timeoutMs: number;
  /** Called once the child is running, with its pid (to signal it, say). */
  onStart?: (pid: number) => void;
}

/** Runs `cmd args` in the repository root and resolves with its exit and output once it closes. */
export function runProgram(cmd: string, args: string[], opts: RunProgramOptions): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (opts.onStart && child.pid !== undefined) opts.onStart(child.pid);
  });
}

/**
 * Live processes whose command line names `path` or whose working directory is under it (not
 * this one): workers name their directory on the command line, component subprocesses run with
 * their working directory in the unpacked package. Zombies are not counted.
 */
export function processesUnder(path: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) continue;
      const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmdline.includes(path) || readlinkSync(`/proc/${p}/cwd`).startsWith(path)) pids.push(Number(p));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids.filter((p) => p !== process.pid);
}

/** SIGKILLs every process under `path` (see processesUnder); one that is already gone is skipped. */
export function killProcessesUnder(path: string): void {
  for (const p of processesUnder(path)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Whether `pid` is running (and not a zombie). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}

/** The pid a fixture component wrote to `<state>/<task>.pid`, once it has. */
export function readPid(state: string, task: number): number | undefined {
  const f = join(state, `${task}.pid`);
  return existsSync(f) ? Number(readFileSync(f, 'utf8')) : undefined;
}

/** A port that was free on `host` a moment ago (listen on 0, read the port, close). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}
