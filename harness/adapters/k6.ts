/**
 * Running k6: one load run of scenarios/k6/stepped-load.ts with a plan (harness/core/load/plan.ts), its
 * metric samples turned into series (harness/core/load/series.ts) while it runs.
 *
 * Files, all in outDir: k6-plan.json (the plan), k6-points.ndjson (k6 --out json), k6-summary.json (the
 * script's handleSummary), k6.log (the command line, then k6's stdout and stderr lines as they come).
 *
 * The points file is tailed while k6 writes it (k6 appends whole lines every 200 ms), so live() and
 * series() answer during the run, and an aborted run keeps everything k6 wrote before it stopped. The
 * alternative, parsing the file once at the end, would give no progress and nothing when the harness
 * itself is stopped mid-run; the file stays on disk either way, so a run can be re-read later.
 *
 * Stopping: k6 runs through runCommand with no timeout and the caller's signal. On abort the wrapper sends
 * SIGTERM to k6's process group; k6 (v2) stops the test at once, still runs handleSummary and flushes its
 * outputs, and exits with code 105. If it has not exited after killGraceMs, SIGKILL follows.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as delay } from 'node:timers/promises';
import { K6_ENV, k6Args, type K6Files, type K6Plan } from '../core/load/plan.ts';
import { K6SeriesParser, type LiveCounters, type LoadSeries } from '../core/load/series.ts';
import { CommandError, runCommand, shellQuote } from './process.ts';

/** k6 exit codes probelab interprets (k6's errext/exitcodes). */
export const K6_EXIT = { thresholdsCrossed: 99, externalAbort: 105 } as const;

export interface StartLoadOptions {
  k6Bin: string;
  /** script is the k6 script, normally steppedLoadScript(repo). */
  script: string;
  plan: K6Plan;
  /** outDir receives the run's files; it is created if missing. */
  outDir: string;
  signal?: AbortSignal;
  /** pollMs is how often the points file is read while k6 runs (default 500 ms: live progress shows a snapshot a second). */
  pollMs?: number;
  /** killGraceMs is the time between SIGTERM and SIGKILL on abort (default 5 s). */
  killGraceMs?: number;
}

export interface LoadFiles extends K6Files {
  log: string;
}

export interface ThresholdResult {
  /** metric is k6's metric expression, e.g. http_req_duration{variant:web}. */
  metric: string;
  threshold: string;
  ok: boolean;
}

export interface LoadResult {
  /** completed: k6 ran the plan to its end; thresholds-crossed: the same, with a k6 threshold crossed; aborted: stopped by the signal (partial series). */
  outcome: 'completed' | 'thresholds-crossed' | 'aborted';
  exitCode: number | undefined;
  /** durationMs is wall-clock time of the k6 process, measured by the harness. */
  durationMs: number;
  series: LoadSeries;
  /** thresholds are read from the summary; empty when the summary is missing. */
  thresholds: ThresholdResult[];
  /** summary is handleSummary's data as k6 wrote it, undefined if k6 wrote none. */
  summary: unknown;
  files: LoadFiles;
}

/** LoadError is a k6 run that failed (bad script, crash, missing binary); partial holds what was collected. */
export class LoadError extends Error {
  readonly partial: LoadResult;
  constructor(message: string, partial: LoadResult, cause: unknown) {
    super(message, { cause });
    this.name = 'LoadError';
    this.partial = partial;
  }
}

export interface LoadRun {
  files: LoadFiles;
  done: Promise<LoadResult>;
  /** live returns running totals per variant. */
  live(): LiveCounters[];
  /** series summarizes what has arrived so far (steps cut at the newest sample). */
  series(): LoadSeries;
}

/** steppedLoadScript is the path of probelab's k6 script in a checkout. */
export function steppedLoadScript(repo: string): string {
  return join(repo, 'scenarios', 'k6', 'stepped-load.ts');
}

export function startLoad(options: StartLoadOptions): LoadRun {
  const files: LoadFiles = {
    script: options.script,
    plan: join(options.outDir, 'k6-plan.json'),
    points: join(options.outDir, 'k6-points.ndjson'),
    summary: join(options.outDir, 'k6-summary.json'),
    log: join(options.outDir, 'k6.log'),
  };
  const parser = new K6SeriesParser(options.plan.stages);
  return {
    files,
    done: runLoad(options, files, parser),
    live: () => parser.live(),
    series: () => parser.summarize({ complete: false }),
  };
}

async function runLoad(
  options: StartLoadOptions,
  files: LoadFiles,
  parser: K6SeriesParser,
): Promise<LoadResult> {
  await mkdir(options.outDir, { recursive: true });
  await writeFile(files.plan, `${JSON.stringify(options.plan, null, 2)}\n`);
  await writeFile(files.points, ''); // so the tail can open it before k6 does; k6 truncates it again
  const args = k6Args(files);
  const log = createWriteStream(files.log);
  let logOpen = true;
  const writeLog = (line: string) => {
    if (logOpen) log.write(`${line}\n`);
  };
  writeLog(`$ ${shellQuote([options.k6Bin, ...args])}`);

  const tail = new FileTail(files.points, (line) => parser.addLine(line));
  let running = true;
  const tailing = (async () => {
    while (running) {
      await tail.read();
      await delay(options.pollMs ?? 500);
    }
  })();

  const started = performance.now();
  let exitCode: number | undefined;
  let failure: CommandError | undefined;
  try {
    const result = await runCommand(options.k6Bin, args, {
      env: { ...K6_ENV },
      timeoutMs: 0,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.killGraceMs === undefined ? {} : { killGraceMs: options.killGraceMs }),
      allowExitCodes: [K6_EXIT.thresholdsCrossed],
      onStdoutLine: (line) => writeLog(`stdout| ${line}`),
      onStderrLine: (line) => writeLog(`stderr| ${line}`),
    });
    exitCode = result.exitCode;
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    failure = err;
    exitCode = err.exitCode;
  } finally {
    running = false;
    await tailing;
    await tail.read();
    tail.finish();
    await tail.close();
  }
  const durationMs = Math.round(performance.now() - started);
  writeLog(
    `# k6 exited with code ${exitCode ?? 'none'}${failure?.signal ? ` (${failure.signal})` : ''} after ${durationMs} ms`,
  );
  logOpen = false;
  await new Promise<void>((resolve) => log.end(resolve));

  const summary = await readJson(files.summary);
  const aborted = failure?.reason === 'canceled';
  const outcome = aborted
    ? 'aborted'
    : exitCode === K6_EXIT.thresholdsCrossed
      ? 'thresholds-crossed'
      : 'completed';
  const result: LoadResult = {
    outcome,
    exitCode,
    durationMs,
    series: parser.summarize({ complete: !failure }),
    thresholds: thresholdsOf(summary),
    summary,
    files,
  };
  if (failure && !aborted)
    throw new LoadError(
      `k6 failed (${failure.reason}); its log is ${files.log}\n${failure.message}`,
      result,
      failure,
    );
  return result;
}

/** thresholdsOf reads threshold outcomes from handleSummary's data (metrics.<name>.thresholds.<expr>.ok). */
export function thresholdsOf(summary: unknown): ThresholdResult[] {
  const metrics = (summary as { metrics?: unknown } | undefined)?.metrics;
  if (typeof metrics !== 'object' || metrics === null) return [];
  const results: ThresholdResult[] = [];
  for (const [metric, body] of Object.entries(metrics)) {
    const thresholds = (body as { thresholds?: unknown }).thresholds;
    if (typeof thresholds !== 'object' || thresholds === null) continue;
    for (const [threshold, state] of Object.entries(thresholds))
      results.push({ metric, threshold, ok: (state as { ok?: unknown }).ok === true });
  }
  return results;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * FileTail reads a growing file from where it left off and hands out complete lines; a trailing line
 * without its newline is held back until more arrives or finish() is called. If the file shrinks
 * (k6 truncating it when it opens it), reading restarts at its beginning.
 */
export class FileTail {
  private handle: FileHandle | undefined;
  private position = 0;
  private pending = '';
  private decoder = new StringDecoder('utf8');
  private readonly buffer = Buffer.alloc(1 << 20);
  private readonly path: string;
  private readonly onLine: (line: string) => void;

  constructor(path: string, onLine: (line: string) => void) {
    this.path = path;
    this.onLine = onLine;
  }

  async read(): Promise<void> {
    this.handle ??= await open(this.path, 'r').catch(() => undefined);
    if (!this.handle) return;
    const { size } = await this.handle.stat();
    if (size < this.position) {
      this.position = 0;
      this.pending = '';
      this.decoder = new StringDecoder('utf8');
    }
    for (;;) {
      const { bytesRead } = await this.handle.read(this.buffer, 0, this.buffer.length, this.position);
      if (bytesRead === 0) return;
      this.position += bytesRead;
      const lines = (this.pending + this.decoder.write(this.buffer.subarray(0, bytesRead))).split('\n');
      this.pending = lines.pop() ?? '';
      for (const line of lines) this.onLine(line);
    }
  }

  /** finish hands out a last line that has no newline. */
  finish(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    if (rest) this.onLine(rest);
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
