/**
 * Series from k6's `--out json` output: an incremental parser of its NDJSON lines into per-variant totals,
 * per-step and per-second series.
 *
 * Timestamps. Every number here is placed in time by k6's point time (`data.time`), which the load
 * generator's clock sets: RFC3339 with nanosecond digits, kept here to microseconds (epoch µs fit a JS
 * number exactly). For http_* samples k6 sets it when the request ended (answer read, or the error), for
 * iterations when the iteration ended, for dropped_iterations when the executor gave the iteration up.
 * So in the 1 s windows a request counts in the second it completed, while in the steps it counts in
 * the step its iteration started in (the `step` tag). The load start of a variant is the start of its k6
 * scenario (the probelab_scenario_start_ms sample, also the load-generator clock); without that sample
 * it falls back to the variant's first sample, and `loadStartSource` says so.
 *
 * What is read: http_reqs (requests, status classes), http_req_duration (latency), http_req_failed
 * (errors), iterations, dropped_iterations and probelab_pod_requests (which pod answered), all tagged
 * with `variant` (the scenario's tag) and `step` (the VU's tag, set per iteration); dropped iterations
 * carry no step and are placed by time. Other metrics and Metric definition lines are counted and skipped.
 *
 * Latency quantiles are nearest-rank over every sample (the smallest value with at least q·n samples at or
 * below it): exact values that were observed, no interpolation, no sketch.
 *
 * Contract: pure (no I/O); lines may come in any order and in any number of calls; summarize() can be
 * called at any time (a live or an aborted run gives a partial series).
 */
import { K6_METRICS, NO_POD } from './plan.ts';
import type { StageWindow } from '../load-shape.ts';

export const TIMESTAMP_SOURCE =
  'k6 point time (load-generator clock, RFC3339 with ns digits, kept to µs precision)' as const;
export const QUANTILE_METHOD = 'nearest-rank' as const;
export const WINDOW_MS = 1000;

export type ErrorKind = 'refused' | 'reset' | 'timeout' | 'other';

export interface ErrorCounts {
  /** total is the number of failed requests (http_req_failed = 1). */
  total: number;
  /** byStatusClass counts failed requests that got an answer, by status class: "4xx", "5xx", … */
  byStatusClass: Record<string, number>;
  /** byKind counts failed requests without an answer (status 0), by k6 error_code. */
  byKind: Record<ErrorKind, number>;
}

export interface LatencyMs {
  /** count is the number of http_req_duration samples (every request, failed ones included). */
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface IntervalStats {
  /** fromUs/toUs bound the interval, epoch µs on the load-generator clock (TIMESTAMP_SOURCE). */
  fromUs: number;
  toUs: number;
  /** fromMs/toMs are the same bounds as offsets from the variant's load start (undefined without one). */
  fromMs: number | undefined;
  toMs: number | undefined;
  requests: number;
  /** achievedRps is requests per second of the interval. */
  achievedRps: number;
  /** targetRps is the plan's mean target rate over the interval (undefined without a load start). */
  targetRps: number | undefined;
  /** expectedRequests is the plan's target integrated over the interval (undefined without a load start). */
  expectedRequests: number | undefined;
  iterations: number;
  droppedIterations: number;
  /** responses counts every request by status class ("2xx", "5xx", …; "none" without an answer). */
  responses: Record<string, number>;
  errors: ErrorCounts;
  /** errorRate is errors.total / requests (0 without requests). */
  errorRate: number;
  latencyMs: LatencyMs | undefined;
  /** requestsByPod counts requests by the pod that answered (X-Pod-Name; "none" without an answer). */
  requestsByPod: Record<string, number>;
}

export interface StepStats extends IntervalStats {
  step: number;
  /** rps is the step's target rate once ramped. */
  rps: number;
  /** complete is false when the run ended before the step did (the stats cover the part that ran). */
  complete: boolean;
}

export interface VariantSeries {
  variant: string;
  /** loadStartUs is the variant's load start (epoch µs, load-generator clock). */
  loadStartUs: number | undefined;
  loadStartSource: 'k6 scenario start' | 'first sample' | 'none';
  total: IntervalStats;
  steps: StepStats[];
  /** windows are 1 s buckets aligned to whole seconds of the load-generator clock, in time order. */
  windows: IntervalStats[];
}

export interface LoadSeries {
  timestampSource: typeof TIMESTAMP_SOURCE;
  quantileMethod: typeof QUANTILE_METHOD;
  windowMs: typeof WINDOW_MS;
  variants: VariantSeries[];
  lines: LineCounts;
}

export interface LineCounts {
  /** points is the number of Point lines used. */
  points: number;
  /** skipped counts Metric definitions and points of other metrics. */
  skipped: number;
  /** unattributed counts used-metric points without a variant or scenario tag. */
  unattributed: number;
  /** malformed counts lines that are not k6 JSON output; the first few are kept in malformedExamples. */
  malformed: number;
  malformedExamples: string[];
}

/** LiveCounters are cheap running totals per variant, for progress while the run goes on. */
export interface LiveCounters {
  variant: string;
  requests: number;
  failed: number;
  droppedIterations: number;
  /** lastPointUs is the newest point time seen (epoch µs, load-generator clock). */
  lastPointUs: number | undefined;
}

export interface SummarizeOptions {
  /**
   * complete says the run ended normally, so every step ran its full length. Otherwise a step's length
   * is cut at the newest sample of the variant (an aborted or live run).
   */
  complete: boolean;
}

const USED_METRICS = new Set<string>([
  'http_reqs',
  'http_req_duration',
  'http_req_failed',
  'iterations',
  'dropped_iterations',
  K6_METRICS.podRequests,
  K6_METRICS.scenarioStart,
]);
const MAX_MALFORMED_EXAMPLES = 5;
/** NO_ANSWER is the status class of a request that got no HTTP answer (k6 status 0). */
export const NO_ANSWER = 'none';

/** errorKind maps a k6 error_code (lib/netext/httpext/error_codes.go) to the kinds the reports use. */
export function errorKind(errorCode: string | undefined): ErrorKind {
  switch (errorCode) {
    case '1212': // dial: connection refused
      return 'refused';
    case '1220': // read/write: connection reset by peer
    case '1201': // write: broken pipe (the peer closed the connection)
      return 'reset';
    case '1050': // request timeout (the per-request timeout)
    case '1211': // dial: i/o timeout
      return 'timeout';
    default:
      return 'other';
  }
}

/** parseK6Time turns k6's RFC3339 time (ns digits, Z or ±hh:mm) into epoch µs; undefined if it is not one. */
export function parseK6Time(text: string): number | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  const micros = Number((match[2] ?? '').padEnd(6, '0').slice(0, 6));
  return seconds * 1000 + micros;
}

/** nearestRank is the q-quantile (0 < q ≤ 1) of ascending values by the nearest-rank method. */
export function nearestRank(sortedAscending: ArrayLike<number>, q: number): number {
  if (sortedAscending.length === 0) throw new Error('internal: nearestRank of no values');
  const rank = Math.min(sortedAscending.length, Math.max(1, Math.ceil(q * sortedAscending.length)));
  return sortedAscending[rank - 1] as number;
}

/**
 * expectedRequests integrates the plan's target rate over [fromMs, toMs) (offsets from load start): each
 * step ramps linearly from the previous step's rate (0 before the first) to its own, then holds it.
 */
export function expectedRequests(stages: readonly StageWindow[], fromMs: number, toMs: number): number {
  let total = 0;
  let previousRps = 0;
  for (const s of stages) {
    total += integrateLinear(s.startMs, s.holdStartMs, previousRps, s.rps, fromMs, toMs);
    total += integrateLinear(s.holdStartMs, s.endMs, s.rps, s.rps, fromMs, toMs);
    previousRps = s.rps;
  }
  return total;
}

/** The rate goes linearly from r0 at a to r1 at b (ms); its integral over [a,b) ∩ [from,to), in requests. */
function integrateLinear(a: number, b: number, r0: number, r1: number, from: number, to: number): number {
  const lo = Math.max(a, from);
  const hi = Math.min(b, to);
  if (hi <= lo || b <= a) return 0;
  const rateAt = (t: number) => r0 + ((r1 - r0) * (t - a)) / (b - a);
  return (((rateAt(lo) + rateAt(hi)) / 2) * (hi - lo)) / 1000;
}

interface Accumulator {
  requests: number;
  iterations: number;
  droppedIterations: number;
  responses: Map<string, number>;
  failed: number;
  failedByStatusClass: Map<string, number>;
  failedByKind: Map<ErrorKind, number>;
  durations: number[];
  pods: Map<string, number>;
}

function newAccumulator(): Accumulator {
  return {
    requests: 0,
    iterations: 0,
    droppedIterations: 0,
    responses: new Map(),
    failed: 0,
    failedByStatusClass: new Map(),
    failedByKind: new Map(),
    durations: [],
    pods: new Map(),
  };
}

interface VariantState {
  variant: string;
  total: Accumulator;
  steps: Map<number, Accumulator>;
  /** windows are keyed by whole epoch second of the point time. */
  windows: Map<number, Accumulator>;
  /** dropped iterations carry no step; they are placed in steps by time when summarizing. */
  dropped: { us: number; value: number }[];
  scenarioStartUs: number | undefined;
  firstUs: number | undefined;
  lastUs: number | undefined;
}

interface Point {
  metric: string;
  us: number;
  value: number;
  tags: Record<string, string>;
}

export class K6SeriesParser {
  private readonly stages: readonly StageWindow[];
  private readonly variants = new Map<string, VariantState>();
  private readonly counts: LineCounts = {
    points: 0,
    skipped: 0,
    unattributed: 0,
    malformed: 0,
    malformedExamples: [],
  };

  /** stages are the plan's steps (K6Plan.stages): they give the target rates and the steps' lengths. */
  constructor(stages: readonly StageWindow[]) {
    this.stages = stages;
  }

  /** addLine takes one NDJSON line of k6's json output (without its newline). Blank lines are ignored. */
  addLine(line: string): void {
    if (line.trim() === '') return;
    // Cheap pre-filter: Point lines start with {"metric":"<name>"; most of them are metrics not used here.
    const name = /^\{"metric":"([^"]+)"/.exec(line)?.[1];
    if (name !== undefined && !USED_METRICS.has(name)) {
      this.counts.skipped++;
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.malformed(line);
      return;
    }
    const point = toPoint(parsed);
    if (point === 'metric-definition') {
      this.counts.skipped++;
      return;
    }
    if (point === undefined) {
      this.malformed(line);
      return;
    }
    if (!USED_METRICS.has(point.metric)) {
      this.counts.skipped++;
      return;
    }
    const variantName = point.tags.variant ?? point.tags.scenario;
    if (!variantName) {
      this.counts.unattributed++;
      return;
    }
    this.counts.points++;
    this.record(this.variantState(variantName), point);
  }

  /** live returns running totals per variant (cheap; no quantiles). */
  live(): LiveCounters[] {
    return [...this.variants.values()].map((v) => ({
      variant: v.variant,
      requests: v.total.requests,
      failed: v.total.failed,
      droppedIterations: v.total.droppedIterations,
      lastPointUs: v.lastUs,
    }));
  }

  summarize(options: SummarizeOptions): LoadSeries {
    return {
      timestampSource: TIMESTAMP_SOURCE,
      quantileMethod: QUANTILE_METHOD,
      windowMs: WINDOW_MS,
      variants: [...this.variants.values()].map((v) => this.summarizeVariant(v, options)),
      lines: { ...this.counts, malformedExamples: [...this.counts.malformedExamples] },
    };
  }

  private malformed(line: string): void {
    this.counts.malformed++;
    if (this.counts.malformedExamples.length < MAX_MALFORMED_EXAMPLES)
      this.counts.malformedExamples.push(line.length > 200 ? `${line.slice(0, 200)}…` : line);
  }

  private variantState(variant: string): VariantState {
    let state = this.variants.get(variant);
    if (!state) {
      state = {
        variant,
        total: newAccumulator(),
        steps: new Map(),
        windows: new Map(),
        dropped: [],
        scenarioStartUs: undefined,
        firstUs: undefined,
        lastUs: undefined,
      };
      this.variants.set(variant, state);
    }
    return state;
  }

  private record(v: VariantState, p: Point): void {
    if (p.metric === K6_METRICS.scenarioStart) {
      v.scenarioStartUs = Math.round(p.value * 1000);
      return;
    }
    v.firstUs = v.firstUs === undefined ? p.us : Math.min(v.firstUs, p.us);
    v.lastUs = v.lastUs === undefined ? p.us : Math.max(v.lastUs, p.us);
    if (p.metric === 'dropped_iterations') v.dropped.push({ us: p.us, value: p.value });

    const stepTag = p.tags.step;
    const step = stepTag !== undefined && /^\d+$/.test(stepTag) ? Number(stepTag) : undefined;
    const second = Math.floor(p.us / 1_000_000);
    const targets = [v.total, getOrCreate(v.windows, second, newAccumulator)];
    if (step !== undefined) targets.push(getOrCreate(v.steps, step, newAccumulator));
    for (const acc of targets) addPoint(acc, p);
  }

  private summarizeVariant(v: VariantState, options: SummarizeOptions): VariantSeries {
    const loadStartUs = v.scenarioStartUs ?? v.firstUs;
    const loadStartSource =
      v.scenarioStartUs !== undefined
        ? 'k6 scenario start'
        : v.firstUs !== undefined
          ? 'first sample'
          : 'none';
    const planEndMs = this.stages.at(-1)?.endMs ?? 0;
    const observedEndMs =
      loadStartUs !== undefined && v.lastUs !== undefined ? (v.lastUs - loadStartUs) / 1000 : 0;
    const endMs = options.complete ? Math.max(planEndMs, observedEndMs) : observedEndMs;
    const stats = (acc: Accumulator, fromUs: number, toUs: number) =>
      this.intervalStats(acc, fromUs, toUs, loadStartUs);

    const startUs = loadStartUs ?? 0;
    const total = stats(v.total, startUs, startUs + endMs * 1000);

    const steps: StepStats[] = [];
    for (const stage of this.stages) {
      const acc = v.steps.get(stage.index) ?? newAccumulator();
      if (loadStartUs !== undefined)
        for (const d of v.dropped) {
          const atMs = (d.us - loadStartUs) / 1000;
          if (stageIndexAt(this.stages, atMs) === stage.index) acc.droppedIterations += d.value;
        }
      const reached = stage.startMs < endMs || acc.requests > 0;
      if (!reached) continue;
      const stepEndMs = options.complete
        ? stage.endMs
        : Math.min(stage.endMs, Math.max(endMs, stage.startMs));
      steps.push({
        step: stage.index,
        rps: stage.rps,
        complete: options.complete || endMs >= stage.endMs,
        ...stats(acc, startUs + stage.startMs * 1000, startUs + stepEndMs * 1000),
      });
    }

    const windows = [...v.windows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([second, acc]) => stats(acc, second * 1_000_000, (second + 1) * 1_000_000));
    return { variant: v.variant, loadStartUs, loadStartSource, total, steps, windows };
  }

  private intervalStats(
    acc: Accumulator,
    fromUs: number,
    toUs: number,
    loadStartUs: number | undefined,
  ): IntervalStats {
    const seconds = (toUs - fromUs) / 1_000_000;
    const fromMs = loadStartUs === undefined ? undefined : (fromUs - loadStartUs) / 1000;
    const toMs = loadStartUs === undefined ? undefined : (toUs - loadStartUs) / 1000;
    const expected =
      fromMs === undefined || toMs === undefined ? undefined : expectedRequests(this.stages, fromMs, toMs);
    const sorted = Float64Array.from(acc.durations).sort();
    const latencyMs =
      sorted.length === 0
        ? undefined
        : {
            count: sorted.length,
            p50: nearestRank(sorted, 0.5),
            p95: nearestRank(sorted, 0.95),
            p99: nearestRank(sorted, 0.99),
            max: sorted[sorted.length - 1] as number,
          };
    return {
      fromUs,
      toUs,
      fromMs,
      toMs,
      requests: acc.requests,
      achievedRps: seconds > 0 ? acc.requests / seconds : 0,
      targetRps: expected === undefined || seconds <= 0 ? undefined : expected / seconds,
      expectedRequests: expected,
      iterations: acc.iterations,
      droppedIterations: acc.droppedIterations,
      responses: Object.fromEntries(acc.responses),
      errors: {
        total: acc.failed,
        byStatusClass: Object.fromEntries(acc.failedByStatusClass),
        byKind: {
          refused: acc.failedByKind.get('refused') ?? 0,
          reset: acc.failedByKind.get('reset') ?? 0,
          timeout: acc.failedByKind.get('timeout') ?? 0,
          other: acc.failedByKind.get('other') ?? 0,
        },
      },
      errorRate: acc.requests > 0 ? acc.failed / acc.requests : 0,
      latencyMs,
      requestsByPod: Object.fromEntries(acc.pods),
    };
  }
}

function addPoint(acc: Accumulator, p: Point): void {
  switch (p.metric) {
    case 'http_reqs':
      acc.requests += p.value;
      increment(acc.responses, statusClass(p.tags.status), p.value);
      break;
    case 'http_req_duration':
      acc.durations.push(p.value);
      break;
    case 'http_req_failed':
      if (p.value === 0) break;
      acc.failed += 1;
      if (statusClass(p.tags.status) === NO_ANSWER)
        increment(acc.failedByKind, errorKind(p.tags.error_code), 1);
      else increment(acc.failedByStatusClass, statusClass(p.tags.status), 1);
      break;
    case 'iterations':
      acc.iterations += p.value;
      break;
    case 'dropped_iterations':
      acc.droppedIterations += p.value;
      break;
    case K6_METRICS.podRequests:
      increment(acc.pods, p.tags.pod || NO_POD, p.value);
      break;
  }
}

/** statusClass is "2xx" … "5xx" for an HTTP status, NO_ANSWER for k6's status 0. */
function statusClass(status: string | undefined): string {
  return status !== undefined && /^[1-9]\d\d$/.test(status) ? `${status[0]}xx` : NO_ANSWER;
}

function stageIndexAt(stages: readonly StageWindow[], atMs: number): number {
  for (let i = stages.length - 1; i > 0; i--) if (atMs >= (stages[i] as StageWindow).startMs) return i;
  return 0;
}

function toPoint(value: unknown): Point | 'metric-definition' | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const line = value as { type?: unknown; metric?: unknown; data?: unknown };
  if (line.type === 'Metric') return 'metric-definition';
  if (line.type !== 'Point' || typeof line.metric !== 'string') return undefined;
  const data = line.data as { time?: unknown; value?: unknown; tags?: unknown } | undefined;
  if (typeof data?.time !== 'string' || typeof data.value !== 'number') return undefined;
  const us = parseK6Time(data.time);
  if (us === undefined) return undefined;
  const tags: Record<string, string> = {};
  if (typeof data.tags === 'object' && data.tags !== null)
    for (const [k, v] of Object.entries(data.tags)) if (typeof v === 'string') tags[k] = v;
  return { metric: line.metric, us, value: data.value, tags };
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

function increment<K>(map: Map<K, number>, key: K, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}
