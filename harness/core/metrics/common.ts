/**
 * Shared vocabulary of the metrics: timestamp sources, durations that carry their source or the reason
 * they are missing, and small time helpers. Pure.
 */

/** SOURCES names every clock a figure can come from, with its precision (docs/metrics.md). */
export const SOURCES = {
  arrival: 'arrival (host wall clock, 1 ms)',
  server: 'server (metav1.Time, 1 s truncated)',
  microTime: 'server (metav1.MicroTime, 1 µs)',
  k6Window: 'k6 point time (µs) bucketed in 1 s windows',
  plan: 'load start + planned step offset (host wall clock, 1 ms)',
  harness: 'harness (host wall clock, 1 ms)',
  sample: 'config sample (host wall clock, 1 ms; precision = the sampling interval)',
} as const;
export type Source = (typeof SOURCES)[keyof typeof SOURCES];

/** A duration that was measured: ms and the sources of its two ends ("from → to", or one source). */
export interface Measured {
  ms: number;
  source: string;
}

/** A duration that could not be measured: null and why (never 0). */
export interface Missing {
  ms: null;
  reason: string;
}

export type Duration = Measured | Missing;

export function measured(ms: number, from: Source, to: Source = from): Measured {
  return { ms, source: from === to ? from : `${from} → ${to}` };
}

export function missing(reason: string): Missing {
  return { ms: null, reason };
}

export function isMeasured(d: Duration): d is Measured {
  return d.ms !== null;
}

/** parseTime turns a metav1.Time / MicroTime string into epoch ms (µs digits kept as a fraction). */
export function parseTime(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!match) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : ms;
  }
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  const fraction = match[2] ? Number(`0.${match[2]}`) * 1000 : 0;
  return seconds + Math.round(fraction * 1000) / 1000;
}

/** overlaps: [aFrom, aTo) and [bFrom, bTo) share any instant. */
export function overlaps(aFrom: number, aTo: number, bFrom: number, bTo: number): boolean {
  return aTo > bFrom && aFrom < bTo;
}

/** RELATED_SLACK_MS: how far apart two watches may deliver causally related changes (different streams). */
export const RELATED_SLACK_MS = 2_000;

/** INSTANT_FAULT_MS: how long after a pod-kill or container-kill its effects are attributed to it. */
export const INSTANT_FAULT_MS = 30_000;

export function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
