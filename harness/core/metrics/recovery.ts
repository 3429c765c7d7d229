/**
 * Chaos recovery per fault (Krkn pod_monitor, anchors b4). A pod-kill is followed pod by pod: the killed
 * pod's deletion → a replacement of the variant ADDED (rescheduling) → that replacement Ready
 * (readiness), and injection → the last replacement Ready (total). A container-kill or pod-failure
 * recovers in place: a pod of the variant whose containers went not ready (or restarted) after the
 * injection → Ready again. Every time is an arrival (host clock, 1 ms); the server-side rescheduling
 * (replacement creationTimestamp − killed deletionTimestamp, 1 s) is given beside it. What never recovered
 * by the end of the run is listed. Also the SLO recovery: from the injection (instant faults) or the end of
 * the fault's window (timed faults) to the first M consecutive good 1 s windows. Pure.
 */
import type { IntervalStats } from '../load/series.ts';
import type { Window } from '../verdict.ts';
import { sloRecovery, type RecoveryThresholds } from './availability.ts';
import { type Duration, INSTANT_FAULT_MS, measured, missing, RELATED_SLACK_MS, SOURCES } from './common.ts';
import type { PodHistory } from './history.ts';
import { allContainersReady, firstState, isPodReady } from './pods.ts';

export interface ReplacedPod {
  killed: string;
  /** deletedAtMs: arrival of the first state with deletionTimestamp (or of the DELETED). */
  deletedAtMs: number | null;
  replacement: string | null;
  createdAtMs: number | null;
  readyAtMs: number | null;
  rescheduling: Duration;
  /** serverRescheduling: replacement creationTimestamp − killed deletionTimestamp (1 s each; includes grace). */
  serverRescheduling: Duration;
  readiness: Duration;
}

export interface InPlacePod {
  pod: string;
  notReadyAtMs: number;
  readyAgainAtMs: number | null;
  downtime: Duration;
}

export interface FaultRecovery {
  fault: string;
  action: string;
  variant: string;
  injectedAtMs: number | null;
  kind: 'pod-replacement' | 'in-place' | 'none';
  reason?: string;
  replaced: ReplacedPod[];
  inPlace: InPlacePod[];
  /** total: injection → the last replacement (or restarted pod) Ready. */
  total: Duration;
  sloRecovery: Duration;
  unrecovered: string[];
}

export interface RecoveryInput {
  fault: { name: string; action: string; variant: string; injectedAtMs?: number };
  pods: readonly PodHistory[];
  chaosWindows: readonly Window[];
  runWindow: { fromMs: number; toMs: number };
  windows: readonly IntervalStats[] | undefined;
  thresholds: RecoveryThresholds;
  recoveryWindows: number;
}

function faultWindow(input: RecoveryInput, at: number): Window | undefined {
  return input.chaosWindows
    .filter((w) => w.variant === input.fault.variant && w.label.startsWith(input.fault.action))
    .sort((a, b) => Math.abs(a.fromMs - at) - Math.abs(b.fromMs - at))
    .find((w) => Math.abs(w.fromMs - at) <= 5_000);
}

export function faultRecovery(input: RecoveryInput): FaultRecovery {
  const { fault } = input;
  const base = { fault: fault.name, action: fault.action, variant: fault.variant };
  const at = fault.injectedAtMs;
  if (at === undefined)
    return {
      ...base,
      injectedAtMs: null,
      kind: 'none',
      reason: 'the fault was never injected',
      replaced: [],
      inPlace: [],
      total: missing('the fault was never injected'),
      sloRecovery: missing('the fault was never injected'),
      unrecovered: [],
    };
  const window = faultWindow(input, at);
  const instant = fault.action === 'pod-kill' || fault.action === 'container-kill';
  const sloFrom = instant ? at : (window?.toMs ?? at);
  const slo = sloRecovery(
    input.windows,
    sloFrom,
    input.runWindow.toMs,
    input.thresholds,
    input.recoveryWindows,
    SOURCES.harness,
  );
  const common = { ...base, injectedAtMs: at, sloRecovery: slo };
  if (fault.action === 'pod-kill') return { ...common, ...podReplacement(input.pods, at) };
  if (fault.action === 'container-kill' || fault.action === 'pod-failure')
    return { ...common, ...inPlace(input.pods, at, window?.toMs ?? at + INSTANT_FAULT_MS) };
  return {
    ...common,
    kind: 'none',
    reason: `${fault.action} does not replace or restart pods; see sloRecovery`,
    replaced: [],
    inPlace: [],
    total: missing(`${fault.action} does not replace or restart pods`),
    unrecovered: [],
  };
}

type Outcome = Pick<FaultRecovery, 'kind' | 'reason' | 'replaced' | 'inPlace' | 'total' | 'unrecovered'>;

function podReplacement(pods: readonly PodHistory[], at: number): Outcome {
  const deletedAt = (p: PodHistory) => p.deletionRequestedAtMs ?? p.deletedAtMs;
  const killed = pods
    .filter((p) => {
      const d = deletedAt(p);
      return d !== undefined && d >= at - RELATED_SLACK_MS && d <= at + INSTANT_FAULT_MS;
    })
    .sort((a, b) => (deletedAt(a) as number) - (deletedAt(b) as number));
  if (!killed.length) {
    const reason = `no pod of the variant was deleted within ${INSTANT_FAULT_MS / 1000} s of the injection`;
    return {
      kind: 'pod-replacement',
      reason,
      replaced: [],
      inPlace: [],
      total: missing(reason),
      unrecovered: [],
    };
  }
  const killedNames = new Set(killed.map((p) => p.name));
  const replacements = pods
    .filter((p) => !p.existedAtStart && !killedNames.has(p.name) && p.firstArrivalMs >= at - RELATED_SLACK_MS)
    .sort((a, b) => a.firstArrivalMs - b.firstArrivalMs)
    .slice(0, killed.length);
  const unrecovered: string[] = [];
  const replaced: ReplacedPod[] = killed.map((k, i) => {
    const r = replacements[i];
    const d = deletedAt(k) ?? null;
    if (!r) {
      unrecovered.push(`${k.name}: no replacement pod was created`);
      const none = missing('no replacement pod was created');
      return {
        killed: k.name,
        deletedAtMs: d,
        replacement: null,
        createdAtMs: null,
        readyAtMs: null,
        rescheduling: none,
        serverRescheduling: none,
        readiness: none,
      };
    }
    const ready = firstState(r.states, isPodReady);
    if (!ready) unrecovered.push(`${k.name}: its replacement ${r.name} never became Ready`);
    const readyAtMs = ready?.arrivalMs ?? null;
    return {
      killed: k.name,
      deletedAtMs: d,
      replacement: r.name,
      createdAtMs: r.firstArrivalMs,
      readyAtMs,
      rescheduling:
        d === null ? missing('deletion not observed') : measured(r.firstArrivalMs - d, SOURCES.arrival),
      serverRescheduling:
        r.createdMs !== undefined && k.deletionTimestampMs !== undefined
          ? measured(r.createdMs - k.deletionTimestampMs, SOURCES.server)
          : missing('creationTimestamp or deletionTimestamp not recorded'),
      readiness:
        readyAtMs === null
          ? missing('never became Ready')
          : measured(readyAtMs - r.firstArrivalMs, SOURCES.arrival),
    };
  });
  const total = unrecovered.length
    ? missing(`${unrecovered.length} of ${killed.length} killed pod(s) not recovered by the end of the run`)
    : measured(
        Math.max(...replaced.map((r) => r.readyAtMs as number)) - at,
        SOURCES.harness,
        SOURCES.arrival,
      );
  return { kind: 'pod-replacement', replaced, inPlace: [], total, unrecovered };
}

function inPlace(pods: readonly PodHistory[], at: number, untilMs: number): Outcome {
  const affected: InPlacePod[] = [];
  const unrecovered: string[] = [];
  for (const p of pods) {
    if ((p.deletedAtMs ?? Number.POSITIVE_INFINITY) < at) continue;
    const before = p.states.filter((s) => s.arrivalMs < at - RELATED_SLACK_MS).at(-1)?.object;
    const counts = new Map((before?.status.containerStatuses ?? []).map((c) => [c.name, c.restartCount]));
    const hit = p.states.findIndex(
      (s) =>
        s.arrivalMs >= at - RELATED_SLACK_MS &&
        s.arrivalMs <= untilMs &&
        s.type !== 'DELETED' &&
        (!allContainersReady(s.object) ||
          (s.object.status.containerStatuses ?? []).some(
            (c) => c.restartCount > (counts.get(c.name) ?? c.restartCount),
          )),
    );
    if (hit < 0) continue;
    const notReady = p.states[hit] as (typeof p.states)[number];
    const readyAgain = (s: (typeof p.states)[number]) =>
      s.type !== 'DELETED' && allContainersReady(s.object) && isPodReady(s.object);
    // A restart seen only once the pod was ready again: recovered, but the not-ready period was not observed.
    const unseenDowntime = readyAgain(notReady);
    const again = p.states.slice(hit).find(readyAgain);
    if (!again)
      unrecovered.push(
        `${p.name}: ${p.deletedAtMs !== undefined ? 'deleted before it was ready again' : 'not ready again by the end of the run'}`,
      );
    affected.push({
      pod: p.name,
      notReadyAtMs: notReady.arrivalMs,
      readyAgainAtMs: again?.arrivalMs ?? null,
      downtime: !again
        ? missing('never ready again')
        : unseenDowntime
          ? missing(
              'the restart was first seen with the pod ready again: the not-ready period was not observed',
            )
          : measured(again.arrivalMs - notReady.arrivalMs, SOURCES.arrival),
    });
  }
  if (!affected.length) {
    const reason = 'no container of the variant went not ready or restarted after the injection';
    return { kind: 'in-place', reason, replaced: [], inPlace: [], total: missing(reason), unrecovered: [] };
  }
  const total = unrecovered.length
    ? missing(`${unrecovered.length} of ${affected.length} pod(s) not ready again by the end of the run`)
    : measured(
        Math.max(...affected.map((a) => a.readyAgainAtMs as number)) - at,
        SOURCES.harness,
        SOURCES.arrival,
      );
  return { kind: 'in-place', replaced: [], inPlace: affected, total, unrecovered };
}
