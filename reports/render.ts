/**
 * Report renderers: run.json's type, summary.md (verdict first, readable on GitHub; then the checks,
 * faults, load, restarts and the cluster-side measurements per variant, see summary-metrics.ts) and
 * junit.xml (one test case per check and variant, plus one for the run's validity). Pure: a report in,
 * text out. Older run.json files without `metrics` (or an aborted run's) render too.
 */
import type { StepReport } from '../harness/runtime/steps.ts';
import type { HarnessCost } from '../harness/core/harness-cost.ts';
import type { LoadSeries } from '../harness/core/load/series.ts';
import type { FaultResult, RestartCounts, Verdict, Window } from '../harness/core/verdict.ts';
import type { RunMetrics } from '../harness/core/metrics/index.ts';
import { rankVariants, renderRankingMarkdown, type CompareRules } from '../harness/core/compare.ts';
import { escape, metricsSections, notAvailableLines } from './summary-metrics.ts';

export const RUN_REPORT_VERSION = 'probelab.dev/run/v1alpha1';

export interface RunReport {
  version: typeof RUN_REPORT_VERSION;
  runId: string;
  scenario: string;
  namespace: string;
  startedAt: string;
  finishedAt: string;
  /** clocks names the timestamp source and precision of every time in the report. */
  clocks: string;
  /** loadStartMs: when k6 was started, epoch ms on this host. */
  loadStartMs: number | undefined;
  steps: StepReport[];
  /** cleanup: the undo of everything the run created, last in first out, as it ran (absent before 2026-11). */
  cleanup?: StepReport[];
  timeline: { index: number; at: string; action: string; target: string; firedAtMs: number }[];
  faults: FaultResult[];
  chaosWindows: Window[];
  rolloutWindows: Window[];
  restarts: RestartCounts[];
  /** notAvailable: variants that never became available before the load started, and why. */
  notAvailable?: { name: string; reason: string }[];
  /** configUpdates: each config-update with the versions the pods reported (GET /config, 1 s polls). */
  configUpdates?: {
    variant: string;
    atMs: number;
    version: string;
    samples: { pod: string; version: string; atMs: number }[];
  }[];
  /** compareRules: the scenario's `compare:` tolerances, used by compare and suite for this run. */
  compareRules?: CompareRules;
  /** metrics: the cluster-side measurements (docs/metrics.md); absent when the watchers never ran. */
  metrics?: RunMetrics;
  leftovers: string[];
  /** harness: what the harness process itself cost over the run, and how late its event loop ran. */
  harness?: HarnessCost;
  loadOutcome: string;
  series: LoadSeries | undefined;
  verdict: Verdict;
  /** error: the infrastructure or harness failure that ended the run early, if any. */
  error?: string;
}

const OUTCOME_LINE: Record<Verdict['outcome'], string> = {
  passed: '✅ PASSED — every check passed and the run is valid',
  failed: '❌ FAILED — at least one SLO check failed',
  invalid: '⚠️ INVALID — the run cannot be trusted; see why below',
  aborted: '⏹️ ABORTED — stopped before the end; faults were removed, the figures are partial',
};

/** SummaryChart: a chart written next to summary.md (file relative to it), shown as an image. */
export interface SummaryChart {
  title: string;
  file: string;
}

/**
 * renderSummary renders summary.md; `charts` (written beside it by the caller) are shown as images after
 * the checks, so a CI job summary or a PR comment that publishes the directory shows them.
 */
export function renderSummary(report: RunReport, charts: readonly SummaryChart[] = []): string {
  const { verdict } = report;
  const lines = [
    `# ${report.scenario} — run ${report.runId}`,
    '',
    `**${OUTCOME_LINE[verdict.outcome]}**`,
    '',
  ];
  if (report.error) lines.push(`Error: ${report.error}`, '');
  if (verdict.invalidReasons.length) {
    lines.push('Why the run is invalid:', '');
    for (const r of verdict.invalidReasons) lines.push(`- ${r}`);
    lines.push('');
  }
  lines.push(...notAvailableLines(report));
  lines.push(
    '## Checks',
    '',
    '| check | variant | result | measured | threshold | reason |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const c of verdict.checks)
    lines.push(
      `| ${c.name} | ${c.variant} | ${c.status === 'pass' ? 'pass' : c.status === 'fail' ? '**fail**' : 'not evaluated'} | ${c.measured ?? '—'} | ${escape(c.threshold)} | ${escape(c.reason)} |`,
    );
  if (!verdict.checks.length) lines.push('| (the scenario has no SLOs) | | | | | |');
  const variants = report.series?.variants.length ?? 0;
  if (variants >= 2) {
    // With repeats or a baseline, `probelab compare` says whether a difference is beyond the noise.
    lines.push('', '## Variant ranking', '', renderRankingMarkdown(rankVariants(report)).trimEnd());
  }
  if (charts.length) {
    lines.push('', '## Charts', '');
    for (const c of charts) lines.push(`![${escape(c.title).replace(/[[\]]/g, '')}](${c.file})`, '');
    lines.push(
      'Every chart, with its timestamp sources, is in report.html beside this file (no script; opens offline).',
    );
  }
  lines.push('', '## Faults', '');
  if (report.faults.length) {
    lines.push('| resource | action | at | outcome | removal |', '| --- | --- | --- | --- | --- |');
    for (const f of report.faults)
      lines.push(
        `| ${f.name} | ${f.action} | ${f.at} | ${f.state}${f.reason ? `: ${escape(f.reason)}` : ''} | ${f.forced ? '**forced (dirty)**' : f.neverInjected ? 'nothing to undo' : 'recovered by Chaos Mesh'} |`,
      );
  } else lines.push('No fault in the timeline.');
  lines.push('', '## Load per variant and step', '');
  for (const v of report.series?.variants ?? []) {
    lines.push(
      `### ${v.variant}`,
      '',
      '| step | target rps | achieved rps | requests | errors | dropped | p50 ms | p95 ms | p99 ms |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const s of v.steps)
      lines.push(
        `| ${s.step}${s.complete ? '' : ' (partial)'} | ${s.rps} | ${s.achievedRps.toFixed(1)} | ${s.requests} | ${s.errors.total} | ${s.droppedIterations} | ${ms(s.latencyMs?.p50)} | ${ms(s.latencyMs?.p95)} | ${ms(s.latencyMs?.p99)} |`,
      );
    const pods = Object.entries(v.total.requestsByPod)
      .map(([pod, n]) => `${pod} ${n}`)
      .join(', ');
    lines.push('', `Requests by pod: ${pods || 'none'}.`, '');
  }
  if (!report.series) lines.push('No load was driven.', '');
  lines.push(
    '## Restarts',
    '',
    '| variant | total | liveness | oom | error | chaos | eviction |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const r of report.restarts ?? [])
    lines.push(
      `| ${r.variant} | ${r.total} | ${r.byCause.liveness} | ${r.byCause.oom} | ${r.byCause.error} | ${r.byCause.chaos} | ${r.byCause.eviction} |`,
    );
  lines.push('', ...metricsSections(report));
  lines.push(`Clocks: ${report.clocks}.`, '');
  return `${lines.join('\n')}\n`;
}

export function renderJunit(report: RunReport): string {
  const { verdict } = report;
  const cases = verdict.checks.map((c) => {
    const body =
      c.status === 'fail'
        ? `<failure message="${xml(c.reason)}"/>`
        : c.status === 'not-evaluated'
          ? `<skipped message="${xml(c.reason)}"/>`
          : '';
    return `    <testcase classname="${xml(`${report.scenario}.${c.variant}`)}" name="${xml(c.name)}">${body}</testcase>`;
  });
  const validity = verdict.invalidReasons.length
    ? `<failure message="${xml(verdict.invalidReasons.join('; '))}"/>`
    : verdict.outcome === 'aborted'
      ? '<failure message="aborted"/>'
      : '';
  cases.push(`    <testcase classname="${xml(report.scenario)}" name="run is valid">${validity}</testcase>`);
  const failures = verdict.checks.filter((c) => c.status === 'fail').length + (validity ? 1 : 0);
  const skipped = verdict.checks.filter((c) => c.status === 'not-evaluated').length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="probelab">`,
    `  <testsuite name="${xml(`${report.scenario} ${report.runId}`)}" tests="${cases.length}" failures="${failures}" skipped="${skipped}" timestamp="${xml(report.startedAt)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function ms(value: number | undefined): string {
  return value === undefined ? '—' : value.toFixed(1);
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
