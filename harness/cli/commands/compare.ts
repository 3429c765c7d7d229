/**
 * `probelab compare <base-run> <candidate-run>` and `probelab compare --baseline <dir> <candidate-run>`:
 * compare run.json files (one run a side, or repeats) per variant and metric against tolerances
 * (docs/compare.md), write compare.md and compare.json, print the verdict. Reads files only; nothing
 * touches a cluster.
 *
 * A run is given as a run directory (holding run.json), a repeats directory (numbered subdirectories
 * 1/, 2/, … each holding run.json, as `repeat: N` writes them), a baseline directory (baseline.json
 * naming its *.run.json files, as `probelab baseline promote` writes it; or *.run.json files alone), or a
 * run.json file.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { RUN_REPORT_VERSION, type RunReport } from '../../../reports/render.ts';
import {
  compareRuns,
  parseCompareRules,
  renderCompareJson,
  renderCompareMarkdown,
  type CompareRules,
  type Comparison,
} from '../../core/compare.ts';
import { formatAmount } from '../../core/compare/metrics.ts';
import { UsageError, UserError } from '../../core/errors.ts';
import { formatProblem } from '../../core/problems.ts';
import { RUN_EXIT } from '../../core/verdict.ts';
import type { IO } from '../io.ts';

/** COMPARE_EXIT: exit codes of `probelab compare` and `probelab baseline`, documented in docs/compare.md. */
export const COMPARE_EXIT = {
  /** no regression (within tolerance, improvements; inconclusive unless --fail-on inconclusive). */
  ok: 0,
  regression: 1,
  /** a run or rules file that cannot be read or used (as `probelab run`'s configuration error). */
  badInput: RUN_EXIT.error,
} as const;

export const BASELINE_MANIFEST = 'baseline.json';
export const BASELINE_VERSION = 'probelab.dev/baseline/v1alpha1';

export interface BaselineManifest {
  version: typeof BASELINE_VERSION;
  scenario: string;
  /** runId: the promoted run's id (for repeats, the id the repeats share). */
  runId: string;
  promotedAt: string;
  /** source: the run directory it was promoted from. */
  source: string;
  runs: { file: string; runId: string; startedAt: string; outcome: string }[];
}

export interface CompareFlags {
  baseline?: string;
  rules?: string;
  output: 'text' | 'json';
  out?: string;
  failOn: 'regression' | 'inconclusive';
}

export async function compareCommand(targets: string[], flags: CompareFlags, io: IO): Promise<number> {
  if (flags.baseline !== undefined && targets.length !== 1)
    throw new UsageError(
      `with --baseline give exactly one candidate run, got ${targets.length}: probelab compare --baseline <dir> <candidate-run>`,
    );
  if (flags.baseline === undefined && targets.length !== 2)
    throw new UsageError(
      `give two runs, base then candidate, got ${targets.length}: probelab compare <base-run> <candidate-run> (or --baseline <dir> <candidate-run>)`,
    );
  return asBadInput(io, async () => {
    // A rules file wins; else the candidate run's own scenario rules (compare: in its scenario).
    const fileRules = flags.rules === undefined ? undefined : await readRules(flags.rules, io);
    const [baseTarget, candidateTarget] =
      flags.baseline !== undefined ? [flags.baseline, targets[0] as string] : (targets as [string, string]);
    const base = await loadRuns(baseTarget, io);
    const candidate = await loadRuns(candidateTarget, io);
    const rules = fileRules ?? candidate.runs[0]?.compareRules;
    const comparison = compareRuns(base.runs, candidate.runs, rules, {
      baseLabel: flags.baseline !== undefined ? `baseline ${base.label}` : base.label,
      candidateLabel: candidate.label,
    });
    if (comparison.variants.every((v) => v.onlyIn))
      throw new UserError(
        `nothing to compare: ${comparison.warnings.find((w) => w.startsWith('no variant in common')) ?? 'no variant in common'}; compare runs of the same scenario`,
      );
    const outDir = flags.out !== undefined ? resolve(io.cwd, flags.out) : candidate.dir;
    await mkdir(outDir, { recursive: true });
    const files = [join(outDir, 'compare.md'), join(outDir, 'compare.json')] as const;
    await writeFile(files[0], renderCompareMarkdown(comparison));
    await writeFile(files[1], renderCompareJson(comparison));
    const written = files.map((f) => relative(io.cwd, f) || f).join(', ');
    if (flags.output === 'json') {
      io.stdout.write(renderCompareJson(comparison));
      io.stderr.write(`wrote ${written}\n`);
    } else io.stdout.write(`${summaryText(comparison)}report: ${written}\n`);
    return comparison.verdict === 'regression' ||
      (comparison.verdict === 'inconclusive' && flags.failOn === 'inconclusive')
      ? COMPARE_EXIT.regression
      : COMPARE_EXIT.ok;
  });
}

/** summaryText: the verdict, then each metric that is not within tolerance, one a line. */
function summaryText(c: Comparison): string {
  const lines = [c.headline];
  for (const w of c.warnings) lines.push(`  ! ${w}`);
  const marks = { regression: '✗', inconclusive: '?', improvement: '+' } as const;
  for (const v of c.variants)
    for (const m of v.metrics) {
      if (m.verdict !== 'regression' && m.verdict !== 'inconclusive' && m.verdict !== 'improvement') continue;
      const from = m.base.value === null ? '—' : formatAmount(m.base.value, m.unit);
      const to = m.candidate.value === null ? '—' : formatAmount(m.candidate.value, m.unit);
      lines.push(`  ${marks[m.verdict]} ${v.variant} ${m.label}: ${from} → ${to}: ${m.reason}`);
    }
  return `${lines.join('\n')}\n`;
}

/** asBadInput runs a command body and turns the user's errors (unreadable files) into exit 3. */
export async function asBadInput(io: IO, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UserError && !(err instanceof UsageError)) {
      io.stderr.write(`error: ${err.message}\n`);
      return COMPARE_EXIT.badInput;
    }
    throw err;
  }
}

async function readRules(file: string, io: IO): Promise<CompareRules> {
  const text = await readFile(resolve(io.cwd, file), 'utf8').catch((cause: NodeJS.ErrnoException) => {
    throw new UserError(
      `--rules ${file}: ${cause.code === 'ENOENT' ? 'no such file' : cause.code === 'EISDIR' ? 'is a directory, not a rules file' : cause.message}`,
    );
  });
  const { rules, problems } = parseCompareRules(text);
  for (const p of problems) io.stderr.write(`${formatProblem(file, p)}\n`);
  if (!rules)
    throw new UserError(
      `${file} is not a valid rules file (kind: CompareRules): fix the ${problems.length} problem${problems.length === 1 ? '' : 's'} above; docs/compare.md lists the metrics and the format`,
    );
  return rules;
}

// ---- loading runs --------------------------------------------------------------------------------------

export interface LoadedRuns {
  /** dir: the directory the runs came from (the default place for compare.md). */
  dir: string;
  files: string[];
  runs: RunReport[];
  /** label: how the side is named in the report (its path, with the baseline's run id and date). */
  label: string;
  manifest?: BaselineManifest;
}

/** loadRuns: every run.json a target names (see the header), parsed and checked, or one error naming them. */
export async function loadRuns(target: string, io: IO): Promise<LoadedRuns> {
  const path = resolve(io.cwd, target);
  const info = await stat(path).catch(() => {
    throw new UserError(
      `${target}: no such run directory or file; give reports/out/<run id>, a repeats directory (1/, 2/, …), a baseline directory or a run.json`,
    );
  });
  const dir = info.isDirectory() ? path : dirname(path);
  const shown = relative(io.cwd, path) || '.';
  let files: string[];
  let manifest: BaselineManifest | undefined;
  if (!info.isDirectory()) files = [path];
  else {
    const names = await readdir(path);
    if (names.includes(BASELINE_MANIFEST)) {
      manifest = await readManifest(join(path, BASELINE_MANIFEST), io);
      files = manifest.runs.map((r) => join(path, r.file));
    } else if (names.includes('run.json')) files = [join(path, 'run.json')];
    else {
      const repeats: string[] = [];
      for (const name of names.filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b)))
        if (
          await stat(join(path, name, 'run.json')).then(
            (s) => s.isFile(),
            () => false,
          )
        )
          repeats.push(join(path, name, 'run.json'));
      files = repeats.length
        ? repeats
        : names
            .filter((n) => n.endsWith('.run.json'))
            .sort()
            .map((n) => join(path, n));
    }
    if (!files.length)
      throw new UserError(
        `${shown}: no run.json here, in numbered repeat directories (1/run.json, 2/run.json, …) or as *.run.json files; give a run directory written by probelab run`,
      );
  }
  const problems: string[] = [];
  const runs: RunReport[] = [];
  for (const file of files) {
    const name = relative(io.cwd, file);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) {
      problems.push(`${name}: cannot read it${manifest ? ` (listed in ${BASELINE_MANIFEST})` : ''}`);
      continue;
    }
    let report: RunReport;
    try {
      report = JSON.parse(text) as RunReport;
    } catch (error) {
      problems.push(`${name}: not JSON (${(error as Error).message})`);
      continue;
    }
    if (report?.version !== RUN_REPORT_VERSION) {
      problems.push(
        `${name}: version: ${JSON.stringify(report?.version)} is not supported, allowed: ${RUN_REPORT_VERSION} (a run.json written by probelab run)`,
      );
      continue;
    }
    const missing = (['runId', 'scenario', 'startedAt'] as const).filter(
      (k) => typeof report[k] !== 'string',
    );
    if (missing.length || typeof report.verdict !== 'object' || report.verdict === null) {
      problems.push(
        `${name}: ${[...missing, ...(typeof report.verdict === 'object' && report.verdict !== null ? [] : ['verdict'])].join(', ')}: missing; the file is not a complete run.json`,
      );
      continue;
    }
    runs.push(report);
  }
  if (problems.length) throw new UserError(problems.join('\n'));
  const label = manifest
    ? `${shown} (run ${manifest.runId}, promoted ${manifest.promotedAt})`
    : files.length > 1
      ? `${shown} (${files.length} repeats)`
      : shown;
  return { dir, files, runs, label, ...(manifest ? { manifest } : {}) };
}

/** readManifest: a baseline directory's baseline.json, checked. */
export async function readManifest(file: string, io: IO): Promise<BaselineManifest> {
  const name = relative(io.cwd, file);
  let manifest: BaselineManifest;
  try {
    manifest = JSON.parse(await readFile(file, 'utf8')) as BaselineManifest;
  } catch (error) {
    throw new UserError(`${name}: not JSON (${(error as Error).message}); promote the run again`);
  }
  if (manifest?.version !== BASELINE_VERSION)
    throw new UserError(
      `${name}: version: ${JSON.stringify(manifest?.version)} is not supported, allowed: ${BASELINE_VERSION}; promote the run again`,
    );
  if (
    !Array.isArray(manifest.runs) ||
    !manifest.runs.length ||
    manifest.runs.some((r) => typeof r?.file !== 'string' || basename(r.file) !== r.file)
  )
    throw new UserError(
      `${name}: runs: must list the baseline's run files by name (file: <name>.run.json); promote the run again`,
    );
  return manifest;
}
