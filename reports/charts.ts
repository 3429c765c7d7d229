/**
 * The report's charts: Vega-Lite specs built from run.json, rendered at report time to static SVG strings
 * (Vega's headless renderer, no canvas, no browser, no script in the output). Used by report.html
 * (html.ts) and meant for summary.md to embed as images.
 *
 * One time axis everywhere: seconds from the load start (run.json loadStartMs, else the variants' load
 * start, else the watchers' start). Every time placed on it is on this host's wall clock (report.clocks):
 * k6 point times (µs), watch arrivals and the harness's chaos/rollout windows (ms).
 *
 * Colours come from one table (COLORS) so that a restart cause, a probe type or a series has the same
 * colour in every chart. Pure apart from Vega's rendering (no I/O).
 */
import type * as Vega from 'vega';
import type { compile, TopLevelSpec } from 'vega-lite';
import type { RunReport } from './render.ts';
import type { IntervalStats } from '../harness/core/load/series.ts';
import type { ScaleUpStep, ScalingMetrics, VariantMetrics } from '../harness/core/metrics/index.ts';

export type ChartKind = 'timeline' | 'compare' | 'scale-up' | 'startup' | 'restarts' | 'probes';

export interface ChartSpec {
  /** id: stable, unique in a report (e.g. "timeline-web"); used for element ids and file names. */
  id: string;
  kind: ChartKind;
  title: string;
  /** variant: the variant a per-variant chart shows. */
  variant?: string;
  /** caption: what is shown and the timestamp source of every time and duration in it (plain text). */
  caption: string;
  spec: TopLevelSpec;
}

export interface ChartSvg extends Omit<ChartSpec, 'spec'> {
  svg: string;
}

export const RESTART_CAUSES = ['liveness', 'oom', 'error', 'chaos', 'eviction', 'unknown'] as const;
export const PROBE_TYPES = ['liveness', 'readiness', 'startup', 'unclassified'] as const;

/** COLORS: every colour of every chart, by key; causes and probe types share their key's colour. */
export const COLORS: Record<string, string> = {
  'target rps': '#8c8c8c',
  'achieved rps': '#1f77b4',
  'HPA desired': '#ff7f0e',
  'HPA current': '#a05195',
  'pods Ready': '#2ca02c',
  'pods answering': '#8c6d31',
  'p95 latency': '#6a3d9a',
  'error rate': '#b15928',
  'chaos window': '#f4a6a6',
  'rollout window': '#f2d16b',
  'restart: liveness': '#d62728',
  'restart: oom': '#17becf',
  'restart: error': '#e377c2',
  'restart: chaos': '#bcbd22',
  'restart: eviction': '#7f3c8d',
  'restart: unknown': '#444444',
  'probe: liveness': '#d62728',
  'probe: readiness': '#f28e2b',
  'probe: startup': '#4e9fd1',
  'probe: unclassified': '#444444',
  p50: '#c6dbef',
  p90: '#6baed6',
  p99: '#2171b5',
  max: '#08306b',
  reaction: '#fd8d3c',
  'pods created': '#c7e9c0',
  'pods Ready (provisioning)': '#74c476',
  'in EndpointSlice': '#238b45',
  'floor: reaction': '#fdd0a2',
  'floor: ramp': '#d9d9d9',
  'floor: ready': '#bdbdbd',
  'SLO recovery': '#6a3d9a',
};

/** VARIANT_COLORS: the variants' colours in the comparison chart, in the report's variant order. */
const VARIANT_COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#9467bd',
  '#8c564b',
  '#17becf',
  '#e377c2',
  '#7f7f7f',
];

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const WIDTH = 860;
const CONFIG = {
  font: FONT,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'right', labelLimit: 240 },
  header: { labelFontSize: 12, labelFontWeight: 'bold', titleFontSize: 12 },
  title: { fontSize: 13, anchor: 'start' },
} as const;

const EDGE_LABELS: Record<string, string> = {
  createdToScheduled: 'created → scheduled',
  scheduledToStarted: 'scheduled → started',
  createdToStarted: 'created → started',
  probeDelay: 'started → ready (probes)',
  createdToReady: 'created → ready',
};

// ---- the time axis ---------------------------------------------------------------------------------

export interface TimeOrigin {
  ms: number;
  source: string;
}

/** timeOrigin: t = 0 of every time axis, with what it is. */
export function timeOrigin(report: RunReport): TimeOrigin | undefined {
  if (report.loadStartMs !== undefined && report.loadStartMs !== null)
    return { ms: report.loadStartMs, source: 'load start (k6 started, host wall clock, 1 ms)' };
  const m = report.metrics?.variants.find((v) => v.loadStart.ms !== null);
  if (m?.loadStart.ms != null) return { ms: m.loadStart.ms, source: `load start (${m.loadStart.source})` };
  const s = report.series?.variants.find((v) => v.loadStartUs !== undefined);
  if (s?.loadStartUs !== undefined)
    return { ms: s.loadStartUs / 1000, source: `load start (k6 ${s.loadStartSource}, host clock, µs)` };
  if (report.metrics)
    return { ms: report.metrics.runWindow.fromMs, source: 'the watchers’ start (host, 1 ms)' };
  return undefined;
}

function seconds(ms: number, origin: TimeOrigin): number {
  return Math.round(ms - origin.ms) / 1000;
}

/** windowMid: the middle of a k6 1 s window, epoch ms. */
function windowMidMs(w: IntervalStats): number {
  return (w.fromUs + w.toUs) / 2000;
}

export function fmtSeconds(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return `${(ms / 1000).toFixed(1)} s`;
}

function fmtMs(ms: number): string {
  return ms >= 10_000
    ? `${(ms / 1000).toFixed(1)} s`
    : ms >= 1000
      ? `${(ms / 1000).toFixed(2)} s`
      : `${ms} ms`;
}

function variantNames(report: RunReport): string[] {
  const names: string[] = [];
  for (const v of report.metrics?.variants ?? []) if (!names.includes(v.variant)) names.push(v.variant);
  for (const v of report.series?.variants ?? []) if (!names.includes(v.variant)) names.push(v.variant);
  return names;
}

function scalingOf(v: VariantMetrics | undefined): ScalingMetrics | undefined {
  return v?.scaling.defined ? v.scaling : undefined;
}

function colorScale(keys: readonly string[]) {
  return { domain: [...keys], range: keys.map((k) => COLORS[k] ?? '#888') };
}

function uniqueKeys(rows: readonly { k: string }[], order: readonly string[]): string[] {
  const present = new Set(rows.map((r) => r.k));
  return order.filter((k) => present.has(k));
}

// ---- the timeline per variant ----------------------------------------------------------------------

interface Row {
  t: number;
  v: number;
  k: string;
}
interface Band {
  t0: number;
  t1: number;
  k: string;
  label: string;
}
interface Mark {
  t: number;
  k: string;
  what: string;
}

/** timeDomain: the span of everything that is placed in time, in seconds from the origin (shared by all). */
function timeDomain(report: RunReport, origin: TimeOrigin): [number, number] {
  const times: number[] = [];
  for (const s of report.series?.variants ?? [])
    for (const w of s.windows) times.push(w.fromUs / 1000, w.toUs / 1000);
  for (const w of [...report.chaosWindows, ...report.rolloutWindows]) times.push(w.fromMs, w.toMs);
  for (const v of report.metrics?.variants ?? []) {
    for (const d of scalingOf(v)?.desired ?? []) times.push(d.atMs);
    for (const r of v.restarts.restarts) times.push(r.atMs);
    for (const p of v.startup.pods) if (p.arrival.ready !== null) times.push(p.arrival.ready);
  }
  const finite = times.filter((t) => Number.isFinite(t)).map((t) => seconds(t, origin));
  if (!finite.length) return [0, 1];
  const lo = Math.min(0, ...finite);
  const hi = Math.max(...finite);
  return [Math.floor(lo), Math.ceil(hi === lo ? lo + 1 : hi)];
}

function bandsOf(report: RunReport, variant: string | undefined, origin: TimeOrigin): Band[] {
  const of = (ws: RunReport['chaosWindows'], k: string) =>
    ws
      .filter((w) => variant === undefined || w.variant === variant)
      .map((w) => ({
        t0: seconds(w.fromMs, origin),
        t1: seconds(Math.max(w.toMs, w.fromMs + 250), origin),
        k,
        label: variant === undefined ? `${w.label} (${w.variant})` : w.label,
      }));
  return [
    ...of(report.chaosWindows ?? [], 'chaos window'),
    ...of(report.rolloutWindows ?? [], 'rollout window'),
  ];
}

/**
 * readyPodsRows: the pods created in the run, counted by the arrival of their first Ready (cumulative),
 * up to `untilMs`: the first moment a pod may have stopped being Ready, after which the count is unknown.
 */
function readyPodsRows(
  v: VariantMetrics | undefined,
  origin: TimeOrigin,
  untilMs: number | undefined,
  end: number,
): Row[] {
  const times = (v?.startup.pods ?? [])
    .map((p) => p.arrival.ready)
    .filter((t): t is number => t !== null && (untilMs === undefined || t < untilMs))
    .sort((a, b) => a - b);
  if (!times.length) return [];
  const rows: Row[] = [{ t: seconds(times[0] as number, origin), v: 0, k: 'pods Ready' }];
  times.forEach((t, i) => rows.push({ t: seconds(t, origin), v: i + 1, k: 'pods Ready' }));
  rows.push({ t: untilMs === undefined ? end : seconds(untilMs, origin), v: times.length, k: 'pods Ready' });
  return rows;
}

/** firstPossibleLoss: the first event after which a pod of the variant may have stopped being Ready. */
function firstPossibleLoss(
  report: RunReport,
  name: string,
  m: VariantMetrics | undefined,
): { ms: number; what: string } | undefined {
  const candidates: { ms: number; what: string }[] = [];
  for (const w of report.chaosWindows ?? [])
    if (w.variant === name) candidates.push({ ms: w.fromMs, what: `chaos window ${w.label}` });
  for (const w of report.rolloutWindows ?? [])
    if (w.variant === name) candidates.push({ ms: w.fromMs, what: `rollout window ${w.label}` });
  const desired = scalingOf(m)?.desired ?? [];
  for (let i = 1; i < desired.length; i++)
    if ((desired[i] as { desired: number }).desired < (desired[i - 1] as { desired: number }).desired)
      candidates.push({ ms: (desired[i] as { atMs: number }).atMs, what: 'a desiredReplicas decrease' });
  for (const r of m?.restarts.restarts ?? [])
    candidates.push({
      ms: Math.min(r.atMs, r.liveness?.killedAtMs ?? Infinity, r.finishedAtMs ?? Infinity),
      what: `a restart (${r.cause})`,
    });
  return candidates.sort((a, b) => a.ms - b.ms)[0];
}

/** podsAnswering: per k6 1 s window, the distinct pods that answered a request (X-Pod-Name). */
function podsAnsweringRows(windows: readonly IntervalStats[], origin: TimeOrigin): Row[] {
  return windows.map((w) => ({
    t: seconds(windowMidMs(w), origin),
    v: Object.entries(w.requestsByPod).filter(([pod, n]) => pod !== 'none' && n > 0).length,
    k: 'pods answering',
  }));
}

const TIMELINE_KEYS = [
  'target rps',
  'achieved rps',
  'HPA desired',
  'HPA current',
  'pods Ready',
  'pods answering',
  'p95 latency',
  'error rate',
  'chaos window',
  'rollout window',
  ...RESTART_CAUSES.map((c) => `restart: ${c}`),
];

interface Panel {
  title: string;
  rows: Row[];
  /** line: interpolation per key (step-after for counts), points: keys drawn as points only. */
  step?: readonly string[];
  points?: readonly string[];
  dashed?: readonly string[];
  integer?: boolean;
  /** minMax: the y axis reaches at least this (so a flat 0 line does not get a 0…0 axis). */
  minMax: number;
  height: number;
}

function panelSpec(
  p: Panel,
  bands: Band[],
  marks: Mark[],
  domain: [number, number],
  keys: { lines: string[]; bands: string[]; marks: string[] },
  last: boolean,
  first: boolean,
): Record<string, unknown> {
  const x = {
    field: 't',
    type: 'quantitative',
    scale: { domain, nice: false, zero: false },
    axis: last
      ? { title: 'seconds from load start', tickMinStep: 1 }
      : { title: null, labels: false, ticks: false },
  };
  // Three channels, three legends: series (color), windows (fill), restarts (stroke).
  const color = {
    field: 'k',
    type: 'nominal',
    scale: colorScale(keys.lines),
    legend: { title: null, symbolType: 'stroke', symbolStrokeWidth: 2.5 },
  };
  const fill = {
    field: 'window',
    type: 'nominal',
    scale: colorScale(keys.bands),
    legend: { title: 'windows' },
  };
  const stroke = {
    field: 'cause',
    type: 'nominal',
    scale: colorScale(keys.marks),
    legend: { title: 'restarts by cause', labelExpr: "replace(datum.label, 'restart: ', '')" },
  };
  const layers: Record<string, unknown>[] = [];
  if (bands.length)
    layers.push({
      name: 'windows',
      data: { values: bands.map((b) => ({ ...b, window: b.k })) },
      mark: { type: 'rect', opacity: 0.45 },
      encoding: { x: { ...x, field: 't0' }, x2: { field: 't1' }, fill },
    });
  if (bands.length && first)
    layers.push({
      data: { values: bands.map((b, i) => ({ ...b, ly: 2 + (i % 3) * 11 })) },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, fontSize: 10, color: '#444' },
      encoding: {
        x: { ...x, field: 't0' },
        y: { field: 'ly', type: 'quantitative', scale: null },
        text: { field: 'label' },
      },
    });
  const lineKeys = new Set(p.rows.map((r) => r.k));
  for (const k of lineKeys) {
    const rows = p.rows.filter((r) => r.k === k);
    const pointsOnly = p.points?.includes(k);
    layers.push({
      name: `series_${k.replace(/\W+/g, '_')}`,
      data: { values: rows },
      mark: pointsOnly
        ? { type: 'point', filled: true, size: 30 }
        : {
            type: 'line',
            strokeWidth: 1.6,
            interpolate: p.step?.includes(k) ? 'step-after' : 'linear',
            ...(p.dashed?.includes(k) ? { strokeDash: [5, 3] } : {}),
          },
      encoding: {
        x,
        y: {
          field: 'v',
          type: 'quantitative',
          title: p.title,
          axis: { titleAngle: -90, ...(p.integer ? { tickMinStep: 1, format: 'd' } : {}) },
          scale: { zero: true, domainMax: Math.max(p.minMax, ...p.rows.map((r) => r.v)) },
        },
        color,
      },
    });
  }
  if (marks.length)
    layers.push({
      name: 'restarts',
      data: { values: marks.map((m) => ({ ...m, cause: m.k })) },
      mark: { type: 'rule', strokeWidth: 1.5, strokeDash: [3, 2] },
      encoding: { x, stroke },
    });
  if (marks.length && first)
    layers.push({
      data: { values: marks.map((m) => ({ ...m, cause: m.k })) },
      mark: { type: 'point', shape: 'triangle-down', filled: false, strokeWidth: 2, size: 50, opacity: 1 },
      encoding: { x, y: { value: 0 }, stroke },
    });
  return { height: p.height, width: WIDTH, layer: layers, resolve: { scale: { y: 'shared' } } };
}

function timelineSpec(
  report: RunReport,
  name: string,
  origin: TimeOrigin,
  domain: [number, number],
): { spec: TopLevelSpec; caption: string } | undefined {
  const series = report.series?.variants.find((s) => s.variant === name);
  const m = report.metrics?.variants.find((v) => v.variant === name);
  const scaling = scalingOf(m);
  const end = domain[1];
  const panels: Panel[] = [];
  const captions: string[] = [];
  if (series?.windows.length) {
    const load: Row[] = [];
    const p95: Row[] = [];
    const errors: Row[] = [];
    for (const w of series.windows) {
      const t = seconds(windowMidMs(w), origin);
      if (w.targetRps !== undefined) load.push({ t, v: round2(w.targetRps), k: 'target rps' });
      load.push({ t, v: w.achievedRps, k: 'achieved rps' });
      if (w.latencyMs) p95.push({ t, v: round2(w.latencyMs.p95), k: 'p95 latency' });
      if (w.requests > 0) errors.push({ t, v: round2(w.errorRate * 100), k: 'error rate' });
    }
    panels.push({ title: 'load (rps)', rows: load, dashed: ['target rps'], height: 120, minMax: 1 });
    captions.push(
      `Load, p95 latency and error rate: k6 1 s windows (${report.series?.timestampSource ?? 'k6 point time'}; a request counts in the second it completed), plotted at the window's middle; target rps is the plan's mean target over the window; p95 is nearest-rank over the window's requests.`,
    );
    panels.push({ title: 'p95 latency (ms)', rows: p95, height: 110, minMax: 1 });
    panels.push({ title: 'error rate (%)', rows: errors, height: 80, minMax: 1 });
  }
  const replicas: Row[] = [];
  if (scaling?.desired.length) {
    const desired = scaling.desired.map((d) => ({
      t: seconds(d.atMs, origin),
      v: d.desired,
      k: 'HPA desired',
    }));
    desired.push({ t: end, v: (desired.at(-1) as Row).v, k: 'HPA desired' });
    replicas.push(...desired);
    for (const d of scaling.desired)
      if (d.current !== null) replicas.push({ t: seconds(d.atMs, origin), v: d.current, k: 'HPA current' });
    captions.push(
      `HPA desired (step line) and current replicas (points, sampled only when desired changed): status.desiredReplicas / currentReplicas at the arrival of the HPA's watch states (${report.metrics?.sources.arrival ?? 'host wall clock, 1 ms'}).`,
    );
  }
  const arrival = report.metrics?.sources.arrival ?? 'arrival (host wall clock, 1 ms)';
  const loss = firstPossibleLoss(report, name, m);
  const measuredReady = m?.readyPods?.points ?? [];
  const ready = measuredReady.length ? [] : readyPodsRows(m, origin, loss?.ms, end);
  if (measuredReady.length) {
    replicas.push(
      ...measuredReady.map((p) => ({ t: seconds(p.atMs, origin), v: p.ready, k: 'pods Ready' })),
      { t: end, v: (measuredReady.at(-1) as { ready: number }).ready, k: 'pods Ready' },
    );
    captions.push(
      `Pods Ready (dashed): pods whose Ready condition is True and that are not being deleted, counted after every change of a pod, at the arrival of its watch state (${m?.readyPods?.source ?? arrival}).`,
    );
  } else if (ready.length) {
    replicas.push(...ready);
    captions.push(
      `Pods Ready (dashed): ready-pod counts over time are not in the run's metrics (no deletion or readiness-loss times); this counts the pods created during the run by the arrival of their first Ready (${arrival})${loss ? `, and only until ${seconds(loss.ms, origin).toFixed(1)} s (${loss.what}), after which pods may have stopped being Ready` : ''}${m?.startup.preexisting ? `; ${m.startup.preexisting} pod(s) that existed before the run are not in it` : ''}.`,
    );
  } else if (m?.startup.population && !m.startup.preexisting) {
    replicas.push({ t: domain[0], v: 0, k: 'pods Ready' }, { t: end, v: 0, k: 'pods Ready' });
    captions.push(
      `Pods Ready (dashed): none of the ${m.startup.population} pod(s) of this variant ever became Ready (${arrival}).`,
    );
  }
  if (series?.windows.length) {
    replicas.push(...podsAnsweringRows(series.windows, origin));
    captions.push(
      'Pods answering: distinct pods that answered a request in each k6 1 s window (X-Pod-Name), a lower bound of the pods in service (at low rates a ready pod may get no request in a second).',
    );
  }
  if (replicas.length)
    panels.splice(1, 0, {
      title: 'replicas / pods',
      rows: replicas,
      step: ['HPA desired', 'pods Ready', 'pods answering'],
      points: ['HPA current'],
      dashed: ['pods Ready'],
      integer: true,
      height: 110,
      minMax: 1,
    });
  const bands = bandsOf(report, name, origin);
  if (bands.length)
    captions.push(
      `Shaded: chaos and rollout windows of this variant (harness, host wall clock, 1 ms): ${bands.map((b) => `${b.label} ${b.t0.toFixed(1)}–${b.t1.toFixed(1)} s`).join('; ')}.`,
    );
  const restarts = m?.restarts.restarts ?? [];
  const marks: Mark[] = restarts.map((r) => ({
    t: seconds(r.atMs, origin),
    k: `restart: ${r.cause}`,
    what: `${r.pod}/${r.container ?? '(pod)'}`,
  }));
  if (m)
    captions.push(
      restarts.length
        ? `Dashed vertical lines: ${restarts.length} restart(s) (${causeSummary(m)}${m.restarts.probableFalseKills ? `; ${m.restarts.probableFalseKills} probable false kill(s)` : ''}), each at the arrival of the pod state that showed it (${restarts[0]?.source}), coloured by cause.`
        : 'No restart during the run.',
    );
  if (!panels.length) return undefined;
  captions.push(`t = 0 is the ${origin.source}. Clocks: ${report.clocks}.`);
  const keys = {
    lines: uniqueKeys(
      panels.flatMap((p) => p.rows),
      TIMELINE_KEYS,
    ),
    bands: uniqueKeys(bands, TIMELINE_KEYS),
    marks: uniqueKeys(marks, TIMELINE_KEYS),
  };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    title: { text: `${name}: load, replicas, latency and errors over time` },
    spacing: 6,
    vconcat: panels.map((p, i) => panelSpec(p, bands, marks, domain, keys, i === panels.length - 1, i === 0)),
    resolve: { scale: { x: 'shared', color: 'shared', fill: 'shared', stroke: 'shared' } },
  } as unknown as TopLevelSpec;
  return { spec, caption: captions.join(' ') };
}

function causeSummary(m: VariantMetrics): string {
  return RESTART_CAUSES.filter((c) => m.restarts.byCause[c])
    .map((c) => `${c} ${m.restarts.byCause[c]}`)
    .join(', ');
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

// ---- variants compared -----------------------------------------------------------------------------

function compareSpec(
  report: RunReport,
  origin: TimeOrigin,
  domain: [number, number],
): { spec: TopLevelSpec; caption: string } | undefined {
  const series = (report.series?.variants ?? []).filter((s) => s.windows.length);
  if (series.length < 2) return undefined;
  const names = variantNames(report).filter((n) => series.some((s) => s.variant === n));
  const rows = series.flatMap((s) =>
    s.windows.map((w) => ({
      t: seconds(windowMidMs(w), origin),
      variant: s.variant,
      rps: w.achievedRps,
      p95: w.latencyMs ? round2(w.latencyMs.p95) : null,
      err: w.requests > 0 ? round2(w.errorRate * 100) : null,
    })),
  );
  const bands = bandsOf(report, undefined, origin);
  const color = {
    field: 'variant',
    type: 'nominal',
    scale: { domain: names, range: names.map((_, i) => VARIANT_COLORS[i % VARIANT_COLORS.length]) },
    legend: { title: 'variant' },
  };
  const panel = (field: string, title: string, last: boolean, height: number) => ({
    width: WIDTH,
    height,
    layer: [
      ...(bands.length
        ? [
            {
              data: { values: bands },
              mark: { type: 'rect', opacity: 0.3, color: '#999' },
              encoding: {
                x: { field: 't0', type: 'quantitative', scale: { domain, nice: false, zero: false } },
                x2: { field: 't1' },
              },
            },
          ]
        : []),
      {
        data: { values: rows },
        transform: [{ filter: `datum.${field} !== null` }],
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: {
            field: 't',
            type: 'quantitative',
            scale: { domain, nice: false, zero: false },
            axis: last ? { title: 'seconds from load start' } : { title: null, labels: false, ticks: false },
          },
          y: { field, type: 'quantitative', title, axis: { titleAngle: -90 } },
          color,
        },
      },
    ],
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    title: { text: 'Variants compared: achieved load, p95 latency and error rate' },
    spacing: 6,
    vconcat: [
      panel('rps', 'achieved rps', false, 90),
      panel('p95', 'p95 latency (ms)', false, 120),
      panel('err', 'error rate (%)', true, 90),
    ],
    resolve: { scale: { x: 'shared', color: 'shared' } },
  } as unknown as TopLevelSpec;
  const summary = series
    .map((s) => {
      const l = s.total.latencyMs;
      return `${s.variant}: ${s.total.requests} requests, ${s.total.errors.total} failed (${(s.total.errorRate * 100).toFixed(1)} %), p95 ${l ? `${l.p95.toFixed(1)} ms` : '—'}`;
    })
    .join('; ');
  return {
    spec,
    caption: `Every variant on one time axis (${summary}). k6 1 s windows (${report.series?.timestampSource ?? 'k6 point time'}), plotted at the window's middle; grey: chaos and rollout windows of any variant (harness, host wall clock, 1 ms). t = 0 is the ${origin.source}.`,
  };
}

// ---- scale-up per step -----------------------------------------------------------------------------

interface Segment {
  row: string;
  bar: string;
  k: string;
  order: number;
  s: number;
  s0: number;
  s1: number;
}

function stepLabel(variant: string, s: ScaleUpStep, many: boolean): string {
  return `${many ? `${variant} ` : ''}step ${s.step} (${s.fromRps} → ${s.rps} rps)`;
}

function scaleUpSpec(report: RunReport): { spec: TopLevelSpec; caption: string } | undefined {
  const variants = (report.metrics?.variants ?? []).filter((v) => scalingOf(v)?.scaleUp.length);
  if (!variants.length) return undefined;
  const many = variants.length > 1;
  const segments: Segment[] = [];
  const labels: { row: string; bar: string; s: number; text: string }[] = [];
  const rows: string[] = [];
  const sources = new Set<string>();
  const add = (row: string, bar: string, parts: [string, number | null][]) => {
    let at = 0;
    parts.forEach(([k, ms], order) => {
      if (ms === null || ms <= 0) return;
      segments.push({ row, bar, k, order, s: ms / 1000, s0: at, s1: at + ms / 1000 });
      at += ms / 1000;
    });
    return at;
  };
  for (const v of variants) {
    for (const s of (scalingOf(v) as ScalingMetrics).scaleUp) {
      const row = stepLabel(v.variant, s, many);
      rows.push(row);
      if (s.outcome === 'scaled' && s.reaction.ms !== null) {
        sources.add(`reaction: ${'source' in s.reaction ? s.reaction.source : ''}`);
        const p = s.provisioning;
        const created = p?.created.ms ?? null;
        const ready = p?.ready.ms ?? null;
        const inEp = p?.inEndpoints.ms ?? null;
        if (p && 'source' in p.inEndpoints) sources.add(`provisioning: ${p.inEndpoints.source}`);
        const total = add(row, 'measured', [
          ['reaction', s.reaction.ms],
          ['pods created', created],
          ['pods Ready (provisioning)', ready !== null && created !== null ? ready - created : ready],
          ['in EndpointSlice', inEp !== null && ready !== null ? inEp - ready : null],
        ]);
        labels.push({
          row,
          bar: 'measured',
          s: total,
          text: `${fmtSeconds(s.scaleUpLatency.ms ?? total * 1000)} (reaction ${fmtSeconds(s.reaction.ms)}, provisioning ${fmtSeconds(inEp ?? ready)})`,
        });
      } else {
        labels.push({
          row,
          bar: 'measured',
          s: 0,
          text:
            s.outcome === 'scaled'
              ? 'scaled, reaction not measured'
              : `no scale-up: ${clip(s.reason ?? s.outcome, 70)}`,
        });
      }
      if (s.floor) {
        const f = s.floor;
        const total = add(row, 'floor (model)', [
          ['floor: reaction', f.reactionFloorMs],
          ['floor: ramp', f.ramp.ms],
          ['floor: ready', f.readyFloorMs],
        ]);
        labels.push({
          row,
          bar: 'floor (model)',
          s: total,
          text: `floor ${fmtSeconds(f.totalFloorMs ?? total * 1000)} (${f.from} → ${f.to} replicas)`,
        });
      }
      if (s.sloRecovery.ms !== null) {
        sources.add(`SLO recovery: ${'source' in s.sloRecovery ? s.sloRecovery.source : ''}`);
        add(row, 'SLO recovery', [['SLO recovery', s.sloRecovery.ms]]);
        labels.push({
          row,
          bar: 'SLO recovery',
          s: s.sloRecovery.ms / 1000,
          text: `recovered ${fmtSeconds(s.sloRecovery.ms)}`,
        });
      }
    }
  }
  const keys = uniqueKeys(segments, [
    'reaction',
    'pods created',
    'pods Ready (provisioning)',
    'in EndpointSlice',
    'floor: reaction',
    'floor: ramp',
    'floor: ready',
    'SLO recovery',
  ]);
  const maxS = Math.max(1, ...segments.map((s) => s.s1));
  const y = { field: 'row', type: 'nominal', sort: rows, title: null, axis: { labelLimit: 260 } };
  const yOffset = { field: 'bar', type: 'nominal', sort: ['measured', 'floor (model)', 'SLO recovery'] };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    title: { text: 'HPA scale-up per load step: measured beside the lower-bound floor' },
    width: WIDTH - 250,
    height: { step: 16 },
    layer: [
      {
        data: { values: segments },
        name: 'scaleup_bars',
        mark: { type: 'bar' },
        encoding: {
          y,
          yOffset,
          x: {
            field: 's0',
            type: 'quantitative',
            title: 'seconds from the step start',
            scale: { domain: [0, maxS * 1.6] },
          },
          x2: { field: 's1' },
          color: { field: 'k', type: 'nominal', scale: colorScale(keys), legend: { title: null } },
        },
      },
      {
        data: { values: labels },
        name: 'scaleup_labels',
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#333' },
        encoding: { y, yOffset, x: { field: 's', type: 'quantitative' }, text: { field: 'text' } },
      },
    ],
  } as unknown as TopLevelSpec;
  return {
    spec,
    caption: `Per load step that raises the load: measured bar = reaction (step start → first desiredReplicas increase) then provisioning (→ the new pods created, Ready, listed ready in the EndpointSlice); floor bar = the lower-bound model (metric resolution + stabilization, the policies' ramp, the probes' initial delay: a model, not a measurement); SLO recovery = step start → first of ${report.metrics?.recoveryWindows ?? 5} good 1 s windows. Sources: ${[...sources].join('; ') || 'none measured'}.`,
  };
}

function clip(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

// ---- startup phases --------------------------------------------------------------------------------

function startupSpec(report: RunReport): { spec: TopLevelSpec; caption: string } | undefined {
  const variants = (report.metrics?.variants ?? []).filter((v) => v.startup.population > 0);
  if (!variants.length) return undefined;
  const rows: { variant: string; edge: string; q: string; s: number; label: string }[] = [];
  const labels: { variant: string; edge: string; s: number; text: string }[] = [];
  let source = '';
  for (const v of variants)
    for (const [edge, name] of Object.entries(EDGE_LABELS)) {
      const e = v.startup.edges[edge as keyof typeof v.startup.edges];
      if (!e) continue;
      const a = e.arrival;
      source = a.source;
      const label = `${name}`;
      for (const q of ['p50', 'p90', 'p99', 'max'] as const) {
        const ms = a[q];
        if (ms !== null) rows.push({ variant: v.variant, edge: label, q, s: ms / 1000, label: fmtMs(ms) });
      }
      labels.push({
        variant: v.variant,
        edge: label,
        s: (a.max ?? 0) / 1000,
        text:
          a.n > 0
            ? `p50 ${fmtMs(a.p50 as number)} · p99 ${fmtMs(a.p99 as number)} · max ${fmtMs(a.max as number)} (n=${a.n}${a.errored ? `, ${a.errored} never reached` : ''})`
            : a.errored
              ? `never reached by ${a.errored} pod(s) (n=0)`
              : `not measured: ${a.reason ?? 'no samples'}`,
      });
    }
  const maxS = Math.max(0.001, ...rows.map((r) => r.s));
  const y = {
    field: 'edge',
    type: 'nominal',
    sort: Object.values(EDGE_LABELS),
    title: null,
    axis: { labelLimit: 220 },
  };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    title: { text: 'Pod startup phases: p50 / p90 / p99 / max per edge' },
    data: {
      values: [
        ...rows.map((r) => ({ ...r, layer: 'bar' })),
        ...labels.map((l) => ({ ...l, layer: 'label' })),
      ],
    },
    facet: { row: { field: 'variant', type: 'nominal', title: null, sort: variants.map((v) => v.variant) } },
    spec: {
      width: WIDTH - 330,
      height: { step: 7 },
      layer: [
        {
          transform: [{ filter: "datum.layer === 'bar'" }],
          name: 'startup_bars',
          mark: { type: 'bar' },
          encoding: {
            y,
            yOffset: { field: 'q', type: 'nominal', sort: ['p50', 'p90', 'p99', 'max'] },
            x: { field: 's', type: 'quantitative', title: 'seconds', scale: { domain: [0, maxS * 1.9] } },
            color: {
              field: 'q',
              type: 'nominal',
              scale: colorScale(['p50', 'p90', 'p99', 'max']),
              legend: { title: 'quantile' },
            },
          },
        },
        {
          transform: [{ filter: "datum.layer === 'label'" }],
          name: 'startup_labels',
          mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#333' },
          encoding: { y, x: { field: 's', type: 'quantitative' }, text: { field: 'text' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as unknown as TopLevelSpec;
  return {
    spec,
    caption: `Pods created during the run (${variants.map((v) => `${v.variant}: ${v.startup.population}, ${v.startup.errored} never Ready, ${v.startup.preexisting} pre-existing left out`).join('; ')}). Each edge's nearest-rank quantiles on the arrival basis (${source}: when a watch state first showed each phase); the server basis (metav1.Time, 1 s truncated) is in the table below.`,
  };
}

// ---- restarts and probe failures ---------------------------------------------------------------------

function countsSpec(
  title: string,
  data: { variant: string; k: string; n: number }[],
  totals: { variant: string; n: number; text: string }[],
  keys: string[],
  names: string[],
  prefix: string,
): TopLevelSpec {
  const y = { field: 'variant', type: 'nominal', sort: names, title: null, axis: { labelLimit: 200 } };
  const maxN = Math.max(1, ...totals.map((t) => t.n));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    title: { text: title },
    width: 300,
    height: { step: 26 },
    layer: [
      {
        data: { values: data },
        name: 'count_bars',
        mark: { type: 'bar' },
        encoding: {
          y,
          x: {
            field: 'n',
            type: 'quantitative',
            stack: 'zero',
            title: 'count',
            scale: { domain: [0, maxN * 2.4] },
            axis: { tickMinStep: 1, format: 'd' },
          },
          color: {
            field: 'k',
            type: 'nominal',
            scale: colorScale(keys),
            legend: { title: null, labelExpr: `replace(datum.label, '${prefix}', '')` },
          },
          order: { field: 'k', sort: 'ascending' },
        },
      },
      {
        data: { values: totals },
        name: 'count_totals',
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 11, color: '#333' },
        encoding: { y, x: { field: 'n', type: 'quantitative' }, text: { field: 'text' } },
      },
    ],
  } as unknown as TopLevelSpec;
}

function restartsSpec(report: RunReport): { spec: TopLevelSpec; caption: string } | undefined {
  const fromMetrics = report.metrics?.variants;
  const counts: { variant: string; byCause: Record<string, number>; total: number; falseKills?: number }[] =
    fromMetrics
      ? fromMetrics.map((v) => ({
          variant: v.variant,
          byCause: v.restarts.byCause,
          total: v.restarts.total,
          falseKills: v.restarts.probableFalseKills,
        }))
      : (report.restarts ?? []).map((r) => ({ variant: r.variant, byCause: r.byCause, total: r.total }));
  if (!counts.length) return undefined;
  const data = counts.flatMap((c) =>
    RESTART_CAUSES.filter((k) => (c.byCause[k] ?? 0) > 0).map((k) => ({
      variant: c.variant,
      k: `restart: ${k}`,
      n: c.byCause[k] as number,
    })),
  );
  const totals = counts.map((c) => ({
    variant: c.variant,
    n: c.total,
    text: `${c.total} restart${c.total === 1 ? '' : 's'}${c.falseKills ? ` (${c.falseKills} probable false kill${c.falseKills === 1 ? '' : 's'})` : ''}`,
  }));
  const keys = RESTART_CAUSES.map((c) => `restart: ${c}`);
  return {
    spec: countsSpec(
      'Restarts by cause',
      data,
      totals,
      keys,
      counts.map((c) => c.variant),
      'restart: ',
    ),
    caption: fromMetrics
      ? `Container restarts during the run per variant, by cause (restartCount increments between two watch states; times: ${report.metrics?.sources.arrival}); a liveness kill is a probable false kill when the pod had answered requests just before or was still inside its startup allowance.`
      : 'Container restarts per variant by cause, from the verdict (this run.json has no cluster-side metrics).',
  };
}

function probesSpec(report: RunReport): { spec: TopLevelSpec; caption: string } | undefined {
  const variants = report.metrics?.variants;
  if (!variants?.length) return undefined;
  const data = variants.flatMap((v) => [
    ...(['liveness', 'readiness', 'startup'] as const)
      .filter((t) => v.probeFailures.byType[t].failures > 0)
      .map((t) => ({ variant: v.variant, k: `probe: ${t}`, n: v.probeFailures.byType[t].failures })),
    ...(v.probeFailures.unclassified
      ? [{ variant: v.variant, k: 'probe: unclassified', n: v.probeFailures.unclassified }]
      : []),
  ]);
  const totals = variants.map((v) => {
    const parts = (['liveness', 'readiness', 'startup'] as const)
      .filter((t) => v.probeFailures.byType[t].failures > 0)
      .map((t) => `${t} ${v.probeFailures.byType[t].failures}`);
    const n = data.filter((d) => d.variant === v.variant).reduce((a, d) => a + d.n, 0);
    return { variant: v.variant, n, text: n ? parts.join(', ') || `${n}` : 'none' };
  });
  return {
    spec: countsSpec(
      'Probe failures by type',
      data,
      totals,
      PROBE_TYPES.map((t) => `probe: ${t}`),
      variants.map((v) => v.variant),
      'probe: ',
    ),
    caption: `Occurrences of the kubelet's Unhealthy events during the run (count increments), by probe type, per variant; times: ${variants[0]?.probeFailures.source}.`,
  };
}

// ---- all charts ---------------------------------------------------------------------------------------

/** chartSpecs: the report's charts as Vega-Lite specs, in the order report.html shows them. Pure. */
export function chartSpecs(report: RunReport): ChartSpec[] {
  const origin = timeOrigin(report);
  const out: ChartSpec[] = [];
  if (origin) {
    const domain = timeDomain(report, origin);
    for (const name of variantNames(report)) {
      const t = timelineSpec(report, name, origin, domain);
      if (t)
        out.push({
          id: `timeline-${slug(name)}`,
          kind: 'timeline',
          variant: name,
          title: `${name} over time`,
          ...t,
        });
    }
    const c = compareSpec(report, origin, domain);
    if (c) out.push({ id: 'compare', kind: 'compare', title: 'Variants compared', ...c });
  }
  const s = scaleUpSpec(report);
  if (s) out.push({ id: 'scale-up', kind: 'scale-up', title: 'Scale-up per step', ...s });
  const st = startupSpec(report);
  if (st) out.push({ id: 'startup', kind: 'startup', title: 'Pod startup phases', ...st });
  const r = restartsSpec(report);
  if (r) out.push({ id: 'restarts', kind: 'restarts', title: 'Restarts by cause', ...r });
  const p = probesSpec(report);
  if (p) out.push({ id: 'probes', kind: 'probes', title: 'Probe failures by type', ...p });
  return out;
}

function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]+/g, '-');
}

/** QUIET: Vega-Lite's compile warnings (merged legends, facet sizes) are about layout, not the data. */
const QUIET = {
  level: () => QUIET,
  error: () => QUIET,
  warn: () => QUIET,
  info: () => QUIET,
  debug: () => QUIET,
} as unknown as NonNullable<Parameters<typeof compile>[1]>['logger'];

/**
 * renderers loads Vega and Vega-Lite on the first chart, not with this module: they add about 25 MB to the
 * harness process, which needs them only for the minute its reports are written.
 */
let renderers: Promise<{ vega: typeof Vega; compile: typeof compile }> | undefined;
const loadRenderers = () =>
  (renderers ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, lite]) => ({
    vega,
    compile: lite.compile,
  })));

/** renderSvg: a Vega-Lite spec to a standalone SVG string (Vega's headless renderer, no canvas). */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string): Promise<string> {
  const { vega, compile } = await loadRenderers();
  const compiled = compile(spec, { logger: QUIET }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return uniqueIds(await view.toSVG(), idPrefix);
  } finally {
    view.finalize();
  }
}

/**
 * uniqueIds: Vega numbers clip paths and gradients with a process-wide counter; rename them per chart so
 * several SVGs can live in one HTML document and the output does not depend on what was rendered before.
 */
function uniqueIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g))
    if (!ids.has(m[1] as string)) ids.set(m[1] as string, `${prefix}-${ids.size + 1}`);
  if (!ids.size) return svg;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (_, a: string, id: string, b: string) => `${a}${ids.get(id) ?? id}${b}`)
    .replace(/url\(#([^)]+)\)/g, (whole, id: string) => (ids.has(id) ? `url(#${ids.get(id)})` : whole))
    .replace(/(href=")#([^"]+)(")/g, (whole, a: string, id: string, b: string) =>
      ids.has(id) ? `${a}#${ids.get(id)}${b}` : whole,
    );
}

/** renderChartSvgs: every chart of the report as an SVG string with its title and caption. */
export async function renderChartSvgs(report: RunReport): Promise<ChartSvg[]> {
  const out: ChartSvg[] = [];
  for (const { spec, ...rest } of chartSpecs(report))
    out.push({ ...rest, svg: await renderSvg(spec, rest.id) });
  return out;
}
