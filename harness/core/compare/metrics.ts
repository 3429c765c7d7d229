/**
 * The comparable metrics of a run: one flat number per variant and metric, taken from run.json (the k6
 * series' whole-load figures and the cluster-side metrics, docs/metrics.md), each with its direction,
 * unit and default tolerance. A figure that cannot be had is null with the reason, never 0. Pure.
 */
import type { RunReport } from '../../../reports/render.ts';
import {
  availabilityRatio,
  timeToReadyQuantile,
  worstScaleUpLatency,
  type VariantMetrics,
} from '../metrics/index.ts';
import type { VariantSeries } from '../load/series.ts';
import type { RestartCounts } from '../verdict.ts';

/** ComparableRun: the parts of run.json a comparison reads. */
export type ComparableRun = Pick<
  RunReport,
  'runId' | 'scenario' | 'startedAt' | 'series' | 'metrics' | 'restarts' | 'verdict'
>;

export const METRIC_IDS = [
  'errorRate',
  'latencyP95',
  'latencyP99',
  'availability',
  'restarts',
  'restartsLiveness',
  'restartsOom',
  'restartsError',
  'restartsChaos',
  'restartsEviction',
  'restartsUnknown',
  'probableFalseKills',
  'scaleUpLatency',
  'timeToReadyP99',
  'podsNeverReady',
  'errorRateDuringChaos',
  'errorRateDuringRollout',
  'droppedIterations',
] as const;
export type MetricId = (typeof METRIC_IDS)[number];

export type Unit = 'ratio' | 'ms' | 'count';
export type Direction = 'lower' | 'higher';

/**
 * ToleranceRule: a change counts (as a regression when it is worse, an improvement when it is better)
 * when its size is beyond every part that is set: |Δ| > absolute (in the metric's unit) and
 * |Δ| > relative × |base|. absolute 0 means any change.
 */
export interface ToleranceRule {
  absolute?: number;
  relative?: number;
}

export interface MetricValue {
  value: number | null;
  /** reason: why value is null. */
  reason?: string;
}

export interface MetricDef {
  id: MetricId;
  label: string;
  unit: Unit;
  /** direction: which way is better. */
  direction: Direction;
  rule: ToleranceRule;
  /** from: where the figure comes from in run.json. */
  from: string;
  extract: (v: VariantData) => MetricValue;
}

export interface VariantData {
  series: VariantSeries | undefined;
  metrics: VariantMetrics | undefined;
  restarts: RestartCounts | undefined;
  /** hasMetrics: the run has cluster-side metrics at all (run.json of an older version may not). */
  hasMetrics: boolean;
}

export function variantData(run: ComparableRun, variant: string): VariantData {
  return {
    series: run.series?.variants.find((s) => s.variant === variant),
    metrics: run.metrics?.variants.find((m) => m.variant === variant),
    restarts: run.restarts?.find((r) => r.variant === variant),
    hasMetrics: run.metrics !== undefined,
  };
}

/** variantsOf: every variant a run has figures for, in the run's order. */
export function variantsOf(run: ComparableRun): string[] {
  const names = [
    ...(run.series?.variants.map((s) => s.variant) ?? []),
    ...(run.metrics?.variants.map((m) => m.variant) ?? []),
    ...(run.restarts?.map((r) => r.variant) ?? []),
  ];
  return [...new Set(names)];
}

const none = (reason: string): MetricValue => ({ value: null, reason });
const of = (value: number): MetricValue => ({ value });
const NO_SERIES = 'no load series for this variant (it receives no load, or the load never started)';
const NO_METRICS = 'no cluster-side metrics in this run.json (the watchers never ran)';
const NO_VARIANT_METRICS = 'no cluster-side metrics for this variant';

function fromSeries(v: VariantData, pick: (s: VariantSeries) => MetricValue): MetricValue {
  return v.series ? pick(v.series) : none(NO_SERIES);
}

function fromMetrics(v: VariantData, pick: (m: VariantMetrics) => MetricValue): MetricValue {
  if (!v.hasMetrics) return none(NO_METRICS);
  return v.metrics ? pick(v.metrics) : none(NO_VARIANT_METRICS);
}

function latency(q: 'p95' | 'p99') {
  return (v: VariantData) =>
    fromSeries(v, (s) =>
      s.total.latencyMs ? of(s.total.latencyMs[q]) : none('no request latency was recorded'),
    );
}

function restartsBy(cause: 'liveness' | 'oom' | 'error' | 'chaos' | 'eviction' | 'unknown') {
  return (v: VariantData): MetricValue => {
    if (v.metrics) return of(v.metrics.restarts.byCause[cause]);
    if (cause !== 'unknown' && v.restarts) return of(v.restarts.byCause[cause]);
    return none(v.hasMetrics ? NO_VARIANT_METRICS : NO_METRICS);
  };
}

function windowErrorRate(kind: 'chaos' | 'rollout') {
  return (v: VariantData) =>
    fromMetrics(v, (m) => {
      if (!m.availability.defined) return none(m.availability.reason);
      const windows = m.availability.windows.filter((w) => w.kind === kind);
      if (!windows.length) return none(`no ${kind} window for this variant`);
      const requests = windows.reduce((n, w) => n + w.requests, 0);
      const failed = windows.reduce((n, w) => n + w.failed, 0);
      return requests ? of(failed / requests) : none(`no request inside the ${kind} windows`);
    });
}

const ANY_CHANGE: ToleranceRule = { absolute: 0 };

/** METRICS: every comparable metric, in report order, with its default tolerance (docs/compare.md). */
export const METRICS: readonly MetricDef[] = [
  {
    id: 'errorRate',
    label: 'error rate',
    unit: 'ratio',
    direction: 'lower',
    rule: { absolute: 0.005 },
    from: 'series.variants[].total.errorRate (whole load)',
    extract: (v) =>
      fromSeries(v, (s) => (s.total.requests ? of(s.total.errorRate) : none('no request was sent'))),
  },
  {
    id: 'latencyP95',
    label: 'p95 latency',
    unit: 'ms',
    direction: 'lower',
    rule: { relative: 0.2, absolute: 5 },
    from: 'series.variants[].total.latencyMs.p95 (whole load, nearest rank)',
    extract: latency('p95'),
  },
  {
    id: 'latencyP99',
    label: 'p99 latency',
    unit: 'ms',
    direction: 'lower',
    rule: { relative: 0.25, absolute: 10 },
    from: 'series.variants[].total.latencyMs.p99 (whole load, nearest rank)',
    extract: latency('p99'),
  },
  {
    id: 'availability',
    label: 'availability',
    unit: 'ratio',
    direction: 'higher',
    rule: { absolute: 0.001 },
    from: 'successful / total requests over the whole load (availabilityRatio)',
    extract: (v) => {
      if (v.metrics) {
        const a = availabilityRatio(v.metrics);
        return 'ratio' in a ? of(a.ratio) : none(a.reason);
      }
      return fromSeries(v, (s) =>
        s.total.requests ? of(1 - s.total.errors.total / s.total.requests) : none('no request was sent'),
      );
    },
  },
  {
    id: 'restarts',
    label: 'restarts',
    unit: 'count',
    direction: 'lower',
    rule: ANY_CHANGE,
    from: 'metrics.variants[].restarts.total (else restarts[].total)',
    extract: (v) =>
      v.metrics
        ? of(v.metrics.restarts.total)
        : v.restarts
          ? of(v.restarts.total)
          : none(v.hasMetrics ? NO_VARIANT_METRICS : NO_METRICS),
  },
  ...(['liveness', 'oom', 'error', 'chaos', 'eviction', 'unknown'] as const).map((cause): MetricDef => ({
    id: `restarts${cause[0]?.toUpperCase()}${cause.slice(1)}` as MetricId,
    label: `restarts: ${cause}`,
    unit: 'count',
    direction: 'lower',
    rule: ANY_CHANGE,
    from: `metrics.variants[].restarts.byCause.${cause}${cause === 'unknown' ? '' : ' (else restarts[].byCause)'}`,
    extract: restartsBy(cause),
  })),
  {
    id: 'probableFalseKills',
    label: 'probable false kills',
    unit: 'count',
    direction: 'lower',
    rule: ANY_CHANGE,
    from: 'metrics.variants[].restarts.probableFalseKills',
    extract: (v) => fromMetrics(v, (m) => of(m.restarts.probableFalseKills)),
  },
  {
    id: 'scaleUpLatency',
    label: 'worst scale-up latency',
    unit: 'ms',
    direction: 'lower',
    rule: { relative: 0.25, absolute: 10_000 },
    from: 'worstScaleUpLatency: slowest load step start → new pods ready in the EndpointSlice',
    extract: (v) =>
      fromMetrics(v, (m) => {
        const w = worstScaleUpLatency(m);
        return w.ms === null ? none(w.reason) : of(w.ms);
      }),
  },
  {
    id: 'timeToReadyP99',
    label: 'time to ready p99',
    unit: 'ms',
    direction: 'lower',
    rule: { relative: 0.25, absolute: 2_000 },
    from: 'timeToReadyQuantile(0.99): created → Ready of the pods created during the run (arrival)',
    extract: (v) =>
      fromMetrics(v, (m) => {
        const q = timeToReadyQuantile(m, 0.99);
        return q.ms === null ? none(q.reason ?? 'not measured') : of(q.ms);
      }),
  },
  {
    id: 'podsNeverReady',
    label: 'pods never Ready',
    unit: 'count',
    direction: 'lower',
    rule: ANY_CHANGE,
    from: 'metrics.variants[].startup.errored (pods created during the run that never got Ready)',
    extract: (v) => fromMetrics(v, (m) => of(m.startup.errored)),
  },
  {
    id: 'errorRateDuringChaos',
    label: 'error rate during chaos',
    unit: 'ratio',
    direction: 'lower',
    rule: { absolute: 0.01 },
    from: 'metrics.variants[].availability.windows (kind chaos): failed / requests, 1 s windows',
    extract: windowErrorRate('chaos'),
  },
  {
    id: 'errorRateDuringRollout',
    label: 'error rate during rollouts',
    unit: 'ratio',
    direction: 'lower',
    rule: { absolute: 0.01 },
    from: 'metrics.variants[].availability.windows (kind rollout): failed / requests, 1 s windows',
    extract: windowErrorRate('rollout'),
  },
  {
    id: 'droppedIterations',
    label: 'dropped iterations',
    unit: 'count',
    direction: 'lower',
    rule: { relative: 0.5, absolute: 10 },
    from: 'series.variants[].total.droppedIterations (k6 could not start them on time)',
    extract: (v) => fromSeries(v, (s) => of(s.total.droppedIterations)),
  },
];

export const METRIC_BY_ID: ReadonlyMap<MetricId, MetricDef> = new Map(METRICS.map((m) => [m.id, m]));

/** extractMetrics: the flat comparable figures of one variant of one run. */
export function extractMetrics(run: ComparableRun, variant: string): Record<MetricId, MetricValue> {
  const data = variantData(run, variant);
  return Object.fromEntries(METRICS.map((m) => [m.id, m.extract(data)])) as Record<MetricId, MetricValue>;
}

// ---- tolerance -----------------------------------------------------------------------------------------

/** beyondTolerance: whether the change base → candidate is larger than every set part of the rule. */
export function beyondTolerance(base: number, candidate: number, rule: ToleranceRule): boolean {
  const size = Math.abs(candidate - base);
  // A little slack for floating point: 0.015 − 0.010 is not "more than 0.005".
  const eps = 1e-9 * Math.max(1, Math.abs(base), Math.abs(candidate));
  if (rule.absolute !== undefined && !(size - rule.absolute > eps)) return false;
  if (rule.relative !== undefined && !(size - rule.relative * Math.abs(base) > eps)) return false;
  return rule.absolute !== undefined || rule.relative !== undefined;
}

/** isWorse: the direction of a change, for a metric whose better side is `direction`. */
export function isWorse(direction: Direction, delta: number): boolean {
  return direction === 'lower' ? delta > 0 : delta < 0;
}

/** ruleText: the rule as a person reads it, e.g. "Δ > 20% and > 5 ms", "any change". */
export function ruleText(unit: Unit, rule: ToleranceRule): string {
  if ((rule.absolute ?? 0) === 0 && !rule.relative) return 'any change';
  const parts: string[] = [];
  if (rule.relative) parts.push(`> ${trimNumber(rule.relative * 100)}%`);
  if (rule.absolute)
    parts.push(
      `> ${
        unit !== 'ms'
          ? trimNumber(rule.absolute, 6)
          : rule.absolute >= 1000
            ? `${trimNumber(rule.absolute / 1000, 3)} s`
            : `${trimNumber(rule.absolute, 3)} ms`
      }`,
    );
  return `Δ ${parts.join(' and ')}`;
}

/** formatAmount: a value in its unit: 0.0123, 129.0 ms, 2.25 s, 44.9 s, 4. */
export function formatAmount(value: number, unit: Unit): string {
  if (value === 0) return '0';
  if (unit === 'ms') {
    const a = Math.abs(value);
    if (a >= 10_000) return `${(value / 1000).toFixed(1)} s`;
    if (a >= 1000) return `${(value / 1000).toFixed(2)} s`;
    return `${value.toFixed(1)} ms`;
  }
  if (unit === 'ratio') return trimNumber(value, 4);
  return trimNumber(value, 1);
}

function trimNumber(value: number, digits = 2): string {
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(digits).replace(/\.?0+$/, '') || '0';
}
