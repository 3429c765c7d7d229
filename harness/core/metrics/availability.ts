/**
 * Availability from the k6 series: per load step (the series' step stats: requests attributed by the
 * step their iteration started in, exact nearest-rank latency) and per window (baseline, each chaos
 * window, each rollout window of the variant) from the 1 s windows. A 1 s window belongs to a window when
 * any part of it overlaps, so a window's figures cover up to 1 s more on each side. Latency quantiles of
 * 1 s windows cannot be merged exactly (the series keeps no samples), so a window reports the largest
 * 1 s window's p50/p95/p99 — an upper bound of the true quantile, labelled so. Also the SLO recovery
 * (first of M consecutive good 1 s windows). Pure.
 */
import type { Slos } from '../../config/v1alpha1.ts';
import { durationMs } from '../duration.ts';
import type { ErrorCounts, IntervalStats, VariantSeries } from '../load/series.ts';
import type { Window } from '../verdict.ts';
import { type Duration, measured, missing, overlaps, SOURCES } from './common.ts';

export const WINDOW_LATENCY_METHOD =
  'max over the 1 s windows of their nearest-rank quantile (an upper bound; 1 s quantiles cannot be merged)';
export const STEP_LATENCY_METHOD = 'nearest rank over every request of the interval (exact)';

export interface Availability {
  label: string;
  kind: 'baseline' | 'chaos' | 'rollout' | 'step' | 'load';
  /** fromMs/toMs: epoch ms (null for the baseline, which is the load time outside every other window). */
  fromMs: number | null;
  toMs: number | null;
  /** buckets: 1 s windows counted (for a step: null, the step's own stats are used). */
  buckets: number | null;
  requests: number;
  successful: number;
  failed: number;
  /** errorRate and ratio (successful / requests) are null without requests. */
  errorRate: number | null;
  ratio: number | null;
  droppedIterations: number;
  errors: ErrorCounts;
  latencyMs: { method: string; p50: number | null; p95: number | null; p99: number | null };
  source: string;
}

export interface RecoveryThresholds {
  p95Ms?: number;
  errorRateMax?: number;
}

export function recoveryThresholds(slos: Slos): RecoveryThresholds {
  return {
    ...(slos.latency?.p95 !== undefined ? { p95Ms: durationMs(slos.latency.p95) } : {}),
    ...(slos.errorRate?.max !== undefined ? { errorRateMax: slos.errorRate.max } : {}),
  };
}

function emptyErrors(): ErrorCounts {
  return { total: 0, byStatusClass: {}, byKind: { refused: 0, reset: 0, timeout: 0, other: 0 } };
}

function addErrors(into: ErrorCounts, e: ErrorCounts): void {
  into.total += e.total;
  for (const [k, n] of Object.entries(e.byStatusClass))
    into.byStatusClass[k] = (into.byStatusClass[k] ?? 0) + n;
  for (const k of Object.keys(into.byKind) as (keyof ErrorCounts['byKind'])[]) into.byKind[k] += e.byKind[k];
}

/** aggregate: the sums over 1 s windows, with the max of their quantiles. */
export function aggregate(
  windows: readonly IntervalStats[],
  meta: Pick<Availability, 'label' | 'kind' | 'fromMs' | 'toMs'>,
): Availability {
  const errors = emptyErrors();
  let requests = 0;
  let dropped = 0;
  const maxOf = (q: 'p50' | 'p95' | 'p99') => {
    const values = windows.flatMap((w) => (w.latencyMs ? [w.latencyMs[q]] : []));
    return values.length ? Math.max(...values) : null;
  };
  for (const w of windows) {
    requests += w.requests;
    dropped += w.droppedIterations;
    addErrors(errors, w.errors);
  }
  return {
    ...meta,
    buckets: windows.length,
    requests,
    successful: requests - errors.total,
    failed: errors.total,
    errorRate: requests ? errors.total / requests : null,
    ratio: requests ? (requests - errors.total) / requests : null,
    droppedIterations: dropped,
    errors,
    latencyMs: { method: WINDOW_LATENCY_METHOD, p50: maxOf('p50'), p95: maxOf('p95'), p99: maxOf('p99') },
    source: SOURCES.k6Window,
  };
}

/** intervalAvailability: one interval of the series (a step, the whole load), with its exact quantiles. */
export function intervalAvailability(
  s: IntervalStats,
  meta: Pick<Availability, 'label' | 'kind' | 'fromMs' | 'toMs'>,
  source: string,
): Availability {
  const errors = emptyErrors();
  addErrors(errors, s.errors);
  return {
    ...meta,
    buckets: null,
    requests: s.requests,
    successful: s.requests - s.errors.total,
    failed: s.errors.total,
    errorRate: s.requests ? s.errors.total / s.requests : null,
    ratio: s.requests ? (s.requests - s.errors.total) / s.requests : null,
    droppedIterations: s.droppedIterations,
    errors,
    latencyMs: {
      method: STEP_LATENCY_METHOD,
      p50: s.latencyMs?.p50 ?? null,
      p95: s.latencyMs?.p95 ?? null,
      p99: s.latencyMs?.p99 ?? null,
    },
    source,
  };
}

export function stepAvailability(series: VariantSeries, loadStartMs: number | undefined): Availability[] {
  return series.steps.map((s) =>
    intervalAvailability(
      s,
      {
        label: `step ${s.step} (${s.rps} rps)`,
        kind: 'step',
        fromMs:
          loadStartMs !== undefined && s.fromMs !== undefined ? loadStartMs + s.fromMs : s.fromUs / 1000,
        toMs: loadStartMs !== undefined && s.toMs !== undefined ? loadStartMs + s.toMs : s.toUs / 1000,
      },
      'k6 point time (µs); requests by the step their iteration started in',
    ),
  );
}

const inWindow = (w: IntervalStats, x: { fromMs: number; toMs: number }) =>
  overlaps(w.fromUs / 1000, w.toUs / 1000, x.fromMs, x.toMs);

/** windowAvailability: the baseline (load outside every chaos and rollout window), then each window. */
export function windowAvailability(
  series: VariantSeries,
  chaosWindows: readonly Window[],
  rolloutWindows: readonly Window[],
): Availability[] {
  const all = [...chaosWindows, ...rolloutWindows];
  const baseline = series.windows.filter((w) => !all.some((x) => inWindow(w, x)));
  return [
    aggregate(baseline, { label: 'baseline', kind: 'baseline', fromMs: null, toMs: null }),
    ...chaosWindows.map((x) =>
      aggregate(
        series.windows.filter((w) => inWindow(w, x)),
        { label: x.label, kind: 'chaos', fromMs: x.fromMs, toMs: x.toMs },
      ),
    ),
    ...rolloutWindows.map((x) =>
      aggregate(
        series.windows.filter((w) => inWindow(w, x)),
        { label: x.label, kind: 'rollout', fromMs: x.fromMs, toMs: x.toMs },
      ),
    ),
  ];
}

/** goodWindow: a 1 s window with requests, p95 ≤ the threshold and error rate ≤ the threshold. */
function goodWindow(w: IntervalStats, t: RecoveryThresholds): boolean {
  if (w.requests === 0) return false;
  if (t.p95Ms !== undefined && (w.latencyMs === undefined || w.latencyMs.p95 > t.p95Ms)) return false;
  if (t.errorRateMax !== undefined && w.errorRate > t.errorRateMax) return false;
  return true;
}

/**
 * sloRecovery: fromMs → the start of the first of `m` consecutive (contiguous) 1 s windows that meet the
 * thresholds, searched in windows overlapping [fromMs, untilMs); 0 when the first windows already do.
 */
export function sloRecovery(
  windows: readonly IntervalStats[] | undefined,
  fromMs: number,
  untilMs: number,
  thresholds: RecoveryThresholds,
  m: number,
  fromSource: (typeof SOURCES)[keyof typeof SOURCES] = SOURCES.plan,
): Duration {
  if (thresholds.p95Ms === undefined && thresholds.errorRateMax === undefined)
    return missing('recovery not defined: neither slos.latency.p95 nor slos.errorRate.max is set');
  if (!windows) return missing('no load series for this variant');
  const candidates = windows
    .filter((w) => overlaps(w.fromUs / 1000, w.toUs / 1000, fromMs, untilMs))
    .sort((a, b) => a.fromUs - b.fromUs);
  let runStart: IntervalStats | undefined;
  let runLength = 0;
  let previous: IntervalStats | undefined;
  for (const w of candidates) {
    const contiguous = previous !== undefined && previous.toUs === w.fromUs;
    if (!goodWindow(w, thresholds)) {
      runStart = undefined;
      runLength = 0;
    } else if (runStart && contiguous) runLength++;
    else {
      runStart = w;
      runLength = 1;
    }
    previous = w;
    if (runStart && runLength >= m)
      return measured(Math.max(0, runStart.fromUs / 1000 - fromMs), fromSource, SOURCES.k6Window);
  }
  const what = [
    thresholds.p95Ms !== undefined ? `p95 ≤ ${thresholds.p95Ms} ms` : undefined,
    thresholds.errorRateMax !== undefined ? `error rate ≤ ${thresholds.errorRateMax}` : undefined,
  ]
    .filter(Boolean)
    .join(' and ');
  return missing(`no ${m} consecutive 1 s windows with ${what} before the end of the interval`);
}
