/**
 * readyPodsTimeline: how many pods of a variant were Ready over the run — the count after every change,
 * at the arrival of the Pod state that changed it. A pod counts while its Ready condition is True and it
 * is neither deleted nor being deleted (a pod with a deletionTimestamp is leaving the endpoints). Pure.
 */
import type { PodHistory } from './history.ts';
import { SOURCES } from './common.ts';

export interface ReadyPoint {
  atMs: number;
  ready: number;
  /** relisted: the change was seen in a relist after a watch gap (its time is the relist's). */
  relisted: boolean;
}

export interface ReadyPodsTimeline {
  points: ReadyPoint[];
  source: string;
}

export function readyPodsTimeline(pods: readonly PodHistory[]): ReadyPodsTimeline {
  const changes: { atMs: number; seq: number; pod: string; ready: boolean; relisted: boolean }[] = [];
  for (const p of pods)
    for (const s of p.states) {
      const ready =
        s.type !== 'DELETED' &&
        !s.object.metadata.deletionTimestamp &&
        (s.object.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      changes.push({ atMs: s.arrivalMs, seq: s.seq, pod: p.uid, ready, relisted: s.relisted });
    }
  changes.sort((a, b) => a.seq - b.seq);
  const readyNow = new Set<string>();
  const points: ReadyPoint[] = [];
  for (const c of changes) {
    const before = readyNow.size;
    if (c.ready) readyNow.add(c.pod);
    else readyNow.delete(c.pod);
    if (readyNow.size !== before || !points.length)
      points.push({ atMs: c.atMs, ready: readyNow.size, relisted: c.relisted });
  }
  return { points, source: SOURCES.arrival };
}
