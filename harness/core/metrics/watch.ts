/**
 * Watch health: how complete the observations are. Gaps (a watch down from fromMs to toMs: changes in
 * between are known only from the relist that followed, at the relist's time), errors, relists and
 * synthesised deletions. Pure.
 */
import type { WatchedKind } from '../observations.ts';
import type { Histories } from './history.ts';

export interface WatchGap {
  kind: WatchedKind;
  fromMs: number;
  toMs: number;
  durationMs: number;
  reason?: string;
}

export interface WatchHealth {
  gaps: WatchGap[];
  /** totalGapMs: the sum of every gap's length, over all kinds. */
  totalGapMs: number;
  gapMsByKind: Partial<Record<WatchedKind, number>>;
  /** unionGapMs: how long at least one watch was down. */
  unionGapMs: number;
  errors: { kind: WatchedKind; atMs: number; reason?: string }[];
  /** relists: lists after the first one of each kind. */
  relists: number;
  relistedStates: number;
  synthesizedDeletes: number;
}

export function watchHealth(h: Histories): WatchHealth {
  const gaps: WatchGap[] = [];
  const errors: WatchHealth['errors'] = [];
  const listedKinds = new Set<WatchedKind>();
  let relists = 0;
  for (const m of h.markers) {
    if (m.marker === 'gap') {
      const fromMs = m.fromMs ?? m.arrivalMs;
      const toMs = m.toMs ?? m.arrivalMs;
      gaps.push({
        kind: m.kind,
        fromMs,
        toMs,
        durationMs: Math.max(0, toMs - fromMs),
        ...(m.reason ? { reason: m.reason } : {}),
      });
    } else if (m.marker === 'error') {
      errors.push({ kind: m.kind, atMs: m.arrivalMs, ...(m.reason ? { reason: m.reason } : {}) });
    } else if (listedKinds.has(m.kind)) relists++;
    else listedKinds.add(m.kind);
  }
  const gapMsByKind: Partial<Record<WatchedKind, number>> = {};
  for (const g of gaps) gapMsByKind[g.kind] = (gapMsByKind[g.kind] ?? 0) + g.durationMs;
  let unionGapMs = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const g of [...gaps].sort((a, b) => a.fromMs - b.fromMs)) {
    const from = Math.max(g.fromMs, end);
    if (g.toMs > from) unionGapMs += g.toMs - from;
    end = Math.max(end, g.toMs);
  }
  const all = [...h.pods, ...h.events, ...h.hpas.values()];
  const relistedStates =
    all.reduce((n, o) => n + o.states.filter((s) => s.relisted).length, 0) +
    [...h.slices.values()].reduce((n, list) => n + list.filter((s) => s.relisted).length, 0);
  return {
    gaps,
    totalGapMs: gaps.reduce((n, g) => n + g.durationMs, 0),
    gapMsByKind,
    unionGapMs,
    errors,
    relists,
    relistedStates,
    synthesizedDeletes: all.filter((o) => o.synthesizedDelete).length,
  };
}
