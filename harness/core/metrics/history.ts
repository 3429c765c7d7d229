/**
 * Histories: the observations regrouped per object (by uid), deduplicated, in arrival order. Every
 * metric reads these instead of the raw records, so the rules for relists, synthesised deletions and
 * repeated records live in one place:
 *
 * - a record whose resourceVersion equals the previous kept record of the same object adds nothing
 *   (a relist's SYNCED of an unchanged object, a DELETED carrying the last state);
 * - the first DELETED (watch or synthesised) ends the object; later records of that uid are ignored;
 * - SYNCED records after the first `listed` marker of their kind are relisted: their arrival is the
 *   relist's, not the change's, and they are flagged so;
 * - an object existed at the start of the run when its server creation time is certainly before
 *   runWindow.fromMs (≥ 1 s before: the server time is truncated), or, when that is ambiguous, when it
 *   came in the initial list.
 */
import { LABELS } from '../render.ts';
import {
  isObjectRecord,
  type ObjectRecord,
  type Observation,
  type TrimmedEndpointSlice,
  type TrimmedEvent,
  type TrimmedHpa,
  type TrimmedMeta,
  type TrimmedPod,
  type WatchedKind,
  type WatchMarker,
} from '../observations.ts';
import { parseTime } from './common.ts';

export interface State<T> {
  seq: number;
  arrivalMs: number;
  type: ObjectRecord['type'];
  /** relisted: seen in a relist after a gap; arrivalMs is the relist's time, not the change's. */
  relisted: boolean;
  object: T;
}

export interface ObjectHistory<T> {
  uid: string;
  name: string;
  states: State<T>[];
  /** createdMs: metadata.creationTimestamp (server, 1 s truncated). */
  createdMs: number | undefined;
  firstArrivalMs: number;
  existedAtStart: boolean;
  /** deletedAtMs: arrival of the first DELETED (synthesizedDelete: inferred from a relist). */
  deletedAtMs: number | undefined;
  synthesizedDelete: boolean;
}

export interface PodHistory extends ObjectHistory<TrimmedPod> {
  variant: string | undefined;
  /** deletionRequestedAtMs: arrival of the first state with deletionTimestamp set. */
  deletionRequestedAtMs: number | undefined;
  /** deletionTimestampMs: metadata.deletionTimestamp (server, 1 s; it is now + grace period). */
  deletionTimestampMs: number | undefined;
}

export interface Occurrence {
  /** atMs: arrival of the record that showed the occurrence. */
  atMs: number;
  /** serverMs: the event's last-seen time (series.lastObservedTime µs, lastTimestamp 1 s or eventTime µs). */
  serverMs: number | undefined;
  relisted: boolean;
}

export interface EventHistory extends ObjectHistory<TrimmedEvent> {
  /** baseline: occurrences before the run (an event that existed at start counts only increments). */
  baseline: number;
  occurrences: Occurrence[];
}

export interface SliceState {
  seq: number;
  arrivalMs: number;
  relisted: boolean;
  slice: string;
  readyPods: Set<string>;
}

export interface Histories {
  pods: PodHistory[];
  events: EventHistory[];
  /** hpas: HPA histories by variant (the HPA named after it, or targeting it). */
  hpas: Map<string, ObjectHistory<TrimmedHpa>>;
  /** slices: EndpointSlice states by service name (= variant), in arrival order. */
  slices: Map<string, SliceState[]>;
  markers: WatchMarker[];
  variantOfPodName: (name: string | undefined) => string | undefined;
}

/** occurrencesOf: an event's occurrence count (legacy count, or events.k8s.io series.count). */
export function occurrencesOf(e: TrimmedEvent): number {
  return Math.max(e.count ?? 0, e.series?.count ?? 0, 1);
}

function eventServerMs(e: TrimmedEvent): number | undefined {
  return (
    parseTime(e.series?.lastObservedTime) ??
    parseTime(e.lastTimestamp) ??
    parseTime(e.eventTime) ??
    parseTime(e.firstTimestamp)
  );
}

export function buildHistories(
  observations: readonly Observation[],
  variantNames: readonly string[],
  runFromMs: number,
): Histories {
  const sorted = [...observations].sort((a, b) => a.seq - b.seq);
  const markers = sorted.filter((o): o is WatchMarker => !isObjectRecord(o));
  const firstListed = new Map<WatchedKind, number>();
  for (const m of markers)
    if (m.marker === 'listed' && !firstListed.has(m.kind)) firstListed.set(m.kind, m.seq);
  const isRelisted = (r: ObjectRecord) =>
    r.type === 'SYNCED' && r.seq > (firstListed.get(r.kind) ?? Number.POSITIVE_INFINITY);
  const inInitialList = (r: ObjectRecord) =>
    r.type === 'SYNCED' && r.seq < (firstListed.get(r.kind) ?? Number.POSITIVE_INFINITY);

  const byUid = new Map<string, ObjectHistory<unknown> & { kind: WatchedKind }>();
  const lastRv = new Map<string, string>();
  for (const o of sorted) {
    if (!isObjectRecord(o)) continue;
    const meta = (o.object as { metadata: TrimmedMeta }).metadata;
    const key = `${o.kind}/${meta.uid || meta.name}`;
    let h = byUid.get(key);
    if (!h) {
      const createdMs = parseTime(meta.creationTimestamp);
      h = {
        kind: o.kind,
        uid: meta.uid,
        name: meta.name,
        states: [],
        createdMs,
        firstArrivalMs: o.arrivalMs,
        existedAtStart: existedAtStart(createdMs, inInitialList(o), runFromMs),
        deletedAtMs: undefined,
        synthesizedDelete: false,
      };
      byUid.set(key, h);
    }
    if (h.deletedAtMs !== undefined) continue;
    if (o.type === 'DELETED') {
      h.deletedAtMs = o.arrivalMs;
      h.synthesizedDelete = Boolean(o.synthesized);
    }
    if (lastRv.get(key) === meta.resourceVersion) continue;
    lastRv.set(key, meta.resourceVersion);
    h.states.push({
      seq: o.seq,
      arrivalMs: o.arrivalMs,
      type: o.type,
      relisted: isRelisted(o) || Boolean(o.synthesized),
      object: o.object,
    });
  }

  const variantSet = new Set(variantNames);
  const byLength = [...variantNames].sort((a, b) => b.length - a.length);
  const variantByPrefix = (name: string) => byLength.find((v) => name.startsWith(`${v}-`));

  const pods: PodHistory[] = [];
  const events: EventHistory[] = [];
  const hpas = new Map<string, ObjectHistory<TrimmedHpa>>();
  const slices = new Map<string, SliceState[]>();
  for (const h of byUid.values()) {
    const { kind, ...history } = h;
    if (kind === 'Pod') {
      const ph = history as ObjectHistory<TrimmedPod>;
      const label = ph.states[0]?.object.metadata.labels?.[LABELS.variant];
      const withDeletion = ph.states.find((s) => s.object.metadata.deletionTimestamp !== undefined);
      pods.push({
        ...ph,
        variant: label !== undefined && variantSet.has(label) ? label : variantByPrefix(ph.name),
        deletionRequestedAtMs: withDeletion?.arrivalMs,
        deletionTimestampMs: parseTime(withDeletion?.object.metadata.deletionTimestamp),
      });
    } else if (kind === 'Event') {
      events.push(eventHistory(history as ObjectHistory<TrimmedEvent>));
    } else if (kind === 'HorizontalPodAutoscaler') {
      const hh = history as ObjectHistory<TrimmedHpa>;
      const last = hh.states.at(-1)?.object;
      const variant = variantSet.has(hh.name) ? hh.name : last?.spec.scaleTargetRef.name;
      if (variant !== undefined && variantSet.has(variant) && !hpas.has(variant)) hpas.set(variant, hh);
    }
  }
  for (const o of sorted) {
    if (!isObjectRecord(o) || o.kind !== 'EndpointSlice') continue;
    const s = o.object as TrimmedEndpointSlice;
    const service = s.service ?? s.metadata.labels?.['kubernetes.io/service-name'];
    if (service === undefined) continue;
    const list = slices.get(service) ?? [];
    slices.set(service, list);
    const readyPods = new Set<string>();
    if (o.type !== 'DELETED')
      for (const e of s.endpoints)
        if (e.pod !== undefined && e.ready !== false && e.terminating !== true) readyPods.add(e.pod);
    list.push({
      seq: o.seq,
      arrivalMs: o.arrivalMs,
      relisted: isRelisted(o) || Boolean(o.synthesized),
      slice: s.metadata.uid || s.metadata.name,
      readyPods,
    });
  }

  const podByName = new Map(pods.map((p) => [p.name, p]));
  return {
    pods,
    events,
    hpas,
    slices,
    markers,
    variantOfPodName: (name) =>
      name === undefined ? undefined : (podByName.get(name)?.variant ?? variantByPrefix(name)),
  };
}

/**
 * existedAtStart: created certainly before the run (server time ≥ 1 s before fromMs, since it is
 * truncated), certainly not (server time at or after fromMs), or, within that second or without a
 * creation time, when the object came in the initial list.
 */
export function existedAtStart(createdMs: number | undefined, initialList: boolean, fromMs: number): boolean {
  if (createdMs !== undefined && createdMs + 1000 <= fromMs) return true;
  if (createdMs !== undefined && createdMs >= fromMs) return false;
  return initialList;
}

function eventHistory(h: ObjectHistory<TrimmedEvent>): EventHistory {
  const occurrences: Occurrence[] = [];
  let seen = 0;
  let baseline = 0;
  for (const [i, s] of h.states.entries()) {
    if (s.type === 'DELETED') continue;
    const n = occurrencesOf(s.object);
    if (i === 0 && h.existedAtStart) {
      baseline = n;
      seen = n;
      continue;
    }
    for (let k = seen; k < n; k++)
      occurrences.push({ atMs: s.arrivalMs, serverMs: eventServerMs(s.object), relisted: s.relisted });
    seen = Math.max(seen, n);
  }
  return { ...h, baseline, occurrences };
}

/** firstEndpointReady: the first EndpointSlice state of the service, at or after fromMs, listing the pod ready. */
export function firstEndpointReady(
  slices: readonly SliceState[] | undefined,
  pod: string,
  fromMs: number,
): SliceState | undefined {
  if (!slices) return undefined;
  // The pod's current membership per slice, replayed in order; the first state at/after fromMs that lists it.
  for (const s of slices) if (s.arrivalMs >= fromMs && s.readyPods.has(pod)) return s;
  return undefined;
}
