/**
 * When a run's deployments are ready to be loaded, and when a rollout is over, judged from the newest
 * states the watchers hold (trimmed objects, harness/core/observations.ts). Pure.
 */
import type { TrimmedPod, TrimmedWorkload } from './observations.ts';
import { LABELS } from './render.ts';

/** SettledDeployments: which deployments became available, and which visibly never will (with why). */
export interface SettledDeployments {
  available: string[];
  failing: { name: string; reason: string }[];
}

/** FAILING_WAIT_REASONS: container waiting reasons that mean a pod is failing, not merely slow. */
export const FAILING_WAIT_REASONS: ReadonlySet<string> = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/** podsOf are the pods of a run's deployment: they carry its name as their variant label. */
function podsOf(deployment: TrimmedWorkload, pods: readonly TrimmedPod[]): TrimmedPod[] {
  return pods.filter((p) => p.metadata.labels?.[LABELS.variant] === deployment.metadata.name);
}

/**
 * settleState sorts deployments into available, visibly failing (a container restarted at least twice,
 * or waiting for a reason in FAILING_WAIT_REASONS: a variant its probes kill is a finding of the
 * experiment, not an infrastructure error) and pending. With expiredAfterMs set, the wait is over and
 * what is still pending is failing "not available after …".
 */
export function settleState(
  deployments: readonly TrimmedWorkload[],
  pods: readonly TrimmedPod[],
  expiredAfterMs?: number,
): SettledDeployments & { pending: string[] } {
  const state: SettledDeployments & { pending: string[] } = { available: [], failing: [], pending: [] };
  for (const d of deployments) {
    const name = d.metadata.name;
    if ((d.status.availableReplicas ?? 0) >= (d.spec.replicas ?? 1)) {
      state.available.push(name);
      continue;
    }
    const failing = podsOf(d, pods)
      .flatMap((p) => p.status.containerStatuses ?? [])
      .find((c) => c.restartCount >= 2 || FAILING_WAIT_REASONS.has(c.state?.waiting?.reason ?? ''));
    if (failing)
      state.failing.push({
        name,
        reason: `container ${failing.name}: ${failing.state?.waiting?.reason ?? 'restarting'}, ${failing.restartCount} restart(s)`,
      });
    else if (expiredAfterMs !== undefined)
      state.failing.push({ name, reason: `not available after ${expiredAfterMs / 1000}s` });
    else state.pending.push(name);
  }
  return state;
}

/**
 * rolloutComplete: the deployment's controller has seen its newest spec, every replica is updated and
 * available, and no pod of an older ReplicaSet is left — not even a terminating one (terminating pods
 * still take and drop requests, which is the point of a rollout window).
 */
export function rolloutComplete(
  deployment: TrimmedWorkload | undefined,
  pods: readonly TrimmedPod[],
): boolean {
  if (!deployment) return false;
  const s = deployment.status;
  const want = deployment.spec.replicas ?? 1;
  const mine = podsOf(deployment, pods);
  return (
    (s.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0) &&
    s.updatedReplicas === want &&
    s.availableReplicas === want &&
    (s.replicas ?? 0) === want &&
    mine.length === want &&
    mine.every((p) => !p.metadata.deletionTimestamp)
  );
}
