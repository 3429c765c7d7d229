/**
 * Comparing runs: a candidate against a base (one run a side, or repeats), per variant and metric, with a
 * tolerance per metric; and ranking the variants of one run. Pure: run.json contents in, a comparison (the
 * JSON report, versioned) out; the renderers are in compare/render.ts. Method and defaults:
 * docs/compare.md.
 *
 * Verdict of a metric:
 * - missing: a side has no value (the reason says why), or the variant is on one side only;
 * - within tolerance: the change of the side's value (the median of its runs) is not beyond the rule;
 * - one run a side: beyond the rule is a regression when worse, an improvement when better;
 * - two or more runs on a side: beyond the rule counts only when the percentile bootstrap interval of the
 *   difference of medians (level 1 − alpha) excludes 0; otherwise it is inconclusive: the spread of the
 *   runs is as large as the difference.
 */
import {
  beyondTolerance,
  type ComparableRun,
  extractMetrics,
  formatAmount,
  isWorse,
  METRIC_BY_ID,
  METRICS,
  type Direction,
  type MetricId,
  type ToleranceRule,
  type Unit,
  ruleText,
  variantsOf,
} from './compare/metrics.ts';
import { type CompareRules, resolveRules, type ResolvedRules } from './compare/rules.ts';
import { bootstrapMedianDifference, BOOTSTRAP, median } from './compare/stats.ts';

export {
  beyondTolerance,
  extractMetrics,
  formatAmount,
  METRIC_IDS,
  METRICS,
  ruleText,
  type ComparableRun,
  type Direction,
  type MetricDef,
  type MetricId,
  type MetricValue,
  type ToleranceRule,
  type Unit,
} from './compare/metrics.ts';
export {
  COMPARE_RULES_API_VERSION,
  COMPARE_RULES_KIND,
  parseCompareRules,
  resolveRules,
  type CompareRules,
  type MetricRule,
  type ResolvedRules,
} from './compare/rules.ts';
export { BOOTSTRAP, bootstrapMedianDifference, median, mulberry32 } from './compare/stats.ts';
export { renderCompareJson, renderCompareMarkdown, renderRankingMarkdown } from './compare/render.ts';

export const COMPARE_VERSION = 'probelab.dev/compare/v1alpha1';

export type MetricVerdict = 'regression' | 'improvement' | 'within tolerance' | 'inconclusive' | 'missing';
export type OverallVerdict = 'regression' | 'within tolerance' | 'inconclusive';

export interface RunRef {
  runId: string;
  scenario: string;
  startedAt: string;
  outcome: string;
}

export interface SideValue {
  /** value: the run's figure, or the median over the side's runs; null when no run has one. */
  value: number | null;
  /** values: each run's figure, in run order, null where the run has none. */
  values: (number | null)[];
  /** n: runs with a value. */
  n: number;
  /** reason: why value is null, or which runs lack a figure. */
  reason?: string;
}

export interface MetricComparison {
  metric: MetricId;
  label: string;
  unit: Unit;
  /** better: which way is better. */
  better: Direction;
  base: SideValue;
  candidate: SideValue;
  /** delta: candidate − base; relativeDelta: delta / |base| (null when base is 0 or a side is missing). */
  delta: number | null;
  relativeDelta: number | null;
  rule: ToleranceRule & { text: string; source: 'default' | 'rules file' };
  verdict: MetricVerdict;
  /** interval: the bootstrap interval of the difference of medians (only with ≥ 2 runs on a side). */
  interval?: { low: number; high: number; level: number; significant: boolean };
  /** reason: why this verdict, in words. */
  reason: string;
}

export interface VariantComparison {
  variant: string;
  verdict: OverallVerdict;
  /** onlyIn: the variant exists on one side only (every metric is then missing). */
  onlyIn?: 'base' | 'candidate';
  metrics: MetricComparison[];
}

export interface ComparisonMethod {
  /** mode: single (one run a side: values compared directly) or repeats (≥ 2 runs on a side). */
  mode: 'single' | 'repeats';
  description: string;
  aggregate: 'median over the side’s runs (mean of the two middle values for an even count)';
  test?: {
    name: 'percentile bootstrap interval of the difference of medians';
    level: number;
    alpha: number;
    resamples: number;
    seed: number;
    generator: string;
  };
  tolerance: string;
  ignored: MetricId[];
}

export interface Comparison {
  version: typeof COMPARE_VERSION;
  verdict: OverallVerdict;
  /** headline: the verdict in one line, for people. */
  headline: string;
  scenario: string;
  /** label: where the side's runs came from (a directory, a baseline), when the caller said. */
  base: { label?: string; runs: RunRef[] };
  candidate: { label?: string; runs: RunRef[] };
  method: ComparisonMethod;
  counts: Record<MetricVerdict, number>;
  variants: VariantComparison[];
  warnings: string[];
}

export interface CompareOptions {
  /** labels: how the two sides are named in the report (a directory, "baseline …"). */
  baseLabel?: string;
  candidateLabel?: string;
}

/**
 * compareRuns: the candidate run(s) against the base run(s), per variant (matched by name) and metric.
 * Throws only on an empty side; everything else that cannot be compared is a `missing` verdict.
 */
export function compareRuns(
  base: readonly ComparableRun[],
  candidate: readonly ComparableRun[],
  rules?: CompareRules,
  options: CompareOptions = {},
): Comparison {
  if (!base.length || !candidate.length) throw new Error('internal: compareRuns needs runs on both sides');
  const resolved = resolveRules(rules);
  const repeats = base.length > 1 || candidate.length > 1;
  const baseVariants = unionOf(base.map(variantsOf));
  const candidateVariants = unionOf(candidate.map(variantsOf));
  const variants = unionOf([baseVariants, candidateVariants]);
  const compared = variants.map((variant): VariantComparison => {
    const onlyIn = !candidateVariants.includes(variant)
      ? 'base'
      : !baseVariants.includes(variant)
        ? 'candidate'
        : undefined;
    const metrics = METRICS.filter((m) => !resolved.ignored.includes(m.id)).map((m) => {
      const b = sideValue(base, variant, m.id);
      const c = sideValue(candidate, variant, m.id);
      return compareMetric(m.id, b, c, resolved, repeats, onlyIn);
    });
    return { variant, verdict: overall(metrics), ...(onlyIn ? { onlyIn } : {}), metrics };
  });
  const all = compared.flatMap((v) => v.metrics);
  const counts = {
    regression: 0,
    improvement: 0,
    'within tolerance': 0,
    inconclusive: 0,
    missing: 0,
  } as Record<MetricVerdict, number>;
  for (const m of all) counts[m.verdict]++;
  const verdict = overall(all);
  const scenario = candidate[0]?.scenario ?? '';
  return {
    version: COMPARE_VERSION,
    verdict,
    headline: headlineOf(verdict, compared),
    scenario,
    base: { ...(options.baseLabel ? { label: options.baseLabel } : {}), runs: base.map(refOf) },
    candidate: {
      ...(options.candidateLabel ? { label: options.candidateLabel } : {}),
      runs: candidate.map(refOf),
    },
    method: methodOf(repeats, resolved),
    counts,
    variants: compared,
    warnings: warningsOf(base, candidate, baseVariants, candidateVariants),
  };
}

function unionOf(lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat())];
}

function refOf(run: ComparableRun): RunRef {
  return {
    runId: run.runId,
    scenario: run.scenario,
    startedAt: run.startedAt,
    outcome: run.verdict?.outcome ?? 'unknown',
  };
}

function sideValue(runs: readonly ComparableRun[], variant: string, id: MetricId): SideValue {
  const figures = runs.map((run) => ({ run, figure: extractMetrics(run, variant)[id] }));
  const values = figures.map((f) => f.figure.value);
  const present = values.filter((v): v is number => v !== null);
  const absent = figures.filter((f) => f.figure.value === null);
  const reasons = [...new Set(absent.map((f) => f.figure.reason ?? 'not measured'))];
  if (!present.length) return { value: null, values, n: 0, reason: reasons.join('; ') };
  return {
    value: median(present),
    values,
    n: present.length,
    ...(absent.length
      ? {
          reason: `${absent.length} of ${runs.length} runs without a value (${absent.map((f) => f.run.runId).join(', ')}: ${reasons.join('; ')})`,
        }
      : {}),
  };
}

function compareMetric(
  id: MetricId,
  base: SideValue,
  candidate: SideValue,
  resolved: ResolvedRules,
  repeats: boolean,
  onlyIn: 'base' | 'candidate' | undefined,
): MetricComparison {
  const def = METRIC_BY_ID.get(id);
  if (!def) throw new Error(`internal: unknown metric ${id}`);
  const { rule, source } = resolved.rules[id];
  const head = {
    metric: id,
    label: def.label,
    unit: def.unit,
    better: def.direction,
    base,
    candidate,
    rule: { ...rule, text: ruleText(def.unit, rule), source },
  };
  if (base.value === null || candidate.value === null) {
    const reason = onlyIn
      ? `the variant is only in the ${onlyIn}`
      : base.value === null && candidate.value === null
        ? base.reason === candidate.reason
          ? `not measured on either side: ${base.reason}`
          : `not measured on either side: base: ${base.reason}; candidate: ${candidate.reason}`
        : base.value === null
          ? `not measured in the base: ${base.reason}`
          : `not measured in the candidate: ${candidate.reason}`;
    return { ...head, delta: null, relativeDelta: null, verdict: 'missing', reason };
  }
  const delta = candidate.value - base.value;
  const relativeDelta = base.value === 0 ? null : delta / Math.abs(base.value);
  const beyond = beyondTolerance(base.value, candidate.value, rule);
  const worse = isWorse(def.direction, delta);
  const change = beyond ? (worse ? 'regression' : 'improvement') : 'within tolerance';
  if (!repeats) {
    return {
      ...head,
      delta,
      relativeDelta,
      verdict: change,
      reason: beyond
        ? `${worse ? 'worse' : 'better'} beyond the tolerance (${head.rule.text})`
        : delta === 0
          ? 'unchanged'
          : `the change is within the tolerance (${head.rule.text})`,
    };
  }
  const present = (s: SideValue) => s.values.filter((v): v is number => v !== null);
  const ci = bootstrapMedianDifference(present(base), present(candidate), {
    alpha: resolved.alpha,
    seed: BOOTSTRAP.seed,
    resamples: BOOTSTRAP.resamples,
  });
  const level = 1 - resolved.alpha;
  const interval = { low: ci.low, high: ci.high, level, significant: ci.significant };
  const ciText = `${round(level * 100)}% interval of the difference ${signed(ci.low, def.unit)} … ${signed(ci.high, def.unit)}`;
  if (!beyond)
    return {
      ...head,
      delta,
      relativeDelta,
      interval,
      verdict: 'within tolerance',
      reason:
        delta === 0
          ? 'the medians are equal'
          : `the change of the medians is within the tolerance (${head.rule.text})`,
    };
  if (ci.significant)
    return {
      ...head,
      delta,
      relativeDelta,
      interval,
      verdict: change,
      reason: `${worse ? 'worse' : 'better'} beyond the tolerance (${head.rule.text}), and the ${ciText} excludes 0`,
    };
  return {
    ...head,
    delta,
    relativeDelta,
    interval,
    verdict: 'inconclusive',
    reason: `the medians differ beyond the tolerance (${head.rule.text}), but the ${ciText} includes 0: the runs vary as much as they differ; more repeats can decide`,
  };
}

function overall(metrics: readonly Pick<MetricComparison, 'verdict'>[]): OverallVerdict {
  if (metrics.some((m) => m.verdict === 'regression')) return 'regression';
  if (metrics.some((m) => m.verdict === 'inconclusive')) return 'inconclusive';
  return 'within tolerance';
}

function headlineOf(verdict: OverallVerdict, variants: readonly VariantComparison[]): string {
  const count = (v: MetricVerdict) =>
    variants.reduce((n, x) => n + x.metrics.filter((m) => m.verdict === v).length, 0);
  const list = (v: MetricVerdict) =>
    variants
      .map((x) => ({
        variant: x.variant,
        labels: x.metrics.filter((m) => m.verdict === v).map((m) => m.label),
      }))
      .filter((x) => x.labels.length)
      .map((x) => `${x.variant}: ${x.labels.join(', ')}`)
      .join('; ');
  const metrics = (n: number) => `${n} metric${n === 1 ? '' : 's'}`;
  const improved = count('improvement');
  const better = improved ? `; ${metrics(improved)} improved (${list('improvement')})` : '';
  if (verdict === 'regression')
    return `REGRESSION — ${metrics(count('regression'))} got worse beyond the tolerance (${list('regression')})${better}`;
  if (verdict === 'inconclusive') {
    const n = count('inconclusive');
    return `INCONCLUSIVE — ${metrics(n)} ${n === 1 ? 'differs' : 'differ'} beyond the tolerance but no more than the runs vary (${list('inconclusive')}); no regression confirmed${better}`;
  }
  return `WITHIN TOLERANCE — no metric got worse beyond its tolerance${better}`;
}

function methodOf(repeats: boolean, resolved: ResolvedRules): ComparisonMethod {
  const tolerance =
    'a change counts when it is beyond every part of the metric’s rule: |Δ| > absolute and |Δ| > relative × |base|; worse is a regression, better an improvement';
  const aggregate = 'median over the side’s runs (mean of the two middle values for an even count)' as const;
  if (!repeats)
    return {
      mode: 'single',
      description:
        'one run a side: each metric’s two values are compared directly against its tolerance; there is no estimate of run-to-run noise (run the scenario with repeat: N for one)',
      aggregate,
      tolerance,
      ignored: resolved.ignored,
    };
  const level = 1 - resolved.alpha;
  return {
    mode: 'repeats',
    description: `two or more runs on a side: each side's value is the median of its runs; a change beyond the tolerance counts only when the ${round(level * 100)}% percentile bootstrap interval of median(candidate) − median(base) (${BOOTSTRAP.resamples} resamples of each side with replacement, ${BOOTSTRAP.generator} seeded ${BOOTSTRAP.seed}) excludes 0, i.e. the difference is significant at α = ${resolved.alpha} (two-sided); otherwise the metric is inconclusive`,
    aggregate,
    test: {
      name: 'percentile bootstrap interval of the difference of medians',
      level,
      alpha: resolved.alpha,
      resamples: BOOTSTRAP.resamples,
      seed: BOOTSTRAP.seed,
      generator: BOOTSTRAP.generator,
    },
    tolerance,
    ignored: resolved.ignored,
  };
}

function warningsOf(
  base: readonly ComparableRun[],
  candidate: readonly ComparableRun[],
  baseVariants: readonly string[],
  candidateVariants: readonly string[],
): string[] {
  const warnings: string[] = [];
  const scenarios = (runs: readonly ComparableRun[]) => [...new Set(runs.map((r) => r.scenario))];
  const [bs, cs] = [scenarios(base), scenarios(candidate)];
  if (bs.length > 1) warnings.push(`the base runs are of different scenarios: ${bs.join(', ')}`);
  if (cs.length > 1) warnings.push(`the candidate runs are of different scenarios: ${cs.join(', ')}`);
  if (bs.length === 1 && cs.length === 1 && bs[0] !== cs[0])
    warnings.push(`the sides are of different scenarios: base ${bs[0]}, candidate ${cs[0]}`);
  for (const [side, runs] of [
    ['base', base],
    ['candidate', candidate],
  ] as const)
    for (const run of runs) {
      const outcome = run.verdict?.outcome;
      if (outcome === 'invalid' || outcome === 'aborted')
        warnings.push(
          `${side} run ${run.runId} is ${outcome.toUpperCase()}${run.verdict.invalidReasons.length ? ` (${run.verdict.invalidReasons.join('; ')})` : ''}: its figures may not be trustworthy`,
        );
    }
  const common = baseVariants.filter((v) => candidateVariants.includes(v));
  if (!common.length)
    warnings.push(
      `no variant in common: base has ${baseVariants.join(', ') || 'none'}, candidate has ${candidateVariants.join(', ') || 'none'}`,
    );
  return warnings;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function signed(value: number, unit: Unit): string {
  const text = formatAmount(value, unit);
  return value > 0 ? `+${text}` : text;
}

// ---- ranking -------------------------------------------------------------------------------------------

/** RANK_CRITERIA: the order in which the ranking decides (lexicographic, tolerance as the tie band). */
export const RANK_CRITERIA = [
  'restarts',
  'probableFalseKills',
  'scaleUpLatency',
  'errorRate',
  'latencyP95',
] as const satisfies readonly MetricId[];
export type RankCriterion = (typeof RANK_CRITERIA)[number];

export interface RankedVariant {
  /** rank: 1 is best; variants no criterion tells apart share a rank. */
  rank: number;
  variant: string;
  values: Record<RankCriterion, number | null>;
  /**
   * decidedBy: the criterion that placed this variant below the one ranked just above it (null for the
   * first, and for a variant tied with the one above).
   */
  decidedBy: RankCriterion | null;
  reason: string;
}

export interface VariantRanking {
  scenario: string;
  runId: string;
  criteria: { metric: RankCriterion; label: string; unit: Unit; better: Direction; rule: string }[];
  method: string;
  ranking: RankedVariant[];
}

interface Entry {
  variant: string;
  values: Record<RankCriterion, number | null>;
  reasons: Record<RankCriterion, string | undefined>;
}

interface Split {
  criterion: RankCriterion;
  /** anchor: the best variant of the band above on this criterion (its value sets the tie band). */
  anchor: Entry;
  below: Entry;
}

/**
 * rankVariants: the variants of one run, best first. Lexicographic over RANK_CRITERIA: on a criterion,
 * the variants whose value is within the tolerance of the best value form a band (a tie) that the next
 * criterion orders; those beyond it come after, ordered the same way among themselves. A variant without
 * a value on a criterion comes after those with one. Ignored metrics (rules) are skipped.
 */
export function rankVariants(report: ComparableRun, rules?: CompareRules): VariantRanking {
  const resolved = resolveRules(rules);
  const criteria = RANK_CRITERIA.filter((c) => !resolved.ignored.includes(c));
  const entries: Entry[] = variantsOf(report).map((variant) => {
    const figures = extractMetrics(report, variant);
    const values = {} as Entry['values'];
    const reasons = {} as Entry['reasons'];
    for (const c of RANK_CRITERIA) {
      values[c] = figures[c].value;
      reasons[c] = figures[c].reason;
    }
    return { variant, values, reasons };
  });
  const { groups, splits } = order(entries, 0, criteria, resolved);
  const ranking: RankedVariant[] = [];
  let rank = 1;
  groups.forEach((group, gi) => {
    group.forEach((e, i) => {
      const split = i === 0 && gi > 0 ? splits[gi - 1] : undefined;
      const others = group.filter((x) => x !== e).map((x) => x.variant);
      const tie = others.length
        ? `; tied with ${others.join(', ')} (every criterion within the tolerance)`
        : '';
      ranking.push({
        rank,
        variant: e.variant,
        values: e.values,
        decidedBy: split?.criterion ?? null,
        reason: split
          ? `${splitReason(split, resolved)}${tie}`
          : gi === 0
            ? `${entries.length === 1 ? 'the only variant' : 'best'}${tie}`
            : `tied with ${others.join(', ')} (every criterion within the tolerance)`,
      });
    });
    rank += group.length;
  });
  return {
    scenario: report.scenario,
    runId: report.runId,
    criteria: criteria.map((c) => {
      const def = METRIC_BY_ID.get(c);
      return {
        metric: c,
        label: def?.label ?? c,
        unit: def?.unit ?? 'count',
        better: def?.direction ?? 'lower',
        rule: ruleText(def?.unit ?? 'count', resolved.rules[c].rule),
      };
    }),
    method: `lexicographic by ${criteria.map((c) => METRIC_BY_ID.get(c)?.label ?? c).join(', ')}: on each criterion, values within the tolerance of the best one are a tie that the next criterion decides; a variant without a value comes after those with one`,
    ranking,
  };
}

function order(
  entries: Entry[],
  ci: number,
  criteria: readonly RankCriterion[],
  resolved: ResolvedRules,
): { groups: Entry[][]; splits: Split[] } {
  const criterion = criteria[ci];
  if (entries.length <= 1 || criterion === undefined)
    return { groups: entries.length ? [[...entries].sort(byName)] : [], splits: [] };
  const def = METRIC_BY_ID.get(criterion);
  const lowerBetter = (def?.direction ?? 'lower') === 'lower';
  const measured = entries.filter((e) => e.values[criterion] !== null);
  const unmeasured = entries.filter((e) => e.values[criterion] === null);
  const groups: Entry[][] = [];
  const splits: Split[] = [];
  let anchor: Entry | undefined;
  const append = (band: Entry[], bandBest: Entry) => {
    const part = order(band, ci + 1, criteria, resolved);
    const first = part.groups[0]?.[0];
    if (anchor && first) splits.push({ criterion, anchor, below: first });
    anchor = bandBest;
    groups.push(...part.groups);
    splits.push(...part.splits);
  };
  let rest = [...measured].sort(
    (a, b) =>
      ((a.values[criterion] as number) - (b.values[criterion] as number)) * (lowerBetter ? 1 : -1) ||
      byName(a, b),
  );
  const { rule } = resolved.rules[criterion];
  while (rest[0]) {
    const best = rest[0];
    const band = rest.filter(
      (e) => !beyondTolerance(best.values[criterion] as number, e.values[criterion] as number, rule),
    );
    rest = rest.filter((e) => !band.includes(e));
    append(band, best);
  }
  if (unmeasured[0]) append(unmeasured, unmeasured[0]);
  return { groups, splits };
}

function byName(a: Entry, b: Entry): number {
  return a.variant < b.variant ? -1 : a.variant > b.variant ? 1 : 0;
}

function splitReason(split: Split, resolved: ResolvedRules): string {
  const def = METRIC_BY_ID.get(split.criterion);
  const unit = def?.unit ?? 'count';
  const anchor = split.anchor.values[split.criterion];
  const below = split.below.values[split.criterion];
  const label = def?.label ?? split.criterion;
  const better = `${split.anchor.variant}'s ${anchor === null ? 'none' : formatAmount(anchor, unit)}`;
  if (below === null)
    return `${label}: not measured (${split.below.reasons[split.criterion] ?? 'no value'}), vs ${better}`;
  return `${label}: ${formatAmount(below, unit)} vs ${better}, beyond the tolerance (${ruleText(unit, resolved.rules[split.criterion].rule)})`;
}
