/**
 * The HPA timing model (anchors b3) as a lower-bound estimate of how fast a scale-up can be, to put next
 * to the measured one. It is a model, not a measurement: it takes every delay the controller has no
 * choice about and sets everything else (scheduling, image pull, container start, API latency, the
 * phase of the sync loop) to its best case.
 *
 * - reaction: the first metrics-server sample whose whole rate window lies after the step needs one
 *   metric resolution (15 s, `--metric-resolution=15s` on our clusters); the HPA's scale-up
 *   stabilization window (default 0 s) delays a rise by its length. Worst case adds the kubelet's
 *   resource-metrics window (≈15 s) and one HPA sync period (15 s).
 * - ramp: from the first increase to the target count, the scale-up policies limit each sync (every
 *   15 s) to `Pods: base + value` or `Percent: ceil(base × (1 + value/100))`, where base is the count
 *   periodSeconds ago; selectPolicy Max (default) takes the largest, Min the smallest, Disabled none.
 *   Default policies: 4 pods or 100 % per 15 s, Max.
 * - ready: a new pod cannot be Ready before its readiness (and startup) probe's initialDelaySeconds.
 * Pure.
 */
import type { Hpa, HpaScalingRules, Probe } from '../../config/v1alpha1.ts';

export const HPA_MODEL = {
  syncPeriodMs: 15_000,
  metricResolutionMs: 15_000,
  kubeletWindowMs: 15_000,
  tolerance: 0.1,
  scaleUpStabilizationSeconds: 0,
  scaleDownStabilizationSeconds: 300,
  scaleUpPolicies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ] as NonNullable<HpaScalingRules['policies']>,
  scaleDownPolicies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] as NonNullable<
    HpaScalingRules['policies']
  >,
} as const;

/** RAMP_LIMIT_MS: the simulation gives up after this long (a policy too slow to model). */
const RAMP_LIMIT_MS = 24 * 3_600_000;

export interface RampStep {
  /** atMs: offset from the first increase. */
  atMs: number;
  replicas: number;
}

export interface HpaFloor {
  kind: 'lower-bound model';
  from: number;
  to: number;
  /** reactionFloorMs: step start → first desiredReplicas increase, best case (full-window sample). */
  reactionFloorMs: number;
  /** reactionWorstMs: the same with the kubelet window and a whole sync period added. */
  reactionWorstMs: number;
  /** ramp: first increase → desiredReplicas reaches `to`, as the policies allow. */
  ramp: { ms: number; periods: number; steps: RampStep[] } | { ms: null; reason: string };
  /** readyFloorMs: a new pod's creation → Ready, at least the probes' initial delay. */
  readyFloorMs: number;
  /** totalFloorMs: reaction floor + ramp + ready floor (step start → the `to − from` new pods Ready). */
  totalFloorMs: number | null;
  parameters: {
    syncPeriodSeconds: number;
    metricResolutionSeconds: number;
    kubeletWindowSeconds: number;
    tolerance: number;
    stabilizationWindowSeconds: number;
    selectPolicy: 'Max' | 'Min' | 'Disabled';
    policies: NonNullable<HpaScalingRules['policies']>;
    maxReplicas: number;
  };
  assumptions: string[];
}

export interface ScaleUpRules {
  tolerance: number;
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: NonNullable<HpaScalingRules['policies']>;
}

/** scaleUpRules: the HPA's scaleUp behaviour with the API server's defaults filled in. */
export function scaleUpRules(hpa: Hpa): ScaleUpRules {
  const r = hpa.behavior?.scaleUp;
  return {
    tolerance: r?.tolerance ?? HPA_MODEL.tolerance,
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? HPA_MODEL.scaleUpStabilizationSeconds,
    selectPolicy: r?.selectPolicy ?? 'Max',
    policies: r?.policies?.length ? r.policies : HPA_MODEL.scaleUpPolicies,
  };
}

/** scaleDownStabilizationSeconds: the scaleDown window (default 300 s). */
export function scaleDownStabilizationSeconds(hpa: Hpa): number {
  return hpa.behavior?.scaleDown?.stabilizationWindowSeconds ?? HPA_MODEL.scaleDownStabilizationSeconds;
}

/**
 * rampSteps simulates the scale-up policies sync by sync from `from` to `to` (capped at maxReplicas):
 * the replicas after each increase, offsets from the first increase.
 */
export function rampSteps(
  rules: ScaleUpRules,
  from: number,
  to: number,
  maxReplicas: number,
): RampStep[] | string {
  const target = Math.min(to, maxReplicas);
  if (target <= from) return [];
  if (rules.selectPolicy === 'Disabled') return 'scaleUp.selectPolicy is Disabled: the HPA never scales up';
  const history: RampStep[] = [{ atMs: Number.NEGATIVE_INFINITY, replicas: from }];
  const replicasAt = (ms: number) => {
    let r = from;
    for (const h of history) if (h.atMs <= ms) r = h.replicas;
    return r;
  };
  const steps: RampStep[] = [];
  let current = from;
  for (let t = 0; t <= RAMP_LIMIT_MS; t += HPA_MODEL.syncPeriodMs) {
    const limits = rules.policies.map((p) => {
      const base = replicasAt(t - p.periodSeconds * 1000);
      return p.type === 'Pods' ? base + p.value : Math.ceil(base * (1 + p.value / 100));
    });
    const limit = rules.selectPolicy === 'Min' ? Math.min(...limits) : Math.max(...limits);
    const next = Math.min(target, limit);
    if (next > current) {
      current = next;
      history.push({ atMs: t, replicas: next });
      steps.push({ atMs: t, replicas: next });
    }
    if (current >= target) return steps;
  }
  return `the policies do not reach ${target} replicas within ${RAMP_LIMIT_MS / 3_600_000} h`;
}

export function hpaScaleUpFloor(
  hpa: Hpa,
  from: number,
  to: number,
  probes?: { startup?: Probe; readiness?: Probe },
): HpaFloor {
  const rules = scaleUpRules(hpa);
  const stabilizationMs = rules.stabilizationWindowSeconds * 1000;
  const reactionFloorMs = HPA_MODEL.metricResolutionMs + stabilizationMs;
  const reactionWorstMs = reactionFloorMs + HPA_MODEL.kubeletWindowMs + HPA_MODEL.syncPeriodMs;
  const steps = rampSteps(rules, from, to, hpa.maxReplicas);
  const ramp =
    typeof steps === 'string'
      ? { ms: null, reason: steps }
      : { ms: steps.at(-1)?.atMs ?? 0, periods: Math.max(0, steps.length - 1), steps };
  const readyFloorMs =
    Math.max(probes?.startup?.initialDelaySeconds ?? 0, probes?.readiness?.initialDelaySeconds ?? 0) * 1000;
  const policies = rules.policies
    .map((p) => `${p.type === 'Pods' ? `${p.value} pod(s)` : `${p.value} %`} per ${p.periodSeconds} s`)
    .join(', ');
  return {
    kind: 'lower-bound model',
    from,
    to: Math.min(to, hpa.maxReplicas),
    reactionFloorMs,
    reactionWorstMs,
    ramp,
    readyFloorMs,
    totalFloorMs: ramp.ms === null ? null : reactionFloorMs + ramp.ms + readyFloorMs,
    parameters: {
      syncPeriodSeconds: HPA_MODEL.syncPeriodMs / 1000,
      metricResolutionSeconds: HPA_MODEL.metricResolutionMs / 1000,
      kubeletWindowSeconds: HPA_MODEL.kubeletWindowMs / 1000,
      tolerance: rules.tolerance,
      stabilizationWindowSeconds: rules.stabilizationWindowSeconds,
      selectPolicy: rules.selectPolicy,
      policies: rules.policies,
      maxReplicas: hpa.maxReplicas,
    },
    assumptions: [
      'a lower-bound model, not a measurement: every delay the controller does not force is taken at its best case',
      `reaction floor = metric resolution ${HPA_MODEL.metricResolutionMs / 1000} s (the first metrics-server sample whose whole window follows the step) + scaleUp stabilization ${rules.stabilizationWindowSeconds} s; a step large enough to cross the tolerance on a partial window can react up to one resolution sooner`,
      `reaction worst case adds the kubelet resource-metrics window (≈${HPA_MODEL.kubeletWindowMs / 1000} s) and one HPA sync period (${HPA_MODEL.syncPeriodMs / 1000} s)`,
      `the step raises the usage ratio above 1 + tolerance (${rules.tolerance}); a smaller step never scales`,
      `ramp: scale-up policies ${policies}, selectPolicy ${rules.selectPolicy}, evaluated every ${HPA_MODEL.syncPeriodMs / 1000} s sync, from ${from} to ${Math.min(to, hpa.maxReplicas)} replicas`,
      'not-yet-ready pods and missing metrics (which dampen later scale steps) are ignored',
      'ready floor = the largest initialDelaySeconds of the startup and readiness probes; scheduling, image pull, container start and the EndpointSlice update are taken as 0',
    ],
  };
}
