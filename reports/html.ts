/**
 * report.html: one self-contained page per run, verdict first, then the charts (charts.ts) as inline SVG
 * rendered at report time. It opens from the file system with no network and no script: a small inline
 * stylesheet, system fonts, and a Content-Security-Policy that forbids scripts and any fetch. Every text
 * from run.json is escaped. Pure apart from Vega's rendering (a report in, a document out).
 */
import type { RunReport } from './render.ts';
import { renderChartSvgs, fmtSeconds, timeOrigin, type ChartKind, type ChartSvg } from './charts.ts';
import type { Verdict } from '../harness/core/verdict.ts';
import { formatAmount, rankVariants } from '../harness/core/compare.ts';

export { renderChartSvgs, type ChartSvg } from './charts.ts';

const OUTCOME: Record<Verdict['outcome'], { label: string; text: string }> = {
  passed: { label: 'PASSED', text: 'every check passed and the run is valid' },
  failed: { label: 'FAILED', text: 'at least one SLO check failed' },
  invalid: { label: 'INVALID', text: 'the run cannot be trusted; see why below' },
  aborted: { label: 'ABORTED', text: 'stopped before the end; faults were removed, the figures are partial' },
};

const SECTIONS: { kinds: ChartKind[]; title: string; intro?: string }[] = [
  { kinds: ['timeline'], title: 'Over time, per variant' },
  { kinds: ['compare'], title: 'Variants compared' },
  { kinds: ['scale-up'], title: 'Scale-up per load step' },
  { kinds: ['startup'], title: 'Pod startup' },
  { kinds: ['restarts', 'probes'], title: 'Restarts and probe failures' },
];

const STYLE = `
:root { color-scheme: light; --fg: #1d1d1f; --muted: #5f6368; --line: #e3e3e3; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: #f6f7f9; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; min-height: 100vh; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 18px 0 6px; }
.meta { color: var(--muted); margin: 0 0 14px; }
.banner { border-radius: 6px; padding: 12px 16px; font-size: 16px; margin: 12px 0; border: 1px solid; }
.banner strong { letter-spacing: .04em; margin-right: .4em; }
.outcome-passed { background: #e8f5e9; border-color: #81c784; color: #1b5e20; }
.outcome-failed { background: #fdecea; border-color: #e57373; color: #8e1c1c; }
.outcome-invalid { background: #fff4e5; border-color: #ffb74d; color: #7a4300; }
.outcome-aborted { background: #eceff1; border-color: #90a4ae; color: #37474f; }
.reasons { margin: 6px 0 12px; }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #fafafa; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.pass { color: #1b5e20; } .fail { color: #b71c1c; font-weight: 600; } .not-evaluated { color: #7a4300; }
figure { margin: 14px 0 26px; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 12.5px; max-width: 1000px; margin-top: 6px; }
.row { display: flex; flex-wrap: wrap; gap: 12px 32px; }
.row figure { flex: 1 1 420px; }
details { margin: 6px 0 12px; } summary { cursor: pointer; color: var(--muted); }
.note { color: var(--muted); }
code { font-size: 12.5px; }
`;

export function escapeHtml(text: unknown): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** renderHtml: the run's report.html (self-contained, no script, charts as inline SVG). */
export async function renderHtml(report: RunReport): Promise<string> {
  const charts = await renderChartSvgs(report);
  return renderHtmlWith(report, charts);
}

/** renderHtmlWith: the document around charts already rendered (renderChartSvgs). Pure. */
export function renderHtmlWith(report: RunReport, charts: readonly ChartSvg[]): string {
  const e = escapeHtml;
  const { verdict } = report;
  const o = OUTCOME[verdict.outcome] ?? { label: String(verdict.outcome).toUpperCase(), text: '' };
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${e(`${o.label}: ${report.scenario} — run ${report.runId}`)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${e(report.scenario)} — run ${e(report.runId)}</h1>`,
    `<p class="meta">namespace ${e(report.namespace)} · started ${e(report.startedAt)} · finished ${e(report.finishedAt)} · load ${e(report.loadOutcome)}</p>`,
    `<div class="banner outcome-${e(verdict.outcome)}" id="outcome"><strong>${e(o.label)}</strong>${e(o.text)}</div>`,
  ];
  if (report.error) out.push(`<p><strong>Error:</strong> ${e(report.error)}</p>`);
  if (verdict.invalidReasons.length)
    out.push(
      '<div class="reasons"><strong>Why the run is invalid:</strong><ul>',
      ...verdict.invalidReasons.map((r) => `<li>${e(r)}</li>`),
      '</ul></div>',
    );
  if (report.notAvailable?.length)
    out.push(
      '<div class="reasons"><strong>Never available before the load started:</strong><ul>',
      ...report.notAvailable.map((n) => `<li>${e(n.name)}: ${e(n.reason)}</li>`),
      '</ul></div>',
    );

  out.push(
    '<h2>Checks</h2>',
    '<table id="checks"><thead><tr><th>check</th><th>variant</th><th>result</th><th>measured</th><th>threshold</th><th>reason</th></tr></thead><tbody>',
  );
  for (const c of verdict.checks)
    out.push(
      `<tr><td><code>${e(c.name)}</code></td><td>${e(c.variant)}</td><td class="${e(c.status)}">${c.status === 'not-evaluated' ? 'not evaluated' : e(c.status)}</td><td class="num">${e(c.measured ?? '—')}</td><td class="num">${e(c.threshold)}</td><td>${e(c.reason)}</td></tr>`,
    );
  if (!verdict.checks.length) out.push('<tr><td colspan="6">The scenario has no SLOs.</td></tr>');
  out.push('</tbody></table>');
  if ((report.series?.variants.length ?? 0) >= 2) {
    const r = rankVariants(report);
    out.push(
      '<h2>Variant ranking</h2>',
      `<table id="ranking"><thead><tr><th>rank</th><th>variant</th>${r.criteria.map((c) => `<th>${e(c.label)}</th>`).join('')}<th>why</th></tr></thead><tbody>`,
      ...r.ranking.map(
        (v) =>
          `<tr><td class="num">${v.rank}</td><td>${e(v.variant)}</td>${r.criteria
            .map((c) => {
              const value = v.values[c.metric];
              const text = e(value === null ? '—' : formatAmount(value, c.unit));
              return `<td class="num">${v.decidedBy === c.metric ? `<strong>${text}</strong>` : text}</td>`;
            })
            .join('')}<td>${e(v.reason)}</td></tr>`,
      ),
      '</tbody></table>',
      `<p class="note">${e(r.method)}.</p>`,
    );
  }

  for (const section of SECTIONS) {
    const these = charts.filter((c) => section.kinds.includes(c.kind));
    const extra = sectionTables(report, section.kinds);
    if (!these.length && !extra) continue;
    out.push(`<h2>${e(section.title)}</h2>`);
    const row = these.length > 1 && these.every((c) => c.kind === 'restarts' || c.kind === 'probes');
    if (row) out.push('<div class="row">');
    for (const c of these) out.push(figure(c));
    if (row) out.push('</div>');
    if (extra) out.push(extra);
  }
  if (!charts.length)
    out.push(
      '<h2>Charts</h2>',
      '<p class="note">No chart: this run has no load series and no cluster-side measurements.</p>',
    );

  out.push(...faultsSection(report), ...loadSection(report));
  const origin = timeOrigin(report);
  out.push(
    '<h2>Clocks</h2>',
    `<p class="note">${e(report.clocks)}.${origin ? ` Time axes: seconds from the ${e(origin.source)}.` : ''}</p>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  );
  return out.join('\n');
}

function figure(c: ChartSvg): string {
  return [
    `<figure id="${escapeHtml(c.id)}" data-chart="${escapeHtml(c.kind)}"${c.variant !== undefined ? ` data-variant="${escapeHtml(c.variant)}"` : ''}>`,
    c.svg,
    `<figcaption>${escapeHtml(c.caption)}</figcaption>`,
    '</figure>',
  ].join('\n');
}

function sectionTables(report: RunReport, kinds: ChartKind[]): string {
  if (kinds.includes('scale-up')) return scaleUpTable(report);
  if (kinds.includes('startup')) return startupTable(report);
  return '';
}

function scaleUpTable(report: RunReport): string {
  const e = escapeHtml;
  const rows: string[] = [];
  const assumptions = new Set<string>();
  for (const v of report.metrics?.variants ?? []) {
    if (!v.scaling.defined) continue;
    for (const s of v.scaling.scaleUp) {
      for (const a of s.floor?.assumptions ?? []) assumptions.add(a);
      rows.push(
        `<tr><td>${e(v.variant)}</td><td class="num">${s.step}</td><td class="num">${s.fromRps} → ${s.rps}</td><td>${e(s.outcome)}${s.reason ? `: ${e(s.reason)}` : ''}</td><td class="num">${s.firstIncrease ? `${s.firstIncrease.from} → ${s.firstIncrease.to}` : '—'}</td><td class="num">${fmtSeconds(s.reaction.ms)}</td><td class="num">${fmtSeconds(s.provisioning?.ready.ms)}</td><td class="num">${fmtSeconds(s.provisioning?.inEndpoints.ms)}</td><td class="num">${fmtSeconds(s.scaleUpLatency.ms)}</td><td class="num">${fmtSeconds(s.sloRecovery.ms)}</td><td class="num">${fmtSeconds(s.floor?.totalFloorMs)}</td></tr>`,
      );
    }
  }
  if (!rows.length) return '';
  return [
    '<table id="scale-up-table"><thead><tr><th>variant</th><th>step</th><th>rps</th><th>outcome</th><th>desired</th><th>reaction</th><th>→ pods Ready</th><th>→ in EndpointSlice</th><th>scale-up latency</th><th>SLO recovery</th><th>floor</th></tr></thead><tbody>',
    ...rows,
    '</tbody></table>',
    assumptions.size
      ? `<details><summary>The floor model's assumptions</summary><ul>${[...assumptions].map((a) => `<li>${e(a)}</li>`).join('')}</ul></details>`
      : '',
  ].join('\n');
}

function startupTable(report: RunReport): string {
  const e = escapeHtml;
  const rows: string[] = [];
  for (const v of report.metrics?.variants ?? []) {
    if (!v.startup.population) continue;
    for (const [edge, q] of Object.entries(v.startup.edges))
      for (const basis of ['arrival', 'server'] as const) {
        const b = q[basis];
        rows.push(
          `<tr><td>${e(v.variant)}</td><td>${e(edge)}</td><td>${basis}</td><td class="num">${b.n}</td><td class="num">${b.errored}</td>${(['p50', 'p90', 'p99', 'max'] as const).map((k) => `<td class="num">${b[k] === null ? '—' : `${b[k]} ms`}</td>`).join('')}</tr>`,
        );
      }
  }
  if (!rows.length) return '';
  return [
    '<details><summary>Startup quantiles, both bases (arrival: host wall clock, 1 ms; server: metav1.Time, 1 s truncated)</summary>',
    '<table id="startup-table"><thead><tr><th>variant</th><th>edge</th><th>basis</th><th>n</th><th>errored</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr></thead><tbody>',
    ...rows,
    '</tbody></table></details>',
  ].join('\n');
}

function faultsSection(report: RunReport): string[] {
  const e = escapeHtml;
  if (!report.faults?.length) return [];
  return [
    '<h2>Faults</h2>',
    '<table id="faults"><thead><tr><th>resource</th><th>action</th><th>at</th><th>outcome</th><th>removal</th></tr></thead><tbody>',
    ...report.faults.map(
      (f) =>
        `<tr><td>${e(f.name)}</td><td>${e(f.action)}</td><td>${e(f.at)}</td><td>${e(f.state)}${f.reason ? `: ${e(f.reason)}` : ''}</td><td>${f.forced ? '<strong>forced (dirty)</strong>' : f.neverInjected ? 'nothing to undo' : 'recovered by Chaos Mesh'}</td></tr>`,
    ),
    '</tbody></table>',
  ];
}

function loadSection(report: RunReport): string[] {
  const e = escapeHtml;
  const variants = report.series?.variants ?? [];
  if (!variants.length) return [];
  const out = [
    '<h2>Load per variant and step</h2>',
    '<table id="load"><thead><tr><th>variant</th><th>step</th><th>target rps</th><th>achieved rps</th><th>requests</th><th>errors</th><th>dropped</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr></thead><tbody>',
  ];
  const ms = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(1));
  for (const v of variants)
    for (const s of v.steps)
      out.push(
        `<tr><td>${e(v.variant)}</td><td class="num">${s.step}${s.complete ? '' : ' (partial)'}</td><td class="num">${s.rps}</td><td class="num">${s.achievedRps.toFixed(1)}</td><td class="num">${s.requests}</td><td class="num">${s.errors.total}</td><td class="num">${s.droppedIterations}</td><td class="num">${ms(s.latencyMs?.p50)}</td><td class="num">${ms(s.latencyMs?.p95)}</td><td class="num">${ms(s.latencyMs?.p99)}</td></tr>`,
      );
  out.push(
    '</tbody></table>',
    `<p class="note">Steps: requests counted in the step their iteration started in; ${e(report.series?.timestampSource)}; quantiles ${e(report.series?.quantileMethod)}.</p>`,
  );
  return out;
}
