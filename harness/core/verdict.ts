/**
 * The verdict of a run: every SLO of the scenario becomes a check per loaded variant (pass, fail, or not
 * evaluated, with the measured value, the threshold and the reason), and the run's validity is judged
 * apart from the SLOs: a fault that was not verified, a forced removal, something left behind, a load that
 * did not run as planned, or a check this version cannot evaluate make the run invalid — never passed.
 * Pure.
 *
 * Clocks: k6 windows are epoch µs of the load generator; fault and rollout windows are epoch ms of the
 * harness. Both are this host's wall clock (k6 runs here), so they are compared directly; 1 s windows
 * bound the precision of every "during" figure.
 */
import type { Slos } from '../config/v1alpha1.ts';
import { durationMs } from './duration.ts';
import type { IntervalStats, LoadSeries, VariantSeries } from './load/series.ts';
import {
  availabilityRatio,
  timeToReadyQuantile,
  worstScaleUpLatency,
  type RunMetrics,
  type VariantMetrics,
} from './metrics/index.ts';

export const RESTART_CAUSES = ['liveness', 'oom', 'error', 'chaos', 'eviction'] as const;
export type RestartCause = (typeof RESTART_CAUSES)[number];

export interface RestartCounts {
  variant: string;
  /** total: the sum of the restart counts of the variant's pods that exist at the end of the run. */
  total: number;
  byCause: Record<RestartCause, number>;
}

export interface Window {
  label: string;
  /** variant is the deployment the window concerns (a fault or rollout of one variant). */
  variant: string;
  /** fromMs/toMs: epoch ms, this host's wall clock. */
  fromMs: number;
  toMs: number;
}

export interface FaultResult {
  name: string;
  action: string;
  at: string;
  state: 'injected' | 'failing' | 'pending';
  reason?: string;
  /** variant: the deployment the fault targets; injectedAtMs: when it was applied (host, ms), if injected. */
  variant?: string;
  injectedAtMs?: number;
  forced: boolean;
  neverInjected: boolean;
}

export interface RunObservations {
  /** variants are the loaded variants (those with a k6 scenario). */
  variants: string[];
  series: LoadSeries | undefined;
  loadOutcome: 'completed' | 'thresholds-crossed' | 'aborted' | 'failed' | 'not-started';
  chaosWindows: Window[];
  rolloutWindows: Window[];
  restarts: RestartCounts[];
  faults: FaultResult[];
  /** leftovers: what removal could not undo (chaos resources, rules acting on traffic). */
  leftovers: string[];
  aborted: boolean;
  /** metrics: what the watchers' observations measure (undefined when the watchers never ran). */
  metrics?: RunMetrics;
  /** hpaVariants: the loaded variants that have an HPA (the scale-up SLO applies to them). */
  hpaVariants?: string[];
}

export interface Check {
  /** name is the SLO's path in the scenario, e.g. slos.latency.p95. */
  name: string;
  variant: string;
  status: 'pass' | 'fail' | 'not-evaluated';
  measured?: string;
  threshold: string;
  reason: string;
}

export interface Verdict {
  outcome: 'passed' | 'failed' | 'invalid' | 'aborted';
  checks: Check[];
  invalidReasons: string[];
}

/** MAX_DROPPED_FRACTION: above this share of dropped iterations the load did not run as planned. */
export const MAX_DROPPED_FRACTION = 0.01;

/**
 * MAX_UNMEASURED_FRACTION: above this share of pods whose startup could not be timed (their Ready seen
 * only in a relist, or timestamps missing), the startup figures are not trustworthy. Pods that never got
 * Ready are a finding, not a measurement error, and do not count here.
 */
export const MAX_UNMEASURED_FRACTION = 0.1;

/** MAX_RESUMED_GAP_MS: a watch resumed from its resourceVersion loses nothing, but arrival times inside a
 * longer gap are off by more than the figures' precision claims. */
export const MAX_RESUMED_GAP_MS = 5_000;

export function judgeRun(slos: Slos, obs: RunObservations): Verdict {
  const checks: Check[] = [];
  for (const variant of obs.variants) {
    const series = obs.series?.variants.find((v) => v.variant === variant);
    const restarts = obs.restarts.find((r) => r.variant === variant);
    const metrics = obs.metrics?.variants.find((v) => v.variant === variant);
    checks.push(...checksFor(slos, variant, series, restarts, obs, metrics));
  }
  const invalidReasons: string[] = [];
  for (const fault of obs.faults) {
    if (fault.state !== 'injected')
      invalidReasons.push(
        `${fault.name} (${fault.action} at ${fault.at}): ${fault.reason ?? 'not verified as injected in time'}`,
      );
    if (fault.forced)
      invalidReasons.push(`${fault.name}: Chaos Mesh did not finish recovering it; it was forced (dirty)`);
  }
  invalidReasons.push(...obs.leftovers.map((l) => `left behind: ${l}`));
  if (obs.loadOutcome === 'failed' || obs.loadOutcome === 'not-started')
    invalidReasons.push(`the load ${obs.loadOutcome === 'failed' ? 'failed' : 'never started'}`);
  for (const v of obs.series?.variants ?? []) {
    const { droppedIterations, iterations } = v.total;
    if (droppedIterations > MAX_DROPPED_FRACTION * (iterations + droppedIterations))
      invalidReasons.push(
        `${v.variant}: k6 dropped ${droppedIterations} of ${iterations + droppedIterations} iterations; the load generator could not keep the planned rate`,
      );
  }
  if (obs.metrics) {
    for (const gap of obs.metrics.watch.gaps)
      if (/410/.test(gap.reason ?? '') || gap.toMs - gap.fromMs > MAX_RESUMED_GAP_MS)
        invalidReasons.push(
          `the ${gap.kind} watch was down for ${((gap.toMs - gap.fromMs) / 1000).toFixed(1)} s (${gap.reason ?? 'no reason given'}); changes in that time have late or relisted times`,
        );
    for (const v of obs.metrics.variants) {
      const { startupPopulation, startupUnmeasured } = v.validity;
      if (startupPopulation && startupUnmeasured > MAX_UNMEASURED_FRACTION * startupPopulation)
        invalidReasons.push(
          `${v.variant}: the startup of ${startupUnmeasured} of ${startupPopulation} pods could not be timed (more than ${MAX_UNMEASURED_FRACTION * 100}%)`,
        );
    }
  } else if (!obs.aborted && obs.loadOutcome !== 'not-started')
    invalidReasons.push('the watchers recorded nothing: no cluster-side measurement');
  const notEvaluated = checks.filter((c) => c.status === 'not-evaluated');
  if (notEvaluated.length)
    invalidReasons.push(
      `${notEvaluated.length} check(s) could not be evaluated: ${[...new Set(notEvaluated.map((c) => c.name))].join(', ')}`,
    );
  const outcome = obs.aborted
    ? 'aborted'
    : invalidReasons.length
      ? 'invalid'
      : checks.some((c) => c.status === 'fail')
        ? 'failed'
        : 'passed';
  return { outcome, checks, invalidReasons };
}

function checksFor(
  slos: Slos,
  variant: string,
  series: VariantSeries | undefined,
  restarts: RestartCounts | undefined,
  obs: RunObservations,
  metrics: VariantMetrics | undefined,
): Check[] {
  const checks: Check[] = [];
  const noLoad = 'no load series for this variant';
  const atMost = (name: string, measured: number | undefined, max: number, unit: string, what: string) => {
    if (measured === undefined)
      return checks.push({
        name,
        variant,
        status: 'not-evaluated',
        threshold: `≤ ${max}${unit}`,
        reason: what,
      });
    const pass = measured <= max;
    checks.push({
      name,
      variant,
      status: pass ? 'pass' : 'fail',
      measured: `${round(measured)}${unit}`,
      threshold: `≤ ${max}${unit}`,
      reason: `${what}: ${round(measured)}${unit} ${pass ? '≤' : '>'} ${max}${unit}`,
    });
  };

  if (slos.restarts?.max !== undefined)
    atMost('slos.restarts.max', restarts?.total, slos.restarts.max, '', 'container restarts');
  for (const cause of RESTART_CAUSES) {
    const max = slos.restarts?.byCause?.[cause];
    if (max !== undefined)
      atMost(
        `slos.restarts.byCause.${cause}`,
        restarts?.byCause[cause],
        max,
        '',
        `restarts caused by ${cause}`,
      );
  }
  const rate = (stats: Pick<IntervalStats, 'requests' | 'errors'>[]) => {
    const requests = stats.reduce((n, s) => n + s.requests, 0);
    const errors = stats.reduce((n, s) => n + s.errors.total, 0);
    return requests ? errors / requests : undefined;
  };
  if (slos.errorRate?.max !== undefined)
    atMost(
      'slos.errorRate.max',
      series ? series.total.errorRate : undefined,
      slos.errorRate.max,
      '',
      series
        ? `error rate over the whole load (${series.total.errors.total} of ${series.total.requests})`
        : noLoad,
    );
  for (const [key, windows, none] of [
    ['duringChaos', obs.chaosWindows, 'no fault was injected into this variant'],
    ['duringRollout', obs.rolloutWindows, 'no rollout of this variant happened'],
  ] as const) {
    const max = slos.errorRate?.[key];
    if (max === undefined) continue;
    const mine = windows.filter((x) => x.variant === variant);
    const inside = (series?.windows ?? []).filter((w) =>
      mine.some((x) => w.toUs / 1000 > x.fromMs && w.fromUs / 1000 < x.toMs),
    );
    const measured = mine.length ? rate(inside) : undefined;
    atMost(
      `slos.errorRate.${key}`,
      measured,
      max,
      '',
      !series
        ? noLoad
        : !mine.length
          ? none
          : measured === undefined
            ? 'no request inside the windows'
            : `error rate in ${mine.map((w) => w.label).join(', ')} (1 s windows)`,
    );
  }
  for (const q of ['p50', 'p95', 'p99'] as const) {
    const limit = slos.latency?.[q];
    if (limit === undefined) continue;
    atMost(
      `slos.latency.${q}`,
      series?.total.latencyMs?.[q],
      durationMs(limit),
      ' ms',
      series ? `${q} latency of ${series.total.latencyMs?.count ?? 0} requests (nearest rank)` : noLoad,
    );
  }
  const noMetrics = 'the watchers recorded nothing for this variant';
  if (slos.scaleUp && (obs.hpaVariants ?? [variant]).includes(variant)) {
    const worst = metrics ? worstScaleUpLatency(metrics) : undefined;
    atMost(
      'slos.scaleUp.maxLatency',
      worst?.ms === null || worst === undefined ? undefined : worst.ms / 1000,
      durationMs(slos.scaleUp.maxLatency) / 1000,
      ' s',
      !worst
        ? noMetrics
        : worst.ms === null
          ? worst.reason
          : `slowest step (${worst.step}): load step start → new pods ready in the EndpointSlice (${worst.source})`,
    );
  }
  if (slos.timeToReady) {
    const q = metrics ? timeToReadyQuantile(metrics, 1) : undefined;
    atMost(
      'slos.timeToReady.max',
      q?.ms === null || q === undefined ? undefined : q.ms / 1000,
      durationMs(slos.timeToReady.max) / 1000,
      ' s',
      !q
        ? noMetrics
        : q.ms === null
          ? (q.reason ?? 'not measured')
          : `slowest of ${q.n} pod(s) created during the run, created → Ready (${q.source})${q.errored ? `; ${q.errored} never Ready` : ''}`,
    );
    // A pod that never got Ready is slower than any threshold.
    const last = checks.at(-1);
    if (last && q && q.errored > 0 && last.status === 'pass')
      Object.assign(last, {
        status: 'fail',
        reason: `${last.reason}; fails because ${q.errored} pod(s) never got Ready`,
      });
  }
  if (slos.availability) {
    const a = metrics ? availabilityRatio(metrics) : undefined;
    const min = slos.availability.min;
    if (!a || !('ratio' in a))
      checks.push({
        name: 'slos.availability.min',
        variant,
        status: 'not-evaluated',
        threshold: `≥ ${min}`,
        reason: !a ? noMetrics : a.reason,
      });
    else {
      const { ratio, successful, total } = a;
      const pass = ratio >= min;
      checks.push({
        name: 'slos.availability.min',
        variant,
        status: pass ? 'pass' : 'fail',
        measured: round(ratio),
        threshold: `≥ ${min}`,
        reason: `successful requests ${successful} of ${total}: ${round(ratio)} ${pass ? '≥' : '<'} ${min}`,
      });
    }
  }
  return checks;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 1 ? 4 : 1);
}

/** RUN_EXIT: exit codes of `probelab run`, documented in the README. */
export const RUN_EXIT = {
  passed: 0,
  failed: 1,
  invalid: 2,
  error: 3,
  /** abortedDirty: interrupted, and the cleanup could not finish (see the report's leftovers; `probelab clean`). */
  abortedDirty: 4,
  sigint: 130,
  sigterm: 143,
} as const;

export function exitCodeOf(verdict: Verdict): number {
  return verdict.outcome === 'passed'
    ? RUN_EXIT.passed
    : verdict.outcome === 'failed'
      ? RUN_EXIT.failed
      : RUN_EXIT.invalid;
}
