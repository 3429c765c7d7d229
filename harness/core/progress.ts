/**
 * Live progress of a run: a snapshot once a second while the load runs (where in the load, what k6
 * achieves, what the cluster's replicas are, which faults are active), and its renderings: one line
 * redrawn in place on a terminal, a plain timestamped line for logs and CI, a JSON object for machines.
 * Pure.
 *
 * Clocks: everything is this host's Date.now() (1 ms); the achieved rate is the requests k6 reported in
 * the last interval (k6 appends its points every 200 ms, so a 1 s rate wobbles by ±20%).
 */
import type { LiveCounters } from './load/series.ts';
import {
  computedDesiredReplicas,
  type ObjectRecord,
  type TrimmedHpa,
  type TrimmedWorkload,
} from './observations.ts';
import type { StageWindow } from './load-shape.ts';

export interface ReplicaState {
  variant: string;
  /** desired: the HPA's desiredReplicas, else the Deployment's spec.replicas. */
  desired?: number;
  current?: number;
  ready?: number;
  /** hpa: the desired count comes from an HPA. */
  hpa?: boolean;
}

export interface ProgressInput {
  nowMs: number;
  loadStartMs: number;
  stages: readonly StageWindow[];
  live: readonly LiveCounters[];
  /** previous: the snapshot before, for the achieved rate over the interval. */
  previous?: { atMs: number; live: readonly LiveCounters[] };
  replicas: readonly ReplicaState[];
  /** chaosActive: labels of the faults acting now. */
  chaosActive: readonly string[];
}

export interface VariantProgress {
  variant: string;
  requests: number;
  errors: number;
  dropped: number;
  /** achievedRps: requests per second over the last interval (undefined on the first snapshot). */
  achievedRps?: number;
  desired?: number;
  current?: number;
  ready?: number;
}

export interface ProgressSnapshot {
  atMs: number;
  elapsedMs: number;
  remainingMs: number;
  step: { index: number; count: number; targetRps: number; ramping: boolean };
  variants: VariantProgress[];
  chaosActive: string[];
}

export function progressSnapshot(input: ProgressInput): ProgressSnapshot {
  const elapsedMs = Math.max(0, input.nowMs - input.loadStartMs);
  const totalMs = input.stages.at(-1)?.endMs ?? 0;
  const stage =
    input.stages.find((s) => elapsedMs >= s.startMs && elapsedMs < s.endMs) ?? input.stages.at(-1);
  const previous = new Map(input.previous?.live.map((l) => [l.variant, l]));
  const intervalS = input.previous ? (input.nowMs - input.previous.atMs) / 1000 : 0;
  const replicas = new Map(input.replicas.map((r) => [r.variant, r]));
  const names = [...new Set([...input.live.map((l) => l.variant), ...input.replicas.map((r) => r.variant)])];
  return {
    atMs: input.nowMs,
    elapsedMs,
    remainingMs: Math.max(0, totalMs - elapsedMs),
    step: {
      index: stage?.index ?? 0,
      count: input.stages.length,
      targetRps: stage ? targetRpsAt(input.stages, stage, elapsedMs) : 0,
      ramping: stage ? elapsedMs < stage.holdStartMs : false,
    },
    variants: names.map((variant) => {
      const live = input.live.find((l) => l.variant === variant);
      const before = previous.get(variant);
      const r = replicas.get(variant);
      return {
        variant,
        requests: live?.requests ?? 0,
        errors: live?.failed ?? 0,
        dropped: live?.droppedIterations ?? 0,
        ...(intervalS > 0 && live
          ? { achievedRps: Math.max(0, live.requests - (before?.requests ?? 0)) / intervalS }
          : {}),
        ...(r?.desired !== undefined ? { desired: r.desired } : {}),
        ...(r?.current !== undefined ? { current: r.current } : {}),
        ...(r?.ready !== undefined ? { ready: r.ready } : {}),
      };
    }),
    chaosActive: [...input.chaosActive],
  };
}

/**
 * updateReplicas folds watch records into the replica state per variant (Deployments and HPAs are named
 * after their variant): desired from the HPA when there is one, once it has computed one.
 */
export function updateReplicas(state: Map<string, ReplicaState>, records: readonly ObjectRecord[]): void {
  for (const r of records) {
    if (r.type === 'DELETED') continue;
    const name = r.object.metadata.name;
    if (r.kind === 'Deployment') {
      const d = r.object as TrimmedWorkload;
      const s = state.get(name) ?? { variant: name };
      s.current = d.status.replicas ?? 0;
      s.ready = d.status.readyReplicas ?? 0;
      if (!s.hpa) s.desired = d.spec.replicas;
      state.set(name, s);
    } else if (r.kind === 'HorizontalPodAutoscaler') {
      const h = r.object as TrimmedHpa;
      const s = state.get(name) ?? { variant: name };
      s.hpa = true;
      const desired = computedDesiredReplicas(h);
      if (desired !== undefined) s.desired = desired;
      state.set(name, s);
    }
  }
}

/** targetRpsAt: the plan's rate at an offset, ramps interpolated linearly as k6 does. */
function targetRpsAt(stages: readonly StageWindow[], stage: StageWindow, elapsedMs: number): number {
  if (elapsedMs >= stage.holdStartMs) return stage.rps;
  const from = stages[stage.index - 1]?.rps ?? 0;
  const span = stage.holdStartMs - stage.startMs;
  return span > 0 ? from + ((stage.rps - from) * (elapsedMs - stage.startMs)) / span : stage.rps;
}

const ANSI = { bold: '\x1b[1m', red: '\x1b[31m', yellow: '\x1b[33m', dim: '\x1b[2m', reset: '\x1b[0m' };

/** formatProgress: the one-line terminal rendering; color only when asked (NO_COLOR is the caller's). */
export function formatProgress(s: ProgressSnapshot, options: { color: boolean }): string {
  const c = (code: keyof typeof ANSI, text: string) =>
    options.color ? `${ANSI[code]}${text}${ANSI.reset}` : text;
  const head = `${clock(s.elapsedMs)} / ${clock(s.elapsedMs + s.remainingMs)} step ${s.step.index + 1}/${s.step.count}${s.step.ramping ? ' ramp' : ''} → ${round(s.step.targetRps)} rps`;
  const parts = s.variants.map((v) => {
    const rate = v.achievedRps === undefined ? '…' : round(v.achievedRps);
    const pods =
      v.desired === undefined && v.current === undefined
        ? ''
        : ` pods ${v.ready ?? '?'}/${v.current ?? '?'}/${v.desired ?? '?'}`;
    const errors = v.errors ? c('red', ` err ${v.errors}`) : ' err 0';
    const dropped = v.dropped ? c('yellow', ` drop ${v.dropped}`) : '';
    return `${c('bold', v.variant)} ${rate} rps${pods}${errors}${dropped}`;
  });
  const chaos = s.chaosActive.length ? c('yellow', ` | chaos: ${s.chaosActive.join(', ')}`) : '';
  return `${head} | ${parts.join(' | ')}${chaos}`;
}

/** formatProgressPlain: a timestamped line for logs and CI (pods as ready/current/desired). */
export function formatProgressPlain(s: ProgressSnapshot): string {
  return `${new Date(s.atMs).toISOString()} progress ${formatProgress(s, { color: false })}`;
}

function clock(ms: number): string {
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

function round(n: number): string {
  return n >= 10 ? n.toFixed(0) : n.toFixed(1);
}
