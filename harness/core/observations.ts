/**
 * Observations: what the run's watchers saw of the cluster, one record per change, in arrival order. This
 * is the contract between the watch adapter (which appends them to observations.ndjson as they arrive, so
 * a crash leaves evidence) and the pure metrics core (which reads them back).
 *
 * Clocks. Every record carries its arrival on this host twice: `arrivalMs` (Date.now(), epoch ms, wall
 * clock: comparable with k6's point times and the timeline, which use the same host clock) and `monoMs`
 * (performance.timeOrigin + performance.now(), ms with µs digits: never goes backwards, used for
 * intervals between observations). The objects keep the server's own timestamps: metav1.Time fields
 * (creationTimestamp, condition lastTransitionTime, container startedAt, HPA lastScaleTime, Event
 * first/lastTimestamp) have 1 s precision (truncated); metav1.MicroTime (Event eventTime,
 * series.lastObservedTime) has 1 µs. `serverMs` is the newest managedFields write time of the object (the
 * apiserver's clock, 1 s, truncated), so arrivalMs − serverMs ∈ (delay − 0 s, delay + 1 s].
 *
 * Objects are trimmed to the fields the metrics read (see trim*), which keeps the file small enough for
 * hour-long runs with churning pods.
 */

export const WATCHED_KINDS = [
  'Pod',
  'Event',
  'HorizontalPodAutoscaler',
  'Deployment',
  'ReplicaSet',
  'EndpointSlice',
] as const;
export type WatchedKind = (typeof WATCHED_KINDS)[number];

export const OBSERVATIONS_VERSION = 'probelab.dev/observations/v1';

/**
 * ObservationType: ADDED/MODIFIED/DELETED come from a watch; SYNCED is an object seen in a (re)list
 * (after a gap, objects whose resourceVersion changed since the last record; DELETED is synthesised for
 * objects missing from the relist, with `synthesized: true`).
 */
export type ObservationType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'SYNCED';

export interface ObjectRecord {
  seq: number;
  kind: WatchedKind;
  type: ObservationType;
  arrivalMs: number;
  monoMs: number;
  /** serverMs: newest managedFields time of the object, epoch ms (apiserver clock, 1 s truncated). */
  serverMs?: number;
  /** synthesized: a DELETED inferred from a relist, not seen as a watch event (time = relist arrival). */
  synthesized?: boolean;
  object: TrimmedObject;
}

/**
 * A marker about the watch itself: `listed` when a (re)list completed, `gap` when a watch ended and
 * the stream was down from `fromMs` to `toMs` (changes in between are recovered by the relist, but
 * their arrival times are the relist's), `error` for a failure that did not end the watch.
 */
export interface WatchMarker {
  seq: number;
  kind: WatchedKind;
  marker: 'listed' | 'gap' | 'error';
  arrivalMs: number;
  monoMs: number;
  fromMs?: number;
  toMs?: number;
  /** reason: why a watch ended ("410 Gone: too old resource version", "stream closed", …). */
  reason?: string;
  /** count: objects in the list (listed). */
  count?: number;
}

export type Observation = ObjectRecord | WatchMarker;

export function isObjectRecord(o: Observation): o is ObjectRecord {
  return 'object' in o;
}

// ---- trimmed objects: the subset of each Kubernetes object the metrics read --------------------------

export interface TrimmedMeta {
  name: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  generation?: number;
  labels?: Record<string, string>;
  /** ownerReferences: kind/name pairs only. */
  owners?: { kind: string; name: string }[];
  /** annotations: only deployment.kubernetes.io/revision is kept. */
  revision?: string;
}

export interface TrimmedContainerState {
  running?: { startedAt?: string };
  waiting?: { reason?: string };
  terminated?: { reason?: string; exitCode: number; startedAt?: string; finishedAt?: string };
}

export interface TrimmedPod {
  metadata: TrimmedMeta;
  spec: { nodeName?: string };
  status: {
    phase?: string;
    reason?: string;
    startTime?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
    containerStatuses?: {
      name: string;
      ready: boolean;
      started?: boolean;
      restartCount: number;
      containerID?: string;
      state?: TrimmedContainerState;
      lastState?: TrimmedContainerState;
    }[];
  };
}

export interface TrimmedEvent {
  metadata: TrimmedMeta;
  involvedObject: { kind?: string; name?: string; uid?: string; fieldPath?: string };
  reason?: string;
  message?: string;
  type?: string;
  /** count: how many times the event occurred (legacy aggregation); series.count for events.k8s.io. */
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  /** eventTime: MicroTime (µs), when set by the reporter. */
  eventTime?: string;
  series?: { count?: number; lastObservedTime?: string };
  source?: string;
}

export interface TrimmedHpa {
  metadata: TrimmedMeta;
  spec: { minReplicas?: number; maxReplicas: number; scaleTargetRef: { kind: string; name: string } };
  status: {
    currentReplicas?: number;
    desiredReplicas: number;
    lastScaleTime?: string;
    /** cpuUtilization: current average CPU utilization (% of request), when the metric is known. */
    cpuUtilization?: number;
    conditions?: { type: string; status: string; reason?: string; lastTransitionTime?: string }[];
  };
}

export interface TrimmedWorkload {
  metadata: TrimmedMeta;
  spec: { replicas?: number };
  status: {
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    observedGeneration?: number;
  };
}

export interface TrimmedEndpointSlice {
  metadata: TrimmedMeta;
  /** service: the kubernetes.io/service-name label. */
  service?: string;
  endpoints: {
    pod?: string;
    ready?: boolean;
    serving?: boolean;
    terminating?: boolean;
  }[];
}

export type TrimmedObject = TrimmedPod | TrimmedEvent | TrimmedHpa | TrimmedWorkload | TrimmedEndpointSlice;

/** TrimmedOf is the trimmed shape of one watched kind. */
export type TrimmedOf<K extends WatchedKind> = {
  Pod: TrimmedPod;
  Event: TrimmedEvent;
  HorizontalPodAutoscaler: TrimmedHpa;
  Deployment: TrimmedWorkload;
  ReplicaSet: TrimmedWorkload;
  EndpointSlice: TrimmedEndpointSlice;
}[K];

/**
 * computedDesiredReplicas: an HPA's desiredReplicas once its controller has computed one. A new HPA
 * reports 0 until its first sync, and a computed value is never below minReplicas (≥ 1), so a value
 * below that means "not known yet", not a scale to zero.
 */
export function computedDesiredReplicas(hpa: TrimmedHpa): number | undefined {
  const desired = hpa.status.desiredReplicas;
  return desired >= (hpa.spec.minReplicas ?? 1) ? desired : undefined;
}

// ---- trimming (pure) -----------------------------------------------------------------------------------

/* eslint-disable @typescript-eslint/no-explicit-any -- trimming reads untyped API JSON */
const REVISION = 'deployment.kubernetes.io/revision';

function time(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return value instanceof Date ? value.toISOString() : String(value);
}

function compact<T extends object>(o: T): T {
  for (const key of Object.keys(o) as (keyof T)[]) if (o[key] === undefined) delete o[key];
  return o;
}

export function trimMeta(m: any): TrimmedMeta {
  return compact({
    name: m?.name ?? '',
    uid: m?.uid ?? '',
    resourceVersion: m?.resourceVersion ?? '',
    creationTimestamp: time(m?.creationTimestamp),
    deletionTimestamp: time(m?.deletionTimestamp),
    generation: m?.generation,
    labels: m?.labels,
    owners: m?.ownerReferences?.map((o: any) => ({ kind: o.kind, name: o.name })),
    revision: m?.annotations?.[REVISION],
  });
}

/** serverTimeMs: the newest managedFields write time (apiserver clock, 1 s), or undefined. */
export function serverTimeMs(m: any): number | undefined {
  let newest: number | undefined;
  for (const f of m?.managedFields ?? []) {
    const t = f?.time === undefined ? NaN : new Date(f.time).getTime();
    if (!Number.isNaN(t) && (newest === undefined || t > newest)) newest = t;
  }
  return newest;
}

function trimState(s: any): TrimmedContainerState | undefined {
  if (!s) return undefined;
  return compact({
    running: s.running ? compact({ startedAt: time(s.running.startedAt) }) : undefined,
    waiting: s.waiting ? compact({ reason: s.waiting.reason }) : undefined,
    terminated: s.terminated
      ? compact({
          reason: s.terminated.reason,
          exitCode: s.terminated.exitCode,
          startedAt: time(s.terminated.startedAt),
          finishedAt: time(s.terminated.finishedAt),
        })
      : undefined,
  });
}

export function trimObject(kind: WatchedKind, o: any): TrimmedObject {
  const metadata = trimMeta(o?.metadata);
  switch (kind) {
    case 'Pod':
      return {
        metadata,
        spec: compact({ nodeName: o?.spec?.nodeName }),
        status: compact({
          phase: o?.status?.phase,
          reason: o?.status?.reason,
          startTime: time(o?.status?.startTime),
          conditions: o?.status?.conditions?.map((c: any) =>
            compact({ type: c.type, status: c.status, lastTransitionTime: time(c.lastTransitionTime) }),
          ),
          containerStatuses: o?.status?.containerStatuses?.map((c: any) =>
            compact({
              name: c.name,
              ready: Boolean(c.ready),
              started: c.started,
              restartCount: c.restartCount ?? 0,
              containerID: c.containerID,
              state: trimState(c.state),
              lastState: trimState(c.lastState),
            }),
          ),
        }),
      } satisfies TrimmedPod;
    case 'Event':
      return compact({
        metadata,
        involvedObject: compact({
          kind: o?.involvedObject?.kind,
          name: o?.involvedObject?.name,
          uid: o?.involvedObject?.uid,
          fieldPath: o?.involvedObject?.fieldPath,
        }),
        reason: o?.reason,
        message: o?.message,
        type: o?.type,
        count: o?.count,
        firstTimestamp: time(o?.firstTimestamp),
        lastTimestamp: time(o?.lastTimestamp),
        eventTime: time(o?.eventTime),
        series: o?.series
          ? compact({ count: o.series.count, lastObservedTime: time(o.series.lastObservedTime) })
          : undefined,
        source: o?.source?.component ?? o?.reportingComponent,
      }) satisfies TrimmedEvent;
    case 'HorizontalPodAutoscaler': {
      const cpu = (o?.status?.currentMetrics ?? []).find(
        (m: any) => m?.type === 'Resource' && m?.resource?.name === 'cpu',
      );
      return {
        metadata,
        spec: {
          minReplicas: o?.spec?.minReplicas,
          maxReplicas: o?.spec?.maxReplicas ?? 0,
          scaleTargetRef: { kind: o?.spec?.scaleTargetRef?.kind, name: o?.spec?.scaleTargetRef?.name },
        },
        status: compact({
          currentReplicas: o?.status?.currentReplicas,
          desiredReplicas: o?.status?.desiredReplicas ?? 0,
          lastScaleTime: time(o?.status?.lastScaleTime),
          cpuUtilization: cpu?.resource?.current?.averageUtilization,
          conditions: o?.status?.conditions?.map((c: any) =>
            compact({
              type: c.type,
              status: c.status,
              reason: c.reason,
              lastTransitionTime: time(c.lastTransitionTime),
            }),
          ),
        }),
      } satisfies TrimmedHpa;
    }
    case 'Deployment':
    case 'ReplicaSet':
      return {
        metadata,
        spec: compact({ replicas: o?.spec?.replicas }),
        status: compact({
          replicas: o?.status?.replicas,
          readyReplicas: o?.status?.readyReplicas,
          availableReplicas: o?.status?.availableReplicas,
          updatedReplicas: o?.status?.updatedReplicas,
          observedGeneration: o?.status?.observedGeneration,
        }),
      } satisfies TrimmedWorkload;
    case 'EndpointSlice':
      return compact({
        metadata,
        service: o?.metadata?.labels?.['kubernetes.io/service-name'],
        endpoints: (o?.endpoints ?? []).map((e: any) =>
          compact({
            pod: e?.targetRef?.kind === 'Pod' ? e.targetRef.name : undefined,
            ready: e?.conditions?.ready,
            serving: e?.conditions?.serving,
            terminating: e?.conditions?.terminating,
          }),
        ),
      }) satisfies TrimmedEndpointSlice;
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */
