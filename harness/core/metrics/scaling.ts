/**
 * HPA scaling per load step (anchors b3, b6): for each step that raises the load, reaction (step start →
 * first observed status.desiredReplicas increase), provisioning (→ the new pods created, Ready, listed
 * ready in the EndpointSlice) and SLO recovery, next to the HPA floor model; for each step that lowers
 * it, the scale-down latency; over the run, direction changes of desiredReplicas and the time spent at
 * maxReplicas. Every time is an arrival (host clock, 1 ms) except the step start (load start + planned
 * offset, same clock). Pure.
 */
import type { Hpa, Probe } from '../../config/v1alpha1.ts';
import type { StageWindow } from '../load-shape.ts';
import type { IntervalStats } from '../load/series.ts';
import { computedDesiredReplicas, type TrimmedHpa } from '../observations.ts';
import { sloRecovery, type RecoveryThresholds } from './availability.ts';
import { type Duration, measured, missing, RELATED_SLACK_MS, SOURCES } from './common.ts';
import { hpaScaleUpFloor, scaleDownStabilizationSeconds, type HpaFloor } from './hpa-floor.ts';
import { firstEndpointReady, type ObjectHistory, type PodHistory, type SliceState } from './history.ts';
import { firstState, isPodReady } from './pods.ts';

export interface DesiredPoint {
  atMs: number;
  desired: number;
  current: number | null;
  relisted: boolean;
}

export interface ProvisionedPod {
  pod: string;
  /** createdAtMs, readyAtMs, endpointReadyAtMs: arrivals (null: not observed, or only in a relist). */
  createdAtMs: number | null;
  readyAtMs: number | null;
  endpointReadyAtMs: number | null;
}

export interface ScaleUpStep {
  step: number;
  fromRps: number;
  rps: number;
  /** startMs: load start + the step's planned start (epoch ms, host clock). */
  startMs: number;
  outcome: 'scaled' | 'none' | 'unknown';
  /** reason: why there was no increase (outcome none/unknown). */
  reason?: string;
  desiredAtStart: number | null;
  firstIncrease: { from: number; to: number; atMs: number; relisted: boolean } | null;
  /** peak: the highest desiredReplicas during the step and when it was first reached. */
  peak: { desired: number; atMs: number } | null;
  /** reaction: step start → first desiredReplicas increase. */
  reaction: Duration;
  /** provisioning: from the first increase to the last of the peak − desiredAtStart new pods (cumulative). */
  provisioning: {
    newPods: ProvisionedPod[];
    created: Duration;
    ready: Duration;
    inEndpoints: Duration;
  } | null;
  /** scaleUpLatency: step start → every new pod listed ready in the EndpointSlice. */
  scaleUpLatency: Duration;
  sloRecovery: Duration;
  floor: HpaFloor | null;
}

export interface ScaleDownStep {
  step: number;
  fromRps: number;
  rps: number;
  startMs: number;
  desiredAtStart: number | null;
  firstDecrease: { from: number; to: number; atMs: number; relisted: boolean } | null;
  /** latency: step start → first desiredReplicas decrease (searched until the next load increase or run end). */
  latency: Duration;
  /** floorMs: the scaleDown stabilization window, a lower bound (older, higher recommendations must expire). */
  floorMs: number;
}

export interface ScalingMetrics {
  defined: true;
  hpa: string | null;
  minReplicas: number | null;
  maxReplicas: number;
  /** desired: the desiredReplicas changes seen (first value, then every change). */
  desired: DesiredPoint[];
  /** stepsReason: why there are no steps (no load start). */
  stepsReason?: string;
  scaleUp: ScaleUpStep[];
  scaleDown: ScaleDownStep[];
  oscillations: {
    /** directionChanges: an increase followed by a decrease or the reverse. */
    directionChanges: number;
    changes: number;
    windowMs: number;
    per5Minutes: number | null;
    source: string;
  };
  /** atMaxReplicas: time desiredReplicas was at maxReplicas within the observed part of the run. */
  atMaxReplicas: Duration;
}

export interface NotDefined {
  defined: false;
  reason: string;
}

export interface ScalingInput {
  hpa: Hpa | undefined;
  observed: ObjectHistory<TrimmedHpa> | undefined;
  pods: readonly PodHistory[];
  slices: readonly SliceState[] | undefined;
  stages: readonly StageWindow[];
  loadStartMs: number | undefined;
  runWindow: { fromMs: number; toMs: number };
  windows: readonly IntervalStats[] | undefined;
  thresholds: RecoveryThresholds;
  recoveryWindows: number;
  probes: { startup?: Probe; readiness?: Probe } | undefined;
}

export function desiredTimeline(observed: ObjectHistory<TrimmedHpa> | undefined): DesiredPoint[] {
  const points: DesiredPoint[] = [];
  for (const s of observed?.states ?? []) {
    if (s.type === 'DELETED') continue;
    const desired = computedDesiredReplicas(s.object);
    if (desired === undefined) continue;
    if (points.at(-1)?.desired === desired) continue;
    points.push({
      atMs: s.arrivalMs,
      desired,
      current: s.object.status.currentReplicas ?? null,
      relisted: s.relisted,
    });
  }
  return points;
}

/**
 * desiredAt: desiredReplicas at a time; before the first observation, the first observed value (the
 * first point is the state the watch found, not a change).
 */
function desiredAt(points: readonly DesiredPoint[], ms: number): number | null {
  let value: number | null = points[0]?.desired ?? null;
  for (const p of points) if (p.atMs <= ms) value = p.desired;
  return value;
}

export function scalingMetrics(input: ScalingInput): ScalingMetrics | NotDefined {
  if (!input.hpa) return { defined: false, reason: 'the variant has no HPA' };
  const hpa = input.hpa;
  const last = input.observed?.states.at(-1)?.object;
  const maxReplicas = last?.spec.maxReplicas || hpa.maxReplicas;
  const minReplicas = last?.spec.minReplicas ?? hpa.minReplicas ?? null;
  const points = desiredTimeline(input.observed);
  const scaleUp: ScaleUpStep[] = [];
  const scaleDown: ScaleDownStep[] = [];
  const loadStart = input.loadStartMs;
  if (loadStart !== undefined)
    for (const [i, stage] of input.stages.entries()) {
      const fromRps = i ? (input.stages[i - 1] as StageWindow).rps : 0;
      if (stage.rps > fromRps)
        scaleUp.push(scaleUpStep(input, points, maxReplicas, stage, fromRps, loadStart));
      else if (stage.rps < fromRps) {
        const startMs = loadStart + stage.startMs;
        const nextUp = input.stages
          .slice(i + 1)
          .find((s, k) => s.rps > (input.stages[i + k] as StageWindow).rps);
        const untilMs = nextUp ? loadStart + nextUp.startMs : input.runWindow.toMs;
        const desiredAtStart = desiredAt(points, startMs);
        const decrease = points.find(
          (p, k) =>
            p.atMs >= startMs &&
            p.atMs < untilMs &&
            k > 0 &&
            p.desired < (points[k - 1] as DesiredPoint).desired,
        );
        const before = decrease ? (points[points.indexOf(decrease) - 1] as DesiredPoint) : undefined;
        scaleDown.push({
          step: stage.index,
          fromRps,
          rps: stage.rps,
          startMs,
          desiredAtStart,
          firstDecrease:
            decrease && before
              ? {
                  from: before.desired,
                  to: decrease.desired,
                  atMs: decrease.atMs,
                  relisted: decrease.relisted,
                }
              : null,
          latency: decrease
            ? measured(decrease.atMs - startMs, SOURCES.plan, SOURCES.arrival)
            : missing(
                desiredAtStart === null
                  ? 'no HPA observations'
                  : desiredAtStart <= (minReplicas ?? 1)
                    ? `desired replicas already at minReplicas (${desiredAtStart})`
                    : `no decrease observed before ${nextUp ? `step ${nextUp.index}` : 'the end of the run'} (desired stayed ${desiredAtStart})`,
              ),
          floorMs: scaleDownStabilizationSeconds(hpa) * 1000,
        });
      }
    }

  // Oscillations and time at max, over the run window.
  const inRun = points.filter((p) => p.atMs >= input.runWindow.fromMs && p.atMs <= input.runWindow.toMs);
  let directionChanges = 0;
  let changes = 0;
  let lastDirection = 0;
  for (let k = 1; k < points.length; k++) {
    const p = points[k] as DesiredPoint;
    if (!inRun.includes(p)) continue;
    const direction = Math.sign(p.desired - (points[k - 1] as DesiredPoint).desired);
    changes++;
    if (lastDirection !== 0 && direction !== lastDirection) directionChanges++;
    lastDirection = direction;
  }
  const windowMs = input.runWindow.toMs - input.runWindow.fromMs;

  let atMax: Duration;
  if (!points.length) atMax = missing('no HPA observations');
  else {
    let total = 0;
    for (const [k, p] of points.entries()) {
      const from = Math.max(p.atMs, input.runWindow.fromMs);
      const to = Math.min(points[k + 1]?.atMs ?? input.runWindow.toMs, input.runWindow.toMs);
      if (p.desired >= maxReplicas && to > from) total += to - from;
    }
    atMax = measured(total, SOURCES.arrival);
  }

  return {
    defined: true,
    hpa: input.observed?.name ?? null,
    minReplicas,
    maxReplicas,
    desired: points,
    ...(loadStart === undefined ? { stepsReason: 'no load start: the steps cannot be placed in time' } : {}),
    scaleUp,
    scaleDown,
    oscillations: {
      directionChanges,
      changes,
      windowMs,
      per5Minutes: windowMs > 0 ? (directionChanges * 300_000) / windowMs : null,
      source: SOURCES.arrival,
    },
    atMaxReplicas: atMax,
  };
}

function scaleUpStep(
  input: ScalingInput,
  points: readonly DesiredPoint[],
  maxReplicas: number,
  stage: StageWindow,
  fromRps: number,
  loadStart: number,
): ScaleUpStep {
  const startMs = loadStart + stage.startMs;
  const endMs = loadStart + stage.endMs;
  const desiredAtStart = desiredAt(points, startMs);
  const recovery = sloRecovery(input.windows, startMs, endMs, input.thresholds, input.recoveryWindows);
  const base = { step: stage.index, fromRps, rps: stage.rps, startMs, desiredAtStart, sloRecovery: recovery };
  const none = (outcome: 'none' | 'unknown', reason: string): ScaleUpStep => ({
    ...base,
    outcome,
    reason,
    firstIncrease: null,
    peak: null,
    reaction: missing(reason),
    provisioning: null,
    scaleUpLatency: missing(reason),
    floor: null,
  });
  if (!points.length || desiredAtStart === null) return none('unknown', 'no HPA observations');

  const during = points.slice(1).filter((p) => p.atMs >= startMs && p.atMs < endMs);
  let previous = desiredAtStart;
  let first: DesiredPoint | undefined;
  let firstFrom = desiredAtStart;
  let peak: DesiredPoint | undefined;
  for (const p of during) {
    if (!first && p.desired > previous) {
      first = p;
      firstFrom = previous;
    }
    if (first && p.desired > (peak?.desired ?? desiredAtStart)) peak = p;
    previous = p.desired;
  }
  if (!first || !peak) {
    return none(
      'none',
      desiredAtStart >= maxReplicas
        ? `desired replicas already at maxReplicas (${maxReplicas})`
        : `no increase observed during the step (desired stayed ${desiredAtStart}${during.length ? ' or fell' : ''})`,
    );
  }

  const count = peak.desired - desiredAtStart;
  const candidates = input.pods
    .filter((p) => !p.existedAtStart && p.firstArrivalMs >= first.atMs - RELATED_SLACK_MS)
    .sort((a, b) => a.firstArrivalMs - b.firstArrivalMs)
    .slice(0, count);
  const newPods: ProvisionedPod[] = candidates.map((p) => {
    const created = p.states[0];
    const ready = firstState(p.states, isPodReady);
    const endpoint = firstEndpointReady(input.slices, p.name, p.firstArrivalMs);
    return {
      pod: p.name,
      createdAtMs: created && !created.relisted ? created.arrivalMs : null,
      readyAtMs: ready && !ready.relisted ? ready.arrivalMs : null,
      endpointReadyAtMs: endpoint && !endpoint.relisted ? endpoint.arrivalMs : null,
    };
  });
  const lastOf = (key: 'createdAtMs' | 'readyAtMs' | 'endpointReadyAtMs', what: string): number | string => {
    if (newPods.length < count) return `only ${newPods.length} of ${count} new pod(s) observed`;
    const missingPods = newPods.filter((p) => p[key] === null);
    if (missingPods.length)
      return `${missingPods.length} of ${count} new pod(s) never ${what} (or only seen in a relist): ${missingPods.map((p) => p.pod).join(', ')}`;
    return Math.max(...newPods.map((p) => p[key] as number));
  };
  const fromDecision = (value: number | string) =>
    typeof value === 'string' ? missing(value) : measured(value - first.atMs, SOURCES.arrival);
  const inEndpoints = lastOf('endpointReadyAtMs', 'listed ready in the EndpointSlice');
  return {
    ...base,
    outcome: 'scaled',
    firstIncrease: { from: firstFrom, to: first.desired, atMs: first.atMs, relisted: first.relisted },
    peak: { desired: peak.desired, atMs: peak.atMs },
    reaction: measured(first.atMs - startMs, SOURCES.plan, SOURCES.arrival),
    provisioning: {
      newPods,
      created: fromDecision(lastOf('createdAtMs', 'created')),
      ready: fromDecision(lastOf('readyAtMs', 'became Ready')),
      inEndpoints: fromDecision(inEndpoints),
    },
    scaleUpLatency:
      typeof inEndpoints === 'string'
        ? missing(inEndpoints)
        : measured(inEndpoints - startMs, SOURCES.plan, SOURCES.arrival),
    floor: hpaScaleUpFloor(input.hpa as Hpa, desiredAtStart, peak.desired, input.probes),
  };
}
