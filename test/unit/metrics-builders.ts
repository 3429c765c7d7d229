/**
 * Builders for the metrics tests: hand-made observation sequences (Pod, Event, HPA, EndpointSlice
 * records and watch markers) and k6 1 s windows, on one clock: ms offsets from T0.
 */
import type { IntervalStats, LoadSeries, VariantSeries } from '../../harness/core/load/series.ts';
import type { MetricsInput } from '../../harness/core/metrics/index.ts';
import type {
  ObjectRecord,
  Observation,
  ObservationType,
  TrimmedEndpointSlice,
  TrimmedEvent,
  TrimmedHpa,
  TrimmedObject,
  TrimmedPod,
  WatchedKind,
} from '../../harness/core/observations.ts';

/** T0: the run's start (watchers' start), epoch ms; every offset below is from it. */
export const T0 = Date.parse('2026-11-23T12:00:00Z');
export const at = (s: number) => T0 + Math.round(s * 1000);

/** iso renders a server timestamp: metav1.Time, truncated to the second. */
export function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export interface ContainerSpec {
  name?: string;
  restartCount?: number;
  ready?: boolean;
  /** runningSince: offset (s) of state.running.startedAt; undefined: not running. */
  runningSince?: number;
  waiting?: string;
  lastTerminated?: { reason?: string; exitCode: number; startedAt?: number; finishedAt?: number };
}

export interface PodSpec {
  name: string;
  uid?: string;
  variant?: string;
  /** created: offset (s) of creationTimestamp. */
  created: number;
  /** scheduled: offset (s) of the PodScheduled condition (True). */
  scheduled?: number;
  /** ready: offset (s) of the Ready condition's last transition to True; undefined: not ready. */
  ready?: number;
  phase?: string;
  reason?: string;
  deleting?: number;
  containers?: ContainerSpec[];
}

export function pod(s: PodSpec, rv: string): TrimmedPod {
  const conditions: NonNullable<TrimmedPod['status']['conditions']> = [];
  if (s.scheduled !== undefined)
    conditions.push({ type: 'PodScheduled', status: 'True', lastTransitionTime: iso(at(s.scheduled)) });
  conditions.push(
    s.ready !== undefined
      ? { type: 'Ready', status: 'True', lastTransitionTime: iso(at(s.ready)) }
      : { type: 'Ready', status: 'False', lastTransitionTime: iso(at(s.created)) },
  );
  return {
    metadata: {
      name: s.name,
      uid: s.uid ?? `uid-${s.name}`,
      resourceVersion: rv,
      creationTimestamp: iso(at(s.created)),
      ...(s.deleting !== undefined ? { deletionTimestamp: iso(at(s.deleting)) } : {}),
      labels: { 'probelab.dev/variant': s.variant ?? 'web' },
    },
    spec: s.scheduled !== undefined ? { nodeName: 'node-1' } : {},
    status: {
      phase: s.phase ?? (s.ready !== undefined ? 'Running' : 'Pending'),
      ...(s.reason ? { reason: s.reason } : {}),
      conditions,
      containerStatuses: (s.containers ?? [{}]).map((c) => ({
        name: c.name ?? 'app',
        ready: c.ready ?? s.ready !== undefined,
        restartCount: c.restartCount ?? 0,
        state:
          c.runningSince !== undefined
            ? { running: { startedAt: iso(at(c.runningSince)) } }
            : { waiting: { reason: c.waiting ?? 'ContainerCreating' } },
        ...(c.lastTerminated
          ? {
              lastState: {
                terminated: {
                  exitCode: c.lastTerminated.exitCode,
                  ...(c.lastTerminated.reason ? { reason: c.lastTerminated.reason } : {}),
                  ...(c.lastTerminated.startedAt !== undefined
                    ? { startedAt: iso(at(c.lastTerminated.startedAt)) }
                    : {}),
                  ...(c.lastTerminated.finishedAt !== undefined
                    ? { finishedAt: iso(at(c.lastTerminated.finishedAt)) }
                    : {}),
                },
              },
            }
          : {}),
      })),
    },
  };
}

export interface EventSpec {
  name: string;
  uid?: string;
  reason: string;
  message: string;
  pod: string;
  podUid?: string;
  container?: string;
  count: number;
  /** created: offset (s) of creationTimestamp and firstTimestamp. */
  created: number;
  last?: number;
}

export function event(s: EventSpec, rv: string): TrimmedEvent {
  return {
    metadata: {
      name: s.name,
      uid: s.uid ?? `uid-${s.name}`,
      resourceVersion: rv,
      creationTimestamp: iso(at(s.created)),
    },
    involvedObject: {
      kind: 'Pod',
      name: s.pod,
      uid: s.podUid ?? `uid-${s.pod}`,
      ...(s.container ? { fieldPath: `spec.containers{${s.container}}` } : {}),
    },
    reason: s.reason,
    message: s.message,
    type: 'Warning',
    count: s.count,
    firstTimestamp: iso(at(s.created)),
    lastTimestamp: iso(at(s.last ?? s.created)),
    source: 'kubelet',
  };
}

export function hpa(name: string, desired: number, rv: string, max = 4, min = 1): TrimmedHpa {
  return {
    metadata: { name, uid: `uid-hpa-${name}`, resourceVersion: rv },
    spec: { minReplicas: min, maxReplicas: max, scaleTargetRef: { kind: 'Deployment', name } },
    status: { desiredReplicas: desired, currentReplicas: desired },
  };
}

export function slice(
  service: string,
  ready: string[],
  rv: string,
  notReady: string[] = [],
): TrimmedEndpointSlice {
  return {
    metadata: { name: `${service}-abcde`, uid: `uid-slice-${service}`, resourceVersion: rv },
    service,
    endpoints: [
      ...ready.map((p) => ({ pod: p, ready: true, serving: true, terminating: false })),
      ...notReady.map((p) => ({ pod: p, ready: false, serving: false, terminating: false })),
    ],
  };
}

/** Recorder appends records and markers with increasing seq (and resourceVersions, unless given). */
export class Recorder {
  readonly list: Observation[] = [];
  private seq = 0;
  private rv = 100;

  private push(
    kind: WatchedKind,
    type: ObservationType,
    atS: number,
    object: TrimmedObject,
    synthesized = false,
  ) {
    const record: ObjectRecord = {
      seq: ++this.seq,
      kind,
      type,
      arrivalMs: at(atS),
      monoMs: atS * 1000,
      object,
      ...(synthesized ? { synthesized: true } : {}),
    };
    this.list.push(record);
    return this;
  }

  nextRv(): string {
    return String(++this.rv);
  }

  pod(type: ObservationType, atS: number, s: PodSpec, rv = this.nextRv(), synthesized = false): this {
    return this.push('Pod', type, atS, pod(s, rv), synthesized);
  }

  event(type: ObservationType, atS: number, s: EventSpec, rv = this.nextRv()): this {
    return this.push('Event', type, atS, event(s, rv));
  }

  hpa(type: ObservationType, atS: number, name: string, desired: number, max = 4, min = 1): this {
    return this.push('HorizontalPodAutoscaler', type, atS, hpa(name, desired, this.nextRv(), max, min));
  }

  slice(type: ObservationType, atS: number, service: string, ready: string[], notReady: string[] = []): this {
    return this.push('EndpointSlice', type, atS, slice(service, ready, this.nextRv(), notReady));
  }

  listed(kind: WatchedKind, atS: number, count = 0): this {
    this.list.push({
      seq: ++this.seq,
      kind,
      marker: 'listed',
      arrivalMs: at(atS),
      monoMs: atS * 1000,
      count,
    });
    return this;
  }

  gap(kind: WatchedKind, fromS: number, toS: number, reason = 'stream closed'): this {
    this.list.push({
      seq: ++this.seq,
      kind,
      marker: 'gap',
      arrivalMs: at(toS),
      monoMs: toS * 1000,
      fromMs: at(fromS),
      toMs: at(toS),
      reason,
    });
    return this;
  }
}

export interface WindowSpec {
  requests?: number;
  errors?: number;
  p95?: number;
  pods?: Record<string, number>;
  dropped?: number;
  kind?: 'refused' | 'reset' | 'timeout' | 'other';
  status5xx?: number;
}

/** window: the k6 1 s window starting `s` seconds after T0. */
export function window(s: number, w: WindowSpec = {}): IntervalStats {
  const n = w.requests ?? 10;
  const e = w.errors ?? 0;
  const e5 = w.status5xx ?? 0;
  const p95 = w.p95 ?? 20;
  return {
    fromUs: at(s) * 1000,
    toUs: at(s + 1) * 1000,
    fromMs: undefined,
    toMs: undefined,
    requests: n,
    achievedRps: n,
    targetRps: undefined,
    expectedRequests: undefined,
    iterations: n,
    droppedIterations: w.dropped ?? 0,
    responses: { '2xx': n - e - e5 },
    errors: {
      total: e + e5,
      byStatusClass: e5 ? { '5xx': e5 } : {},
      byKind: {
        refused: w.kind === 'refused' || w.kind === undefined ? e : 0,
        reset: w.kind === 'reset' ? e : 0,
        timeout: w.kind === 'timeout' ? e : 0,
        other: w.kind === 'other' ? e : 0,
      },
    },
    errorRate: n ? (e + e5) / n : 0,
    latencyMs: n ? { count: n, p50: p95 / 2, p95, p99: p95 * 2, max: p95 * 3 } : undefined,
    requestsByPod: w.pods ?? {},
  };
}

export function seriesOf(
  variant: string,
  windows: IntervalStats[],
  steps: VariantSeries['steps'] = [],
): LoadSeries {
  const sum = (f: (w: IntervalStats) => number) => windows.reduce((n, w) => n + f(w), 0);
  const total: IntervalStats = {
    ...(windows[0] ?? window(0)),
    fromUs: windows[0]?.fromUs ?? at(0) * 1000,
    toUs: windows.at(-1)?.toUs ?? at(0) * 1000,
    requests: sum((w) => w.requests),
    droppedIterations: sum((w) => w.droppedIterations),
    errors: {
      total: sum((w) => w.errors.total),
      byStatusClass: {},
      byKind: { refused: sum((w) => w.errors.byKind.refused), reset: 0, timeout: 0, other: 0 },
    },
    errorRate: 0,
    latencyMs: { count: sum((w) => w.requests), p50: 10, p95: 20, p99: 40, max: 60 },
  };
  return {
    timestampSource: 'k6 point time (load-generator clock, RFC3339 with ns digits, kept to µs precision)',
    quantileMethod: 'nearest-rank',
    windowMs: 1000,
    variants: [
      { variant, loadStartUs: at(0) * 1000, loadStartSource: 'k6 scenario start', total, steps, windows },
    ],
    lines: { points: 0, skipped: 0, unattributed: 0, malformed: 0, malformedExamples: [] },
  };
}

/** input: a MetricsInput for one loaded variant "web" over a 600 s run from T0, changed per case. */
export function input(change: Partial<MetricsInput> = {}): MetricsInput {
  return {
    observations: [],
    series: undefined,
    stages: [],
    loadStartMs: T0,
    runWindow: { fromMs: T0, toMs: at(600) },
    variants: [{ name: 'web', loaded: true }],
    chaosWindows: [],
    rolloutWindows: [],
    faults: [],
    configUpdates: [],
    slos: {},
    ...change,
  };
}
