/**
 * The metrics of a run: what the watchers saw (observations), the k6 series and the run's windows turned
 * into per-variant measurements, each with its timestamp source (docs/metrics.md defines every one).
 * JSON-serialisable (it goes into run.json): durations are ms with a source, or null with a reason.
 * Pure.
 */
import type { Hpa, Probe, Slos } from '../../config/v1alpha1.ts';
import type { StageWindow } from '../load-shape.ts';
import { nearestRank, type LoadSeries } from '../load/series.ts';
import type { Observation } from '../observations.ts';
import type { RestartCounts, Window } from '../verdict.ts';
import {
  type Availability,
  intervalAvailability,
  recoveryThresholds,
  stepAvailability,
  windowAvailability,
} from './availability.ts';
import { type Duration, isMeasured, type Measured, type Missing, missing, SOURCES } from './common.ts';
import { configPropagation, type ConfigPropagation, type ConfigUpdate } from './config.ts';
import { buildHistories } from './history.ts';
import { startupMetrics, type StartupMetrics } from './pods.ts';
import { probeFailureMetrics, type ProbeFailureMetrics } from './probes.ts';
import { faultRecovery, type FaultRecovery } from './recovery.ts';
import { killWindowsOf, restartMetrics, type RestartMetrics } from './restarts.ts';
import { type NotDefined, scalingMetrics, type ScalingMetrics } from './scaling.ts';
import { watchHealth, type WatchHealth } from './watch.ts';
import { readyPodsTimeline, type ReadyPodsTimeline } from './ready.ts';

export { SOURCES, type Duration, type Measured, type Missing } from './common.ts';
export {
  STEP_LATENCY_METHOD,
  WINDOW_LATENCY_METHOD,
  sloRecovery,
  type Availability,
  type RecoveryThresholds,
} from './availability.ts';
export type { ConfigPropagation, ConfigUpdate, PodPropagation } from './config.ts';
export { hpaScaleUpFloor, HPA_MODEL, rampSteps, type HpaFloor, type RampStep } from './hpa-floor.ts';
export type { Quantiles } from './quantiles.ts';
export type { EdgeQuantiles, PodStartup, StartupMetrics } from './pods.ts';
export type { ProbeFailureMetrics, ProbeType, ProbeTypeFailures } from './probes.ts';
export type { FaultRecovery, InPlacePod, ReplacedPod } from './recovery.ts';
export type {
  ContainerRestarts,
  LivenessKill,
  Restart,
  RestartCauseOrUnknown,
  RestartMetrics,
} from './restarts.ts';
export type {
  DesiredPoint,
  NotDefined,
  ProvisionedPod,
  ScaleDownStep,
  ScaleUpStep,
  ScalingMetrics,
} from './scaling.ts';
export type { WatchGap, WatchHealth } from './watch.ts';

export type { ReadyPodsTimeline, ReadyPoint } from './ready.ts';

export const METRICS_VERSION = 'probelab.dev/metrics/v1';
export const DEFAULT_RECOVERY_WINDOWS = 5;
export const DEFAULT_FALSE_KILL_TRAFFIC_SECONDS = 10;

export interface MetricsVariant {
  name: string;
  loaded: boolean;
  hpa?: Hpa;
  probes?: { startup?: Probe; liveness?: Probe; readiness?: Probe };
}

export interface MetricsInput {
  observations: readonly Observation[];
  series: LoadSeries | undefined;
  /** stages: the planned steps, offsets from loadStartMs. */
  stages: readonly StageWindow[];
  /** loadStartMs: host epoch ms when k6 started (the clock of arrivalMs). */
  loadStartMs: number | undefined;
  /** runWindow: the watchers' start … end, host epoch ms. */
  runWindow: { fromMs: number; toMs: number };
  variants: readonly MetricsVariant[];
  chaosWindows: readonly Window[];
  rolloutWindows: readonly Window[];
  faults: readonly { name: string; action: string; variant: string; injectedAtMs?: number }[];
  configUpdates: readonly ConfigUpdate[];
  /** slos: recovery thresholds come from slos.latency.p95 and slos.errorRate.max. */
  slos: Slos;
  /** recoveryWindows: M consecutive good 1 s windows for an SLO recovery (default 5). */
  recoveryWindows?: number;
  /** falseKillTrafficSeconds: N of the probable false kill rule (default 10). */
  falseKillTrafficSeconds?: number;
}

export interface VariantValidity {
  /** startupPopulation / startupErrored: pods created during the run, and those never Ready. */
  startupPopulation: number;
  startupErrored: number;
  /** startupUnmeasured: pods that got Ready but whose created → ready time is unknown (arrival basis). */
  startupUnmeasured: number;
  /** erroredFraction: (errored + unmeasured) / population; null without pods. */
  erroredFraction: number | null;
  restartsSeenInRelist: number;
  probeFailuresSeenInRelist: number;
  /** scaleUpStepsUnknown: load increases whose HPA data was missing. */
  scaleUpStepsUnknown: number;
}

export interface VariantMetrics {
  variant: string;
  loaded: boolean;
  /** loadStart: the time steps are placed from (input loadStartMs, else the k6 scenario start). */
  loadStart: { ms: number | null; source: string };
  scaling: ScalingMetrics | NotDefined;
  restarts: RestartMetrics;
  probeFailures: ProbeFailureMetrics;
  startup: StartupMetrics;
  /** readyPods: the number of Ready pods over the run, after every change (arrival times); absent in
   * run.json files written before it was measured. */
  readyPods?: ReadyPodsTimeline;
  availability:
    { defined: true; overall: Availability; steps: Availability[]; windows: Availability[] } | NotDefined;
  chaosRecovery: FaultRecovery[];
  configPropagation: ConfigPropagation[];
  validity: VariantValidity;
}

export interface RunMetrics {
  version: typeof METRICS_VERSION;
  runWindow: { fromMs: number; toMs: number };
  recoveryWindows: number;
  falseKillTrafficSeconds: number;
  /** sources: the clocks the figures name, with their precision. */
  sources: typeof SOURCES;
  variants: VariantMetrics[];
  watch: WatchHealth;
}

export function computeMetrics(input: MetricsInput): RunMetrics {
  const recoveryWindows = input.recoveryWindows ?? DEFAULT_RECOVERY_WINDOWS;
  const falseKillTrafficSeconds = input.falseKillTrafficSeconds ?? DEFAULT_FALSE_KILL_TRAFFIC_SECONDS;
  const names = input.variants.map((v) => v.name);
  const h = buildHistories(input.observations, names, input.runWindow.fromMs);
  const thresholds = recoveryThresholds(input.slos);

  const variants = input.variants.map((v): VariantMetrics => {
    const series = input.series?.variants.find((s) => s.variant === v.name);
    const pods = h.pods.filter((p) => p.variant === v.name);
    const events = h.events.filter((e) => {
      const o = e.states.at(-1)?.object.involvedObject;
      return (o?.kind === undefined || o.kind === 'Pod') && h.variantOfPodName(o?.name) === v.name;
    });
    const chaosWindows = input.chaosWindows.filter((w) => w.variant === v.name);
    const rolloutWindows = input.rolloutWindows.filter((w) => w.variant === v.name);
    const loadStartMs =
      input.loadStartMs ?? (series?.loadStartUs !== undefined ? series.loadStartUs / 1000 : undefined);
    const loadStart = {
      ms: loadStartMs ?? null,
      source:
        input.loadStartMs !== undefined
          ? SOURCES.harness
          : loadStartMs !== undefined
            ? `k6 ${series?.loadStartSource ?? 'scenario start'} (host clock, µs)`
            : 'none: the load never started',
    };
    const windows = series?.windows;

    const scaling = scalingMetrics({
      hpa: v.hpa,
      observed: h.hpas.get(v.name),
      pods,
      slices: h.slices.get(v.name),
      stages: input.stages,
      loadStartMs,
      runWindow: input.runWindow,
      windows,
      thresholds,
      recoveryWindows,
      probes: v.probes,
    });
    const restarts = restartMetrics({
      pods,
      events,
      runWindow: input.runWindow,
      killWindows: killWindowsOf(v.name, input.chaosWindows, input.faults),
      series,
      probes: v.probes,
      falseKillTrafficSeconds,
    });
    const probeFailures = probeFailureMetrics(events, input.runWindow);
    const startup = startupMetrics(pods);
    const availability: VariantMetrics['availability'] = !v.loaded
      ? { defined: false, reason: 'the variant receives no load' }
      : !series
        ? { defined: false, reason: 'no load series for this variant' }
        : {
            defined: true,
            overall: intervalAvailability(
              series.total,
              {
                label: 'whole load',
                kind: 'load',
                fromMs: series.total.fromUs / 1000,
                toMs: series.total.toUs / 1000,
              },
              'k6 point time (µs)',
            ),
            steps: stepAvailability(series, loadStartMs),
            windows: windowAvailability(series, chaosWindows, rolloutWindows),
          };
    const chaosRecovery = input.faults
      .filter((f) => f.variant === v.name)
      .map((fault) =>
        faultRecovery({
          fault,
          pods,
          chaosWindows,
          runWindow: input.runWindow,
          windows,
          thresholds,
          recoveryWindows,
        }),
      );
    const configs = input.configUpdates
      .filter((u) => u.variant === v.name)
      .map((u) => configPropagation(u, pods));
    const ttr = startup.edges.createdToReady;
    const unmeasured = ttr.unmeasured.arrival;
    return {
      variant: v.name,
      loaded: v.loaded,
      loadStart,
      scaling,
      restarts,
      probeFailures,
      startup,
      readyPods: readyPodsTimeline(pods),
      availability,
      chaosRecovery,
      configPropagation: configs,
      validity: {
        startupPopulation: startup.population,
        startupErrored: startup.errored,
        startupUnmeasured: unmeasured,
        erroredFraction: startup.population ? (startup.errored + unmeasured) / startup.population : null,
        restartsSeenInRelist: restarts.restarts.filter((r) => r.relisted).length,
        probeFailuresSeenInRelist: probeFailures.relistedOccurrences,
        scaleUpStepsUnknown: scaling.defined
          ? scaling.scaleUp.filter((s) => s.outcome === 'unknown').length
          : 0,
      },
    };
  });

  return {
    version: METRICS_VERSION,
    runWindow: { ...input.runWindow },
    recoveryWindows,
    falseKillTrafficSeconds,
    sources: SOURCES,
    variants,
    watch: watchHealth(h),
  };
}

// ---- helpers for the verdict ---------------------------------------------------------------------------

/**
 * worstScaleUpLatency: the largest step start → new pods ready in the EndpointSlice over the load steps
 * that scaled. A step that scaled but whose pods never got there makes it missing (it is worse than any
 * number); missing too when no step scaled.
 */
export function worstScaleUpLatency(v: VariantMetrics): (Measured & { step: number }) | Missing {
  if (!v.scaling.defined) return missing(v.scaling.reason);
  const scaled = v.scaling.scaleUp.filter((s) => s.outcome === 'scaled');
  if (!scaled.length)
    return missing(
      v.scaling.scaleUp.length
        ? `no load step raised desiredReplicas (${v.scaling.scaleUp.map((s) => `step ${s.step}: ${s.reason}`).join('; ')})`
        : (v.scaling.stepsReason ?? 'no load step raises the load'),
    );
  const unfinished = scaled.find((s) => !isMeasured(s.scaleUpLatency));
  if (unfinished) return missing(`step ${unfinished.step}: ${(unfinished.scaleUpLatency as Missing).reason}`);
  const worst = scaled.reduce((a, b) =>
    (a.scaleUpLatency as Measured).ms >= (b.scaleUpLatency as Measured).ms ? a : b,
  );
  return { ...(worst.scaleUpLatency as Measured), step: worst.step };
}

export interface QuantileValue {
  ms: number | null;
  q: number;
  n: number;
  errored: number;
  source: string;
  reason?: string;
}

/**
 * timeToReadyQuantile: the q-quantile (nearest rank) of created → Ready over the pods created during the
 * run, on arrival times (1 ms, default) or server times (1 s). errored: pods never Ready (not in n).
 */
export function timeToReadyQuantile(
  v: VariantMetrics,
  q: number,
  basis: 'arrival' | 'server' = 'arrival',
): QuantileValue {
  const values = v.startup.pods.flatMap((p) => {
    const a = p[basis].created;
    const z = p[basis].ready;
    return a !== null && z !== null && !p.errored ? [z - a] : [];
  });
  const source = basis === 'arrival' ? SOURCES.arrival : SOURCES.server;
  const base = { q, n: values.length, errored: v.startup.errored, source };
  if (!values.length)
    return {
      ...base,
      ms: null,
      reason: v.startup.population
        ? `none of ${v.startup.population} pod(s) created during the run has a measured time to ready`
        : 'no pod was created during the run',
    };
  return { ...base, ms: nearestRank(Float64Array.from(values).sort(), q) };
}

/** availabilityRatio: successful / total requests over the whole load (for slos.availability.min). */
export function availabilityRatio(
  v: VariantMetrics,
): { ratio: number; successful: number; total: number; source: string } | Missing {
  if (!v.availability.defined) return missing(v.availability.reason);
  const o = v.availability.overall;
  if (o.ratio === null) return missing('no request was sent');
  return { ratio: o.ratio, successful: o.successful, total: o.requests, source: o.source };
}

/** restartCountsOf: the verdict's RestartCounts (total includes restarts of unknown cause). */
export function restartCountsOf(v: VariantMetrics): RestartCounts {
  const c = v.restarts.byCause;
  return {
    variant: v.variant,
    total: v.restarts.total,
    byCause: { liveness: c.liveness, oom: c.oom, error: c.error, chaos: c.chaos, eviction: c.eviction },
  };
}

/** durationOf: a Duration as ms or undefined (for callers that only need the number). */
export function durationOf(d: Duration): number | undefined {
  return d.ms ?? undefined;
}
