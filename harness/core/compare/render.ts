/**
 * Renderers of a comparison: compare.md (verdict first, then per variant a table metric | base |
 * candidate | delta | rule | verdict, then the method) and compare.json (the Comparison itself, versioned
 * probelab.dev/compare/v1alpha1); and the variant ranking as a Markdown table for summary.md. Pure.
 */
import type { Comparison, MetricComparison, SideValue, VariantRanking } from '../compare.ts';
import { formatAmount, type Unit } from './metrics.ts';

const MARK: Record<Comparison['verdict'], string> = {
  regression: '❌',
  'within tolerance': '✅',
  inconclusive: '⚠️',
};

export function renderCompareJson(comparison: Comparison): string {
  return `${JSON.stringify(comparison, null, 2)}\n`;
}

export function renderCompareMarkdown(c: Comparison): string {
  const lines = [
    `# Comparison — ${c.scenario}`,
    '',
    `**${MARK[c.verdict]} ${c.headline}**`,
    '',
    '| side | from | runs (outcome) |',
    '| --- | --- | --- |',
    ...(['base', 'candidate'] as const).map(
      (s) =>
        `| ${s} | ${cell(c[s].label ?? '—')} | ${c[s].runs.map((r) => `${r.runId} (${r.outcome})`).join(', ')} |`,
    ),
    '',
  ];
  if (c.warnings.length) {
    lines.push('Warnings:', '');
    for (const w of c.warnings) lines.push(`- ${w}`);
    lines.push('');
  }
  for (const v of c.variants) {
    lines.push(`## ${v.variant} — ${v.verdict.toUpperCase()}`, '');
    if (v.onlyIn) {
      lines.push(`Only in the ${v.onlyIn}; nothing to compare.`, '');
      continue;
    }
    const shown = v.metrics.filter((m) => m.base.value !== null || m.candidate.value !== null);
    const neither = v.metrics.filter((m) => m.base.value === null && m.candidate.value === null);
    if (shown.length) {
      lines.push(
        '| metric | base | candidate | delta | rule | verdict |',
        '| --- | --- | --- | --- | --- | --- |',
      );
      for (const m of shown)
        lines.push(
          `| ${m.label} | ${side(m.base, m.unit)} | ${side(m.candidate, m.unit)} | ${delta(m)} | ${cell(m.rule.text)}${m.rule.source === 'rules file' ? ' (rules file)' : ''} | ${verdictCell(m)} |`,
        );
      lines.push('');
    }
    const notes = shown.filter(
      (m) => m.verdict !== 'within tolerance' || m.base.reason || m.candidate.reason,
    );
    for (const m of notes) lines.push(`- ${m.label}: ${m.reason}${runsNote(m)}`);
    if (neither.length)
      lines.push(
        `- Not measured on either side: ${neither.map((m) => `${m.label} (${m.base.reason ?? m.reason})`).join('; ')}`,
      );
    if (notes.length || neither.length) lines.push('');
  }
  lines.push('## Method', '', `- ${c.method.description}.`, `- Tolerance: ${c.method.tolerance}.`);
  if (c.method.mode === 'repeats') lines.push(`- A side's value: ${c.method.aggregate}.`);
  if (c.method.ignored.length) lines.push(`- Ignored by the rules file: ${c.method.ignored.join(', ')}.`);
  lines.push(
    `- Metrics by verdict: ${Object.entries(c.counts)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}.`,
    '',
  );
  return `${lines.join('\n')}\n`;
}

function side(s: SideValue, unit: Unit): string {
  if (s.value === null) return '—';
  const value = formatAmount(s.value, unit);
  if (s.values.length <= 1) return value;
  if (s.values.every((v) => v === s.value)) return `${value} (${s.n === 2 ? 'both' : `all ${s.n}`} runs)`;
  const each = s.values.map((v) => (v === null ? '—' : formatAmount(v, unit))).join(', ');
  return `${value} (median of ${s.n}: ${each})`;
}

function delta(m: MetricComparison): string {
  if (m.delta === null) return '—';
  if (m.delta === 0) return '0';
  const abs = `${m.delta > 0 ? '+' : ''}${formatAmount(m.delta, m.unit)}`;
  return m.relativeDelta === null
    ? abs
    : `${abs} (${m.relativeDelta > 0 ? '+' : ''}${(m.relativeDelta * 100).toFixed(1)}%)`;
}

function verdictCell(m: MetricComparison): string {
  const ci = m.interval
    ? ` (${Math.round(m.interval.level * 100)}% CI ${signed(m.interval.low, m.unit)} … ${signed(m.interval.high, m.unit)})`
    : '';
  switch (m.verdict) {
    case 'regression':
      return `**regression**${ci}`;
    case 'inconclusive':
      return `inconclusive${ci}`;
    case 'improvement':
      return `improvement${ci}`;
    case 'missing':
      return 'missing';
    default:
      return 'within tolerance';
  }
}

function runsNote(m: MetricComparison): string {
  const notes = [
    m.base.reason && m.base.value !== null ? `base: ${m.base.reason}` : '',
    m.candidate.reason && m.candidate.value !== null ? `candidate: ${m.candidate.reason}` : '',
  ].filter(Boolean);
  return notes.length ? ` (${notes.join('; ')})` : '';
}

function signed(value: number, unit: Unit): string {
  return `${value > 0 ? '+' : ''}${formatAmount(value, unit)}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** renderRankingMarkdown: the ranking as a table (rank, variant, each criterion, why), best first. */
export function renderRankingMarkdown(r: VariantRanking): string {
  const lines = [
    `| rank | variant | ${r.criteria.map((c) => c.label).join(' | ')} | why |`,
    `| --- | --- | ${r.criteria.map(() => '---').join(' | ')} | --- |`,
  ];
  for (const v of r.ranking)
    lines.push(
      `| ${v.rank} | ${cell(v.variant)} | ${r.criteria
        .map((c) => {
          const value = v.values[c.metric];
          const text = value === null ? '—' : formatAmount(value, c.unit);
          return v.decidedBy === c.metric ? `**${text}**` : text;
        })
        .join(' | ')} | ${cell(v.reason)} |`,
    );
  lines.push(
    '',
    `Ranking: ${r.method}. Tolerances: ${r.criteria.map((c) => `${c.label} ${c.rule}`).join('; ')}.`,
  );
  return `${lines.join('\n')}\n`;
}
