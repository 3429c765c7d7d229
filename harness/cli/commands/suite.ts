/**
 * `probelab suite <dir>`: the nightly job. Runs every scenario file of a directory in name order, one
 * after the other on one reused cluster (each exactly as `probelab run` does), compares each run with its
 * stored baseline when there is one (`<baselines>/<scenario name>/`, as `probelab baseline promote`
 * writes it), and writes an index (index.md and index.html) linking every run's reports and comparisons.
 *
 * Exit code: the worst of the runs' exit codes (0 passed, 1 an SLO failed, 2 invalid, 3 configuration or
 * infrastructure error), and at least 1 when any comparison found a regression; 130 when interrupted (the
 * index lists what ran).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import {
  compareRuns,
  renderCompareJson,
  renderCompareMarkdown,
  type Comparison,
} from '../../core/compare.ts';
import { UserError } from '../../core/errors.ts';
import { RUN_EXIT } from '../../core/verdict.ts';
import type { IO } from '../io.ts';
import { loadRuns } from './compare.ts';
import { runCommand, type RunFlags } from './run-scenario.ts';
import { readScenario } from './scenario-file.ts';

export interface SuiteFlags {
  suiteId: string;
  /** baselines: the directory holding one baseline directory per scenario name. */
  baselines: string;
  name: string;
  images: RunFlags['images'];
  progress: boolean;
}

interface SuiteEntry {
  file: string;
  scenario: string;
  runId: string;
  exitCode: number;
  outcome: string;
  runDir: string;
  comparison?: { verdict: Comparison['verdict']; headline: string; file: string };
  note?: string;
}

export async function suiteCommand(dir: string, flags: SuiteFlags, io: IO): Promise<number> {
  const root = resolve(io.cwd, dir);
  const files = (
    await readdir(root).catch(() => {
      throw new UserError(`${dir}: not a readable directory; give a directory of scenario files`);
    })
  )
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  if (!files.length) throw new UserError(`${dir}: no scenario file (*.yaml) in it`);
  // Every file must be valid before anything runs: a nightly job should not fail half-way on a typo.
  const models = [];
  for (const f of files) models.push((await readScenario(join(dir, f), io)).model);

  const outDir = resolve(io.cwd, 'reports', 'out', flags.suiteId);
  await mkdir(outDir, { recursive: true });
  const entries: SuiteEntry[] = [];
  let worst: number = RUN_EXIT.passed;
  for (const [i, f] of files.entries()) {
    if (io.signal.aborted) break;
    const scenario = models[i]!.scenario.metadata.name;
    const runId = `${flags.suiteId}-${i + 1}`;
    io.stderr.write(`suite ${flags.suiteId}: ${i + 1}/${files.length} ${f} (run ${runId})\n`);
    const exitCode = await runCommand(
      join(dir, f),
      { runId, name: flags.name, images: flags.images, retain: false, progress: flags.progress },
      io,
    );
    const runDir = resolve(io.cwd, 'reports', 'out', runId);
    const entry: SuiteEntry = { file: f, scenario, runId, exitCode, outcome: outcomeOf(exitCode), runDir };
    entries.push(entry);
    worst = Math.max(worst, exitCode);
    if (exitCode === RUN_EXIT.sigint || exitCode === RUN_EXIT.sigterm) break;
    const baseline = resolve(io.cwd, flags.baselines, scenario);
    if (!existsSync(runDir)) entry.note = 'no reports (the run did not get that far)';
    else if (!existsSync(baseline)) entry.note = `no baseline in ${relative(io.cwd, baseline)}`;
    else {
      try {
        const base = await loadRuns(baseline, io);
        const candidate = await loadRuns(runDir, io);
        const comparison = compareRuns(base.runs, candidate.runs, candidate.runs[0]?.compareRules, {
          baseLabel: `baseline ${relative(io.cwd, baseline)}`,
          candidateLabel: runId,
        });
        await writeFile(join(runDir, 'compare.md'), renderCompareMarkdown(comparison));
        await writeFile(join(runDir, 'compare.json'), renderCompareJson(comparison));
        entry.comparison = {
          verdict: comparison.verdict,
          headline: comparison.headline,
          file: join(runDir, 'compare.md'),
        };
        if (comparison.verdict === 'regression') worst = Math.max(worst, RUN_EXIT.failed);
      } catch (error) {
        entry.note = `comparison failed: ${error instanceof Error ? error.message : String(error)}`;
        worst = Math.max(worst, RUN_EXIT.error);
      }
    }
  }
  const interrupted = io.signal.aborted;
  const index = { md: join(outDir, 'index.md'), html: join(outDir, 'index.html') };
  await writeFile(index.md, renderIndexMarkdown(flags.suiteId, entries, files.length, outDir, interrupted));
  await writeFile(index.html, renderIndexHtml(flags.suiteId, entries, files.length, outDir, interrupted));
  io.stdout.write(
    `suite ${flags.suiteId}: ${entries.map((e) => `${e.scenario} ${e.outcome}${e.comparison ? ` (${e.comparison.verdict})` : ''}`).join(', ')}\n` +
      `index: ${relative(io.cwd, index.md)}, ${relative(io.cwd, index.html)}; exit ${interrupted ? RUN_EXIT.sigint : worst}\n`,
  );
  return interrupted ? RUN_EXIT.sigint : worst;
}

function outcomeOf(code: number): string {
  return (
    {
      [RUN_EXIT.passed]: 'passed',
      [RUN_EXIT.failed]: 'failed',
      [RUN_EXIT.invalid]: 'invalid',
      [RUN_EXIT.error]: 'error',
      [RUN_EXIT.sigint]: 'interrupted',
      [RUN_EXIT.sigterm]: 'interrupted',
    }[code] ?? `exit ${code}`
  );
}

/** renderIndexMarkdown: one row per scenario, links relative to the index (pure). */
export function renderIndexMarkdown(
  suiteId: string,
  entries: readonly SuiteEntry[],
  total: number,
  outDir: string,
  interrupted: boolean,
): string {
  const link = (file: string, text: string) => `[${text}](${relative(outDir, file)})`;
  const regressions = entries.filter((e) => e.comparison?.verdict === 'regression').length;
  const lines = [
    `# Suite ${suiteId}`,
    '',
    `${entries.length} of ${total} scenario(s) ran${interrupted ? ' (interrupted)' : ''}; ${entries.filter((e) => e.exitCode === 0).length} passed; ${regressions} regression(s) against the baselines.`,
    '',
    '| scenario | file | outcome | exit | against the baseline | reports |',
    '| --- | --- | --- | --- | --- | --- |',
    ...entries.map(
      (e) =>
        `| ${e.scenario} | ${e.file} | ${e.outcome} | ${e.exitCode} | ${e.comparison ? `${e.comparison.verdict}: ${e.comparison.headline.replace(/\|/g, '\\|')} (${link(e.comparison.file, 'compare.md')})` : (e.note ?? '—')} | ${existsSync(e.runDir) ? `${link(join(e.runDir, 'report.html'), 'report.html')}, ${link(join(e.runDir, 'summary.md'), 'summary.md')}` : '—'} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

function renderIndexHtml(
  suiteId: string,
  entries: readonly SuiteEntry[],
  total: number,
  outDir: string,
  interrupted: boolean,
): string {
  const e = (t: string) =>
    t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const href = (file: string) => e(relative(outDir, file));
  const rows = entries.map(
    (x) =>
      `<tr class="${x.exitCode === 0 && x.comparison?.verdict !== 'regression' ? 'ok' : 'bad'}"><td>${e(x.scenario)}</td><td>${e(x.file)}</td><td>${e(x.outcome)}</td><td>${x.exitCode}</td><td>${x.comparison ? `${e(x.comparison.verdict)}: ${e(x.comparison.headline)} (<a href="${href(x.comparison.file)}">compare.md</a>)` : e(x.note ?? '—')}</td><td>${existsSync(x.runDir) ? `<a href="${href(join(x.runDir, 'report.html'))}">report.html</a>, <a href="${href(join(x.runDir, 'summary.md'))}">summary.md</a>` : '—'}</td></tr>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Suite ${e(suiteId)}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}tr.ok td:nth-child(3){color:#1a7f37}tr.bad td:nth-child(3){color:#cf222e;font-weight:bold}</style>
</head><body>
<h1>Suite ${e(suiteId)}</h1>
<p>${entries.length} of ${total} scenario(s) ran${interrupted ? ' (interrupted)' : ''}.</p>
<table><thead><tr><th>scenario</th><th>file</th><th>outcome</th><th>exit</th><th>against the baseline</th><th>reports</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
</body></html>
`;
}
