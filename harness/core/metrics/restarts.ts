/**
 * Restarts in the run window, per container, each with its cause (anchors b2 ContainerRestarts, b6).
 *
 * A restart is an increment of a container's restartCount between two successive states of the same pod
 * (uid) — never a cumulative total, so a pod that existed before the run counts only what happened
 * after its first state, and a relist that repeats a state adds nothing. An eviction (pod status.reason
 * Evicted) ends the pod rather than restarting a container; it is counted once per pod (container null).
 *
 * Cause, first match wins: oom (the container's lastState.terminated.reason is OOMKilled); liveness (a
 * kubelet Killing event of that pod and container whose message mentions the liveness probe, occurring
 * between the previous state and this one, ±2 s); chaos (a pod-kill, container-kill or pod-failure of the
 * variant covers the restart's arrival); error (any other termination, with its exit code); unknown (no
 * termination recorded, e.g. several restarts between two states: only the last one's is visible).
 *
 * A liveness kill is a probable false kill when the pod answered requests in the N seconds before the
 * kill (k6 1 s windows' requestsByPod), or when the killed container had started less than its startup
 * allowance before (initialDelaySeconds + periodSeconds × failureThreshold of the startup probe, else of
 * the liveness probe; Kubernetes defaults 0, 10, 3). Pure.
 */
import type { Probe } from '../../config/v1alpha1.ts';
import type { VariantSeries } from '../load/series.ts';
import type { TrimmedContainerState, TrimmedEvent } from '../observations.ts';
import type { RestartCause, Window } from '../verdict.ts';
import { INSTANT_FAULT_MS, parseTime, RELATED_SLACK_MS, SOURCES } from './common.ts';
import type { EventHistory, Occurrence, PodHistory } from './history.ts';

export type RestartCauseOrUnknown = RestartCause | 'unknown';
export const CAUSES: readonly RestartCauseOrUnknown[] = [
  'liveness',
  'oom',
  'error',
  'chaos',
  'eviction',
  'unknown',
];

export interface LivenessKill {
  /** killedAtMs: arrival of the Killing event occurrence (host clock). */
  killedAtMs: number;
  source: string;
  probableFalseKill: boolean;
  /** reasons: why it is flagged (empty when it is not). */
  reasons: string[];
  /** unchecked: the rules that could not be applied, and why. */
  unchecked: string[];
  /** requestsBefore: requests the pod answered in the N s before the kill (null without a series). */
  requestsBefore: number | null;
  /** sinceStartMs: kill − container start (server startedAt, 1 s), null when unknown. */
  sinceStartMs: number | null;
  /** startupAllowanceMs: initialDelaySeconds + periodSeconds × failureThreshold (startup, else liveness). */
  startupAllowanceMs: number;
}

export interface Restart {
  pod: string;
  /** container: null for an eviction (the whole pod). */
  container: string | null;
  /** atMs: arrival of the pod state that showed the restart (host clock, 1 ms). */
  atMs: number;
  source: string;
  /** relisted: seen only in a relist after a watch gap; atMs is the relist's time. */
  relisted: boolean;
  cause: RestartCauseOrUnknown;
  /** reason: the evidence for the cause. */
  reason: string;
  exitCode?: number;
  terminationReason?: string;
  /** finishedAtMs: lastState.terminated.finishedAt of the container that ended (server, 1 s). */
  finishedAtMs?: number;
  liveness?: LivenessKill;
}

export interface ContainerRestarts {
  pod: string;
  container: string | null;
  total: number;
  byCause: Record<RestartCauseOrUnknown, number>;
}

export interface RestartMetrics {
  total: number;
  byCause: Record<RestartCauseOrUnknown, number>;
  probableFalseKills: number;
  byContainer: ContainerRestarts[];
  restarts: Restart[];
}

export interface KillWindow {
  label: string;
  fromMs: number;
  toMs: number;
}

export interface RestartInput {
  pods: readonly PodHistory[];
  events: readonly EventHistory[];
  runWindow: { fromMs: number; toMs: number };
  killWindows: readonly KillWindow[];
  series: VariantSeries | undefined;
  probes: { startup?: Probe; liveness?: Probe } | undefined;
  /** falseKillTrafficSeconds: N, the traffic look-back of the probable false kill rule. */
  falseKillTrafficSeconds: number;
}

const KILL_ACTIONS = ['pod-kill', 'container-kill', 'pod-failure'];

/** killWindows: the windows in which a restart of the variant is attributed to chaos. */
export function killWindowsOf(
  variant: string,
  chaosWindows: readonly Window[],
  faults: readonly { name: string; action: string; variant: string; injectedAtMs?: number }[],
): KillWindow[] {
  const windows: KillWindow[] = chaosWindows
    .filter((w) => w.variant === variant && KILL_ACTIONS.some((a) => w.label.startsWith(a)))
    .map((w) => ({ label: w.label, fromMs: w.fromMs, toMs: w.toMs }));
  for (const f of faults)
    if (f.variant === variant && KILL_ACTIONS.includes(f.action) && f.injectedAtMs !== undefined)
      windows.push({ label: f.name, fromMs: f.injectedAtMs, toMs: f.injectedAtMs + INSTANT_FAULT_MS });
  return windows;
}

/** probeAllowanceMs: initialDelaySeconds + periodSeconds × failureThreshold, with Kubernetes' defaults. */
export function probeAllowanceMs(probe: Probe | undefined): number {
  return (
    ((probe?.initialDelaySeconds ?? 0) + (probe?.periodSeconds ?? 10) * (probe?.failureThreshold ?? 3)) * 1000
  );
}

interface KillToken {
  pod: string;
  podUid: string | undefined;
  container: string | undefined;
  occurrence: Occurrence;
  used: boolean;
}

export function livenessKillsOf(events: readonly EventHistory[]): KillToken[] {
  const tokens: KillToken[] = [];
  for (const e of events) {
    const last = e.states.at(-1)?.object as TrimmedEvent | undefined;
    if (!last || last.reason !== 'Killing' || !/liveness probe/i.test(last.message ?? '')) continue;
    const container =
      /spec\.(?:initContainers|containers)\{([^}]+)\}/.exec(last.involvedObject.fieldPath ?? '')?.[1] ??
      /Container (\S+) failed liveness probe/i.exec(last.message ?? '')?.[1];
    for (const occurrence of e.occurrences)
      tokens.push({
        pod: last.involvedObject.name ?? '',
        podUid: last.involvedObject.uid,
        container,
        occurrence,
        used: false,
      });
  }
  return tokens.sort((a, b) => a.occurrence.atMs - b.occurrence.atMs);
}

function zeroCauses(): Record<RestartCauseOrUnknown, number> {
  return Object.fromEntries(CAUSES.map((c) => [c, 0])) as Record<RestartCauseOrUnknown, number>;
}

export function restartMetrics(input: RestartInput): RestartMetrics {
  const tokens = livenessKillsOf(input.events);
  const restarts: Restart[] = [];
  const inRun = (ms: number) => ms >= input.runWindow.fromMs && ms <= input.runWindow.toMs;

  for (const pod of input.pods) {
    const counts = new Map<string, number>();
    const running = new Map<string, string | undefined>();
    let evicted = false;
    let previousAt = pod.existedAtStart ? undefined : (pod.createdMs ?? pod.firstArrivalMs);
    for (const [i, state] of pod.states.entries()) {
      const p = state.object;
      const statuses = p.status.containerStatuses ?? [];
      if (i === 0 && pod.existedAtStart) {
        for (const c of statuses) {
          counts.set(c.name, c.restartCount);
          running.set(c.name, c.state?.running?.startedAt);
        }
        evicted = p.status.reason === 'Evicted';
        previousAt = state.arrivalMs;
        continue;
      }
      if (p.status.reason === 'Evicted' && !evicted) {
        evicted = true;
        if (inRun(state.arrivalMs))
          restarts.push({
            pod: pod.name,
            container: null,
            atMs: state.arrivalMs,
            source: SOURCES.arrival,
            relisted: state.relisted,
            cause: 'eviction',
            reason: 'pod status.reason is Evicted',
          });
      }
      for (const c of statuses) {
        const before = counts.get(c.name) ?? 0;
        const increments = c.restartCount - before;
        for (let k = 1; k <= increments; k++) {
          const isLast = k === increments;
          if (!inRun(state.arrivalMs)) continue;
          restarts.push(
            attribute({
              input,
              tokens,
              pod,
              container: c.name,
              atMs: state.arrivalMs,
              relisted: state.relisted,
              fromMs: previousAt,
              terminated: isLast ? c.lastState?.terminated : undefined,
              startedAt: isLast ? (c.lastState?.terminated?.startedAt ?? running.get(c.name)) : undefined,
              hidden: isLast ? undefined : `${increments} restarts between two states`,
            }),
          );
        }
        if (c.restartCount > before || !counts.has(c.name)) counts.set(c.name, c.restartCount);
        if (c.state?.running?.startedAt) running.set(c.name, c.state.running.startedAt);
      }
      previousAt = state.arrivalMs;
    }
  }
  restarts.sort((a, b) => a.atMs - b.atMs);

  const byCause = zeroCauses();
  const containers = new Map<string, ContainerRestarts>();
  for (const r of restarts) {
    byCause[r.cause]++;
    const key = `${r.pod}/${r.container ?? ''}`;
    const c = containers.get(key) ?? { pod: r.pod, container: r.container, total: 0, byCause: zeroCauses() };
    containers.set(key, c);
    c.total++;
    c.byCause[r.cause]++;
  }
  return {
    total: restarts.length,
    byCause,
    probableFalseKills: restarts.filter((r) => r.liveness?.probableFalseKill).length,
    byContainer: [...containers.values()],
    restarts,
  };
}

function attribute(a: {
  input: RestartInput;
  tokens: KillToken[];
  pod: PodHistory;
  container: string;
  atMs: number;
  relisted: boolean;
  fromMs: number | undefined;
  terminated: TrimmedContainerState['terminated'];
  startedAt: string | undefined;
  hidden: string | undefined;
}): Restart {
  const base = {
    pod: a.pod.name,
    container: a.container,
    atMs: a.atMs,
    source: SOURCES.arrival,
    relisted: a.relisted,
    ...(a.terminated
      ? {
          exitCode: a.terminated.exitCode,
          ...(a.terminated.reason ? { terminationReason: a.terminated.reason } : {}),
          ...(parseTime(a.terminated.finishedAt) !== undefined
            ? { finishedAtMs: parseTime(a.terminated.finishedAt) }
            : {}),
        }
      : {}),
  };
  if (a.terminated?.reason === 'OOMKilled')
    return { ...base, cause: 'oom', reason: 'lastState.terminated.reason is OOMKilled' };

  const lo = (a.fromMs ?? Number.NEGATIVE_INFINITY) - RELATED_SLACK_MS;
  const hi = a.atMs + RELATED_SLACK_MS;
  const token = a.tokens.find(
    (t) =>
      !t.used &&
      t.pod === a.pod.name &&
      (t.podUid === undefined || t.podUid === '' || t.podUid === a.pod.uid) &&
      (t.container === undefined || t.container === a.container) &&
      t.occurrence.atMs > lo &&
      t.occurrence.atMs <= hi,
  );
  if (token) {
    token.used = true;
    return {
      ...base,
      cause: 'liveness',
      reason: `kubelet Killing event: failed liveness probe${token.container ? ` (container ${token.container})` : ''}`,
      liveness: falseKill(a.input, a.pod.name, token.occurrence.atMs, parseTime(a.startedAt)),
    };
  }

  const window = a.input.killWindows.find((w) => a.atMs >= w.fromMs && a.atMs <= w.toMs + RELATED_SLACK_MS);
  if (window) return { ...base, cause: 'chaos', reason: `inside the chaos window of ${window.label}` };
  if (a.terminated)
    return {
      ...base,
      cause: 'error',
      reason: `terminated${a.terminated.reason ? ` (${a.terminated.reason})` : ''} with exit code ${a.terminated.exitCode}`,
    };
  return {
    ...base,
    cause: 'unknown',
    reason: a.hidden
      ? `${a.hidden}: only the last termination is visible`
      : 'no lastState.terminated recorded for the container',
  };
}

function falseKill(
  input: RestartInput,
  pod: string,
  killedAtMs: number,
  startedMs: number | undefined,
): LivenessKill {
  const n = input.falseKillTrafficSeconds;
  const reasons: string[] = [];
  const unchecked: string[] = [];
  let requestsBefore: number | null = null;
  if (!input.series) unchecked.push('traffic: no load series for this variant');
  else {
    requestsBefore = 0;
    for (const w of input.series.windows)
      if (w.toUs / 1000 > killedAtMs - n * 1000 && w.fromUs / 1000 < killedAtMs)
        requestsBefore += w.requestsByPod[pod] ?? 0;
    if (requestsBefore > 0)
      reasons.push(
        `the pod answered ${requestsBefore} request(s) in the ${n} s before the kill (1 s windows overlapping [kill − ${n} s, kill))`,
      );
  }
  const probe = input.probes?.startup ?? input.probes?.liveness;
  const which = input.probes?.startup ? 'startup' : 'liveness';
  const allowance = probeAllowanceMs(probe);
  const sinceStartMs = startedMs === undefined ? null : killedAtMs - startedMs;
  if (sinceStartMs === null) unchecked.push('startup window: the container start time is unknown');
  else if (sinceStartMs < allowance)
    reasons.push(
      `the container started ${(sinceStartMs / 1000).toFixed(1)} s before the kill, inside its startup allowance of ${allowance / 1000} s (${which} probe: initialDelaySeconds + periodSeconds × failureThreshold)`,
    );
  return {
    killedAtMs,
    source: SOURCES.arrival,
    probableFalseKill: reasons.length > 0,
    reasons,
    unchecked,
    requestsBefore,
    sinceStartMs,
    startupAllowanceMs: allowance,
  };
}
