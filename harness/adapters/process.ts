/**
 * The one wrapper through which probelab runs every external program (docker, kind, kubectl, k6, go,
 * build scripts). The only importer of execa.
 *
 * Contract:
 * - never prompts: stdin is closed unless `input` is given;
 * - every call has a timeout (default 10 minutes) and honours an AbortSignal;
 * - on timeout or abort the whole process group gets SIGTERM, then SIGKILL after `killGraceMs`, so shell
 *   wrappers and their children do not outlive the call;
 * - a non-zero exit, a timeout, an abort or a missing program throws CommandError, whose message starts
 *   with a one-line summary and a command that can be pasted into a shell, followed by the output tail.
 */
import { execa } from 'execa';

export interface RunOptions {
  signal?: AbortSignal;
  /** timeoutMs bounds the call; 0 means no timeout (only for processes that a signal will stop). */
  timeoutMs?: number;
  /** killGraceMs is the time between SIGTERM and SIGKILL (default 5 s). */
  killGraceMs?: number;
  cwd?: string;
  /** env is added to the inherited environment. */
  env?: Record<string, string>;
  input?: string;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** allowExitCodes lists non-zero exit codes that are an answer, not a failure (for example `docker inspect`). */
  allowExitCodes?: readonly number[];
}

export interface RunResult {
  command: string;
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
}

export type FailureReason = 'failed' | 'timeout' | 'canceled' | 'not-found';

export class CommandError extends Error {
  readonly command: string;
  readonly reason: FailureReason;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;

  constructor(fields: Omit<CommandError, keyof Error | 'name'>) {
    super(describeFailure(fields));
    this.name = 'CommandError';
    this.command = fields.command;
    this.reason = fields.reason;
    this.exitCode = fields.exitCode;
    this.signal = fields.signal;
    this.stdout = fields.stdout;
    this.stderr = fields.stderr;
    this.durationMs = fields.durationMs;
  }
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const OUTPUT_TAIL_LINES = 20;

export async function runCommand(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const command = shellQuote([file, ...args]);
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const killGraceMs = options.killGraceMs ?? 5_000;
  if (options.signal?.aborted) {
    throw new CommandError({
      command,
      reason: 'canceled',
      exitCode: undefined,
      signal: undefined,
      stdout: '',
      stderr: '',
      durationMs: 0,
    });
  }

  const subprocess = execa(file, args, {
    reject: false,
    detached: true, // its own process group, so that stopping it stops its children too
    cleanup: true,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: options.env ?? {},
    extendEnv: true,
    stripFinalNewline: false,
  });

  let stopReason: 'timeout' | 'canceled' | undefined;
  let forceKill: NodeJS.Timeout | undefined;
  const stopGroup = (reason: 'timeout' | 'canceled') => {
    if (stopReason || subprocess.pid === undefined) return;
    stopReason = reason;
    signalGroup(subprocess.pid, 'SIGTERM');
    forceKill = setTimeout(() => signalGroup(subprocess.pid as number, 'SIGKILL'), killGraceMs);
  };
  const timer = timeoutMs > 0 ? setTimeout(() => stopGroup('timeout'), timeoutMs) : undefined;
  const onAbort = () => stopGroup('canceled');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.onStdoutLine) splitLines(subprocess.stdout, options.onStdoutLine);
  if (options.onStderrLine) splitLines(subprocess.stderr, options.onStderrLine);

  try {
    const result = await subprocess;
    const durationMs = Math.round(performance.now() - started);
    const stdout = String(result.stdout ?? '');
    const stderr = String(result.stderr ?? '');
    const fields = {
      command,
      stdout,
      stderr,
      durationMs,
      exitCode: result.exitCode,
      signal: result.signal ?? undefined,
    };
    if (stopReason) throw new CommandError({ ...fields, reason: stopReason });
    if (
      (result as { code?: string }).code === 'ENOENT' ||
      /ENOENT/.test(String(result.originalMessage ?? ''))
    ) {
      throw new CommandError({ ...fields, reason: 'not-found' });
    }
    const exitCode = result.exitCode ?? -1;
    if (exitCode !== 0 && !(options.allowExitCodes ?? []).includes(exitCode))
      throw new CommandError({ ...fields, reason: 'failed' });
    return { command, stdout, stderr, exitCode, durationMs };
  } finally {
    if (timer) clearTimeout(timer);
    if (forceKill) clearTimeout(forceKill);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function splitLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  stream.on('data', (chunk: Buffer | string) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => {
    if (pending) onLine(pending);
  });
}

/** shellQuote renders argv so that it can be pasted into a POSIX shell. */
export function shellQuote(argv: readonly string[]): string {
  return argv
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

function describeFailure(f: Omit<CommandError, keyof Error | 'name'>): string {
  const seconds = (f.durationMs / 1000).toFixed(1);
  const summary = {
    failed: `command failed with exit code ${f.exitCode}${f.signal ? ` (${f.signal})` : ''} after ${seconds}s`,
    timeout: `command timed out after ${seconds}s and was stopped`,
    canceled: `command was canceled after ${seconds}s`,
    'not-found': 'command not found; is it installed and on PATH?',
  }[f.reason];
  const tail = (text: string) => text.trimEnd().split('\n').slice(-OUTPUT_TAIL_LINES).join('\n');
  const output = [
    f.stderr.trim() ? `stderr:\n${tail(f.stderr)}` : '',
    f.stdout.trim() ? `stdout:\n${tail(f.stdout)}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  return `${summary}: ${f.command}${output ? `\n${output}` : ''}`;
}
