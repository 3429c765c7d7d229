/**
 * Pod startup phases (kube-burner podLatency / the pod startup SLI, anchors b1–b2): per pod created during
 * the run, created → scheduled → containers started → ready, from the server's timestamps (1 s) and from
 * the arrival of the states that first showed each phase (1 ms). Quantiles by nearest rank, with n and
 * errored (pods that never got Ready). Pure.
 */
import type { TrimmedPod } from '../observations.ts';
import { parseTime, SOURCES } from './common.ts';
import type { PodHistory, State } from './history.ts';
import { quantiles, type Quantiles } from './quantiles.ts';

export function conditionTrue(pod: TrimmedPod, type: string): boolean {
  return pod.status.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

export function conditionTime(pod: TrimmedPod, type: string): number | undefined {
  return parseTime(pod.status.conditions?.find((c) => c.type === type)?.lastTransitionTime);
}

export function isPodReady(pod: TrimmedPod): boolean {
  return conditionTrue(pod, 'Ready');
}

/** allRunning: every container reports state.running (undefined without container statuses). */
export function allRunning(pod: TrimmedPod): boolean {
  const cs = pod.status.containerStatuses ?? [];
  return cs.length > 0 && cs.every((c) => c.state?.running !== undefined);
}

export function allContainersReady(pod: TrimmedPod): boolean {
  const cs = pod.status.containerStatuses ?? [];
  return cs.length > 0 && cs.every((c) => c.ready);
}

/** firstState: the first state of a history that satisfies a predicate. */
export function firstState<T>(states: readonly State<T>[], test: (o: T) => boolean): State<T> | undefined {
  return states.find((s) => s.type !== 'DELETED' && test(s.object));
}

export const PHASES = ['created', 'scheduled', 'started', 'ready'] as const;
export type Phase = (typeof PHASES)[number];

export interface PodStartup {
  pod: string;
  /** server: epoch ms of each phase from the object's own timestamps (1 s truncated); null if unknown. */
  server: Record<Phase, number | null>;
  /** arrival: epoch ms when a state first showed each phase (host clock); null if unknown or relisted. */
  arrival: Record<Phase, number | null>;
  /** errored: why the pod does not count (never Ready, failed); absent for a pod that got Ready. */
  errored?: string;
  /** relisted: phases whose first state came from a relist after a watch gap (arrival is the relist's). */
  relisted?: Phase[];
}

export const EDGES = [
  ['createdToScheduled', 'created', 'scheduled'],
  ['scheduledToStarted', 'scheduled', 'started'],
  ['createdToStarted', 'created', 'started'],
  ['probeDelay', 'started', 'ready'],
  ['createdToReady', 'created', 'ready'],
] as const;
export type Edge = (typeof EDGES)[number][0];

export interface EdgeQuantiles {
  from: Phase;
  to: Phase;
  server: Quantiles;
  arrival: Quantiles;
  /** unmeasured: pods that reached `to` but whose time of one end is unknown (per basis). */
  unmeasured: { server: number; arrival: number };
}

export interface StartupMetrics {
  /** population: pods of the variant created during the run (pods that existed at start are left out). */
  population: number;
  preexisting: number;
  errored: number;
  edges: Record<Edge, EdgeQuantiles>;
  pods: PodStartup[];
}

export function podStartup(h: PodHistory): PodStartup {
  const scheduledState = firstState(h.states, (p) => conditionTrue(p, 'PodScheduled'));
  const startedState = firstState(h.states, allRunning);
  const readyState = firstState(h.states, isPodReady);
  const startedAt = (p: TrimmedPod | undefined) => {
    const times = (p?.status.containerStatuses ?? []).map((c) => parseTime(c.state?.running?.startedAt));
    return times.length && times.every((t) => t !== undefined) ? Math.max(...(times as number[])) : null;
  };
  const first = h.states[0];
  const states: Record<Phase, State<TrimmedPod> | undefined> = {
    created: first,
    scheduled: scheduledState,
    started: startedState,
    ready: readyState,
  };
  const relisted = PHASES.filter((p) => states[p]?.relisted);
  const arrival = (p: Phase) => {
    const s = states[p];
    return s && !s.relisted ? s.arrivalMs : null;
  };
  const last = h.states.at(-1)?.object;
  const failed =
    last?.status.phase === 'Failed' ? `failed${last.status.reason ? ` (${last.status.reason})` : ''}` : '';
  const errored = readyState
    ? undefined
    : failed
      ? `${failed} before becoming Ready`
      : h.deletedAtMs !== undefined || h.deletionRequestedAtMs !== undefined
        ? 'deleted before becoming Ready'
        : 'never Ready by the end of the run';
  return {
    pod: h.name,
    server: {
      created: h.createdMs ?? null,
      scheduled: scheduledState ? (conditionTime(scheduledState.object, 'PodScheduled') ?? null) : null,
      started: startedAt(startedState?.object),
      ready: readyState ? (conditionTime(readyState.object, 'Ready') ?? null) : null,
    },
    arrival: {
      created: first && first.type === 'ADDED' ? first.arrivalMs : arrival('created'),
      scheduled: arrival('scheduled'),
      started: arrival('started'),
      ready: arrival('ready'),
    },
    ...(errored ? { errored } : {}),
    ...(relisted.length ? { relisted } : {}),
  };
}

export function startupMetrics(pods: readonly PodHistory[]): StartupMetrics {
  const population = pods.filter((p) => !p.existedAtStart);
  const perPod = population.map(podStartup);
  const edges = Object.fromEntries(
    EDGES.map(([edge, from, to]) => {
      const reached = perPod.filter((p) => reachedPhase(p, to));
      const errored = perPod.length - reached.length;
      const basis = (b: 'server' | 'arrival') => {
        const values: number[] = [];
        for (const p of reached) {
          const a = p[b][from];
          const z = p[b][to];
          if (a !== null && z !== null) values.push(z - a);
        }
        return values;
      };
      const server = basis('server');
      const arrival = basis('arrival');
      return [
        edge,
        {
          from,
          to,
          server: quantiles(server, errored, SOURCES.server),
          arrival: quantiles(arrival, errored, SOURCES.arrival),
          unmeasured: { server: reached.length - server.length, arrival: reached.length - arrival.length },
        } satisfies EdgeQuantiles,
      ];
    }),
  ) as Record<Edge, EdgeQuantiles>;
  return {
    population: population.length,
    preexisting: pods.length - population.length,
    errored: perPod.filter((p) => p.errored).length,
    edges,
    pods: perPod,
  };
}

function reachedPhase(p: PodStartup, phase: Phase): boolean {
  if (phase === 'created') return true;
  return p.server[phase] !== null || p.arrival[phase] !== null || (p.relisted?.includes(phase) ?? false);
}
