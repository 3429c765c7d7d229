/**
 * Probe failures by probe type, from the kubelet's `Unhealthy` events ("Liveness probe failed: …",
 * "Readiness probe errored: …", possibly "(combined from similar events): …").
 *
 * The kubelet aggregates repeats into one Event object (uid) whose `count` (series.count for
 * events.k8s.io) grows; an occurrence is an increment of that count seen in a state, so a relist that
 * repeats a count adds nothing, and an event that existed before the run counts only the increments seen
 * after its first state. Occurrence times are arrivals of the state that showed them (1 ms; the
 * relist's when flagged), so several occurrences between two states share one time. Pure.
 */
import type { TrimmedEvent } from '../observations.ts';
import { SOURCES } from './common.ts';
import type { EventHistory } from './history.ts';

export const PROBE_TYPES = ['liveness', 'readiness', 'startup'] as const;
export type ProbeType = (typeof PROBE_TYPES)[number];

export interface ProbeTypeFailures {
  /** failures: occurrences (count increments) during the run. */
  failures: number;
  /** events: distinct Event objects (uids) that contributed. */
  events: number;
  byPod: Record<string, number>;
  firstAtMs: number | null;
  lastAtMs: number | null;
}

export interface ProbeFailureMetrics {
  source: string;
  byType: Record<ProbeType, ProbeTypeFailures>;
  /** unclassified: Unhealthy occurrences whose message names no probe type. */
  unclassified: number;
  /** preRunOccurrences: occurrences counted before the run by events that existed at start (excluded). */
  preRunOccurrences: number;
  /** relistedOccurrences: occurrences seen only in a relist after a watch gap (times are the relist's). */
  relistedOccurrences: number;
}

export function probeTypeOf(message: string | undefined): ProbeType | undefined {
  const match = /\b(liveness|readiness|startup) probe (?:failed|errored)/i.exec(message ?? '');
  return match ? (match[1]?.toLowerCase() as ProbeType) : undefined;
}

export function probeFailureMetrics(
  events: readonly EventHistory[],
  runWindow: { fromMs: number; toMs: number },
): ProbeFailureMetrics {
  const empty = (): ProbeTypeFailures => ({
    failures: 0,
    events: 0,
    byPod: {},
    firstAtMs: null,
    lastAtMs: null,
  });
  const byType: Record<ProbeType, ProbeTypeFailures> = {
    liveness: empty(),
    readiness: empty(),
    startup: empty(),
  };
  let unclassified = 0;
  let preRunOccurrences = 0;
  let relistedOccurrences = 0;
  for (const e of events) {
    const last = e.states.at(-1)?.object as TrimmedEvent | undefined;
    if (!last || last.reason !== 'Unhealthy') continue;
    const occurrences = e.occurrences.filter((o) => o.atMs >= runWindow.fromMs && o.atMs <= runWindow.toMs);
    preRunOccurrences += e.baseline;
    if (!occurrences.length) continue;
    relistedOccurrences += occurrences.filter((o) => o.relisted).length;
    const type = probeTypeOf(last.message);
    if (!type) {
      unclassified += occurrences.length;
      continue;
    }
    const t = byType[type];
    t.failures += occurrences.length;
    t.events++;
    const pod = last.involvedObject.name ?? '';
    t.byPod[pod] = (t.byPod[pod] ?? 0) + occurrences.length;
    const first = occurrences[0]?.atMs as number;
    const lastAt = occurrences.at(-1)?.atMs as number;
    t.firstAtMs = t.firstAtMs === null ? first : Math.min(t.firstAtMs, first);
    t.lastAtMs = t.lastAtMs === null ? lastAt : Math.max(t.lastAtMs, lastAt);
  }
  return { source: SOURCES.arrival, byType, unclassified, preRunOccurrences, relistedOccurrences };
}
