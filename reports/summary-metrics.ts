/**
 * summary.md sections for run.json's cluster-side measurements (`metrics`, docs/metrics.md): per variant,
 * scale-up per load step beside the HPA floor model, scale-down and oscillations, restarts with their
 * cause, probe failures, pod startup phases, availability per window, chaos recovery, config propagation;
 * then watch health. Durations are seconds with one decimal; a figure that could not be measured is `—`
 * with its reason in numbered notes under its table (never a 0). Pure and deterministic.
 */
import {
  METRICS_VERSION,
  STEP_LATENCY_METHOD,
  WINDOW_LATENCY_METHOD,
  type Availability,
  type ConfigPropagation,
  type Duration,
  type EdgeQuantiles,
  type FaultRecovery,
  type HpaFloor,
  type NotDefined,
  type Quantiles,
  type Restart,
  type RunMetrics,
  type ScaleUpStep,
  type ScalingMetrics,
  type VariantMetrics,
  type WatchHealth,
} from '../harness/core/metrics/index.ts';
import type { RunReport } from './render.ts';
import type { HarnessCost } from '../harness/core/harness-cost.ts';

// ---- small formatting helpers --------------------------------------------------------------------------

/** escape makes text safe in a Markdown table cell (and a list item): pipes, line breaks, HTML tags. */
export function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/</g, '&lt;');
}

/** seconds: a duration in ms as seconds with one decimal ("23.4 s"; never "-0.0 s"). */
export function seconds(ms: number): string {
  const text = (ms / 1000).toFixed(1);
  return `${text === '-0.0' ? '0.0' : text} s`;
}

/** at: an epoch ms as seconds from the origin, signed ("t+12.3 s", "t-3.5 s"). */
export function at(ms: number, originMs: number): string {
  const s = seconds(ms - originMs);
  return s.startsWith('-') ? `t${s}` : `t+${s}`;
}

/** percent: a ratio as a percentage with two decimals that never rounds away a non-zero remainder. */
export function percent(ratio: number): string {
  const text = (ratio * 100).toFixed(2);
  if (text === '100.00' && ratio < 1) return '> 99.99 %';
  if (text === '0.00' && ratio > 0) return '< 0.01 %';
  return `${text} %`;
}

function latency(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : `${ms.toFixed(1)} ms`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** inline: a duration in running text: seconds, or "— (reason)". */
export function inline(d: Duration | null | undefined, fallback = 'not measured'): string {
  if (d && d.ms !== null) return seconds(d.ms);
  return `— (${escape(d?.reason ?? fallback)})`;
}

/** capitalize: the first letter upper-cased (a reason used as a sentence). */
function sentence(text: string): string {
  const t = text.trim();
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
}

/**
 * Notes: numbered reasons for the `—` of a table, listed below it. The same reason gets the same number,
 * so a row of missing figures with one cause reads `— [1]` throughout.
 */
export class Notes {
  private readonly reasons: string[] = [];

  mark(reason: string): string {
    let i = this.reasons.indexOf(reason);
    if (i < 0) i = this.reasons.push(reason) - 1;
    return `[${i + 1}]`;
  }

  /** missing: `— [n]` for a figure that could not be measured. */
  missing(reason: string): string {
    return `— ${this.mark(reason)}`;
  }

  duration(d: Duration | null | undefined, fallback = 'not measured'): string {
    if (d && d.ms !== null) return seconds(d.ms);
    return this.missing(d?.reason ?? fallback);
  }

  /** lines: the notes as a list (with a blank line before), or nothing. */
  lines(): string[] {
    return this.reasons.length ? ['', ...this.reasons.map((r, i) => `- [${i + 1}] ${escape(r)}`)] : [];
  }
}

function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

/** capped: the first `max` items, and a line saying how many were left out. */
function capped(items: string[], max: number): string[] {
  return items.length > max ? [...items.slice(0, max), `- … and ${items.length - max} more`] : items;
}

// ---- the sections --------------------------------------------------------------------------------------

/** notAvailableLines: the variants that never became available, for the top of the summary. */
export function notAvailableLines(report: RunReport): string[] {
  const list = report.notAvailable ?? [];
  if (!list.length) return [];
  return [
    'Never available before the load started:',
    '',
    ...list.map((v) => `- **${escape(v.name)}**: ${escape(v.reason)}`),
    '',
  ];
}

/** metricsSections: the per-variant cluster-side sections and the watch health line. */
export function metricsSections(report: RunReport): string[] {
  const m = report.metrics;
  if (!m)
    return [
      '## Cluster-side measurements',
      '',
      'None in this run.json: the watchers never ran (an older probelab, or a run that ended before them).',
      '',
    ];
  if (m.version !== METRICS_VERSION)
    return [
      '## Cluster-side measurements',
      '',
      `Not rendered: metrics version ${escape(String(m.version))} is not ${METRICS_VERSION}; see run.json.`,
      '',
    ];
  const origin =
    report.loadStartMs !== undefined
      ? { ms: report.loadStartMs, what: 'the load start' }
      : { ms: m.runWindow.fromMs, what: 'the watchers’ start (the load never started)' };
  const lines = [
    '## Cluster-side measurements',
    '',
    `From the watchers (Pods, Events, HPAs, EndpointSlices) and the k6 series, ${seconds(m.runWindow.toMs - m.runWindow.fromMs)} of watching; definitions in docs/metrics.md. ` +
      `\`t\` is seconds from ${origin.what} (host clock). Durations are seconds; \`—\` is a figure that could not be measured, its reason in the numbered notes below the table.`,
    '',
  ];
  lines.push(...watchLines(m.watch, origin.ms));
  if (report.harness) lines.push(...harnessLines(report.harness));
  for (const v of m.variants) lines.push(...variantSection(v, m, origin.ms));
  return lines;
}

export function variantSection(v: VariantMetrics, m: RunMetrics, originMs: number): string[] {
  return [
    `### ${escape(v.variant)}${v.loaded ? '' : ' (not loaded)'}`,
    '',
    ...scalingLines(v.scaling, originMs),
    ...restartLines(v, m, originMs),
    ...probeLines(v, originMs),
    ...startupLines(v),
    ...availabilityLines(v, originMs),
    ...recoveryLines(v.chaosRecovery, originMs),
    ...configLines(v.configPropagation, originMs),
  ];
}

// 2. Scale-up, scale-down, oscillations, time at max.

export function scalingLines(s: ScalingMetrics | NotDefined, originMs: number): string[] {
  if (!s.defined) return [`**Scale-up:** ${sentence(escape(s.reason))}`, ''];
  const lines: string[] = [];
  const desired = s.desired.map((p, i) =>
    i === 0 ? `${p.desired}` : `${p.desired} (${at(p.atMs, originMs)}${p.relisted ? ', relist' : ''})`,
  );
  const shown = desired.length > 12 ? [...desired.slice(0, 12), `… ${desired.length - 12} more`] : desired;
  lines.push(
    `**Scale-up** (HPA ${escape(s.hpa ?? '(never observed)')}, replicas ${s.minReplicas ?? '?'}–${s.maxReplicas}; desiredReplicas: ${shown.length ? shown.join(' → ') : 'never observed'}):`,
    '',
  );
  if (s.stepsReason) lines.push(sentence(escape(s.stepsReason)), '');
  else if (!s.scaleUp.length) lines.push('No load step raises the load.', '');
  else lines.push(...scaleUpTable(s.scaleUp), '');
  lines.push(...scaleDownLines(s, originMs), '');
  return lines;
}

function scaleUpOutcome(u: ScaleUpStep): string {
  if (u.outcome === 'scaled') {
    const to = u.peak?.desired ?? u.firstIncrease?.to;
    const relist = u.firstIncrease?.relisted ? ' (increase seen in a relist)' : '';
    return `scaled ${u.desiredAtStart ?? u.firstIncrease?.from ?? '?'} → ${to ?? '?'}${relist}`;
  }
  return `${u.outcome}: ${escape(u.reason ?? 'no reason recorded')}`;
}

export function scaleUpTable(steps: readonly ScaleUpStep[]): string[] {
  const notes = new Notes();
  // A step without an increase has its reason in the outcome column: its missing figures need no note.
  const figure = (u: ScaleUpStep, d: Duration) =>
    d.ms === null && u.outcome !== 'scaled' && d.reason === u.reason ? '—' : notes.duration(d);
  const rows = steps.map((u) => {
    const p = u.provisioning;
    return [
      String(u.step),
      `${u.fromRps} → ${u.rps}`,
      scaleUpOutcome(u),
      figure(u, u.reaction),
      p
        ? `${notes.duration(p.created)} → ${notes.duration(p.ready)} → ${notes.duration(p.inEndpoints)}`
        : '—',
      figure(u, u.scaleUpLatency),
      notes.duration(u.sloRecovery),
      u.floor ? seconds(u.floor.reactionFloorMs) + ` (worst ${seconds(u.floor.reactionWorstMs)})` : '—',
      u.floor ? floorTotal(u.floor, notes) : '—',
    ];
  });
  const lines = table(
    [
      'step',
      'target rps',
      'outcome',
      'reaction',
      'provisioning: created → Ready → in EndpointSlice',
      'scale-up latency',
      'SLO recovery',
      'model floor: reaction',
      'model floor: total (reaction + ramp + ready)',
    ],
    rows,
  );
  lines.push(...notes.lines());
  const floors = steps.flatMap((u) => (u.floor ? [{ step: u.step, floor: u.floor }] : []));
  if (floors.length) {
    // The assumptions shared by every step once, then those that differ (the ramp's replica counts).
    const common = (floors[0] as { floor: HpaFloor }).floor.assumptions.filter((a) =>
      floors.every((f) => f.floor.assumptions.includes(a)),
    );
    const own = floors.flatMap((f) =>
      f.floor.assumptions.filter((a) => !common.includes(a)).map((a) => `step ${f.step}: ${a}`),
    );
    lines.push(
      '',
      'HPA model floor (a lower bound from the HPA timing model, not a measurement), assumptions:',
      '',
      ...[...common, ...own].map((a) => `- ${escape(a)}`),
    );
  }
  return lines;
}

function floorTotal(f: HpaFloor, notes: Notes): string {
  const ramp = f.ramp.ms === null ? notes.missing(f.ramp.reason) : seconds(f.ramp.ms);
  const total =
    f.totalFloorMs === null
      ? notes.missing(f.ramp.ms === null ? f.ramp.reason : 'no total')
      : seconds(f.totalFloorMs);
  return `${total} (${seconds(f.reactionFloorMs)} + ${ramp} + ${seconds(f.readyFloorMs)})`;
}

function scaleDownLines(s: ScalingMetrics, originMs: number): string[] {
  const lines: string[] = [];
  if (!s.scaleDown.length) lines.push('Scale-down: no load step lowers the load.');
  else {
    const notes = new Notes();
    lines.push(
      'Scale-down:',
      '',
      ...table(
        [
          'step',
          'target rps',
          'desired at start',
          'first decrease',
          'scale-down latency',
          'floor: stabilization window',
        ],
        s.scaleDown.map((d) => [
          String(d.step),
          `${d.fromRps} → ${d.rps}`,
          d.desiredAtStart === null ? '—' : String(d.desiredAtStart),
          d.firstDecrease
            ? `${d.firstDecrease.from} → ${d.firstDecrease.to} at ${at(d.firstDecrease.atMs, originMs)}${d.firstDecrease.relisted ? ' (relist)' : ''}`
            : 'none',
          notes.duration(d.latency),
          seconds(d.floorMs),
        ]),
      ),
      ...notes.lines(),
      '',
    );
  }
  const o = s.oscillations;
  if (lines.at(-1) !== '') lines.push('');
  lines.push(
    `- Oscillations: ${plural(o.directionChanges, 'direction change')} of desiredReplicas (${plural(o.changes, 'change')}) in ${seconds(o.windowMs)}: ${o.per5Minutes === null ? '— (the run window is empty)' : `${o.per5Minutes.toFixed(1)} per 5 min`}.`,
    `- Time at maxReplicas (${s.maxReplicas}): ${inline(s.atMaxReplicas)}.`,
  );
  return lines;
}

// 3. Restarts per container with cause.

function causeCell(r: Restart): string {
  if (r.cause === 'error') return r.exitCode !== undefined ? `error (exit ${r.exitCode})` : 'error';
  return r.cause;
}

function falseKillCell(r: Restart): string {
  const l = r.liveness;
  if (!l) return 'n/a';
  const unchecked = l.unchecked.length ? ` (not checked: ${l.unchecked.join('; ')})` : '';
  return escape(l.probableFalseKill ? `**yes**: ${l.reasons.join('; ')}${unchecked}` : `no${unchecked}`);
}

export function restartLines(v: VariantMetrics, m: RunMetrics, originMs: number): string[] {
  const r = v.restarts;
  if (!r.total) return ['**Restarts:** none in the run window.', ''];
  const causes = Object.entries(r.byCause)
    .filter(([, n]) => n > 0)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  const lines = [
    `**Restarts:** ${r.total} (${causes}); ${plural(r.probableFalseKills, 'probable false kill')} (liveness kills of a pod that answered requests in the ${m.falseKillTrafficSeconds} s before, or inside its startup allowance).`,
    '',
  ];
  if (r.byContainer.length > 1)
    lines.push(
      ...table(
        ['pod', 'container', 'restarts', 'by cause'],
        r.byContainer.map((c) => [
          escape(c.pod),
          escape(c.container ?? '(pod)'),
          String(c.total),
          Object.entries(c.byCause)
            .filter(([, n]) => n > 0)
            .map(([k, n]) => `${k} ${n}`)
            .join(', '),
        ]),
      ),
      '',
    );
  const rows = r.restarts.map((x) => [
    escape(x.pod),
    escape(x.container ?? '(pod)'),
    `${at(x.atMs, originMs)}${x.relisted ? ' (relist)' : ''}`,
    causeCell(x),
    escape(`${x.reason}${x.liveness ? `; killed at ${at(x.liveness.killedAtMs, originMs)}` : ''}`),
    falseKillCell(x),
  ]);
  lines.push(
    ...table(
      ['pod', 'container', 'seen at', 'cause', 'evidence', 'probable false kill'],
      capRows(rows, 50, 6),
    ),
    '',
  );
  return lines;
}

/** capRows: at most `max` rows, the rest summarised in one row. */
function capRows(rows: string[][], max: number, width: number): string[][] {
  if (rows.length <= max) return rows;
  return [
    ...rows.slice(0, max),
    [`… ${rows.length - max} more in run.json`, ...Array<string>(width - 1).fill('')],
  ];
}

// 4. Probe failures by probe type.

export function probeLines(v: VariantMetrics, originMs: number): string[] {
  const p = v.probeFailures;
  const types = Object.entries(p.byType);
  const extras = [
    p.unclassified ? `${p.unclassified} Unhealthy occurrence(s) name no probe type` : '',
    p.relistedOccurrences ? `${p.relistedOccurrences} seen only in a relist (time is the relist's)` : '',
    p.preRunOccurrences ? `${p.preRunOccurrences} counted before the run are left out` : '',
  ].filter(Boolean);
  if (types.every(([, t]) => t.failures === 0) && !p.unclassified)
    return [`**Probe failures:** none${extras.length ? ` (${extras.join('; ')})` : ''}.`, ''];
  const lines = [`**Probe failures** (kubelet Unhealthy events; times: ${escape(p.source)}):`, ''];
  lines.push(
    ...table(
      ['probe', 'failures', 'events', 'first', 'last', 'per pod'],
      types.map(([type, t]) => [
        type,
        String(t.failures),
        String(t.events),
        t.firstAtMs === null ? '' : at(t.firstAtMs, originMs),
        t.lastAtMs === null ? '' : at(t.lastAtMs, originMs),
        Object.entries(t.byPod)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([pod, n]) => `${escape(pod)} ${n}`)
          .join(', '),
      ]),
    ),
  );
  if (extras.length) lines.push('', `${sentence(extras.join('; '))}`);
  lines.push('');
  return lines;
}

// 5. Pod startup phases.

const EDGE_LABELS: Record<keyof VariantMetrics['startup']['edges'], string> = {
  createdToScheduled: 'created → scheduled',
  scheduledToStarted: 'scheduled → started',
  createdToStarted: 'created → started',
  probeDelay: 'started → ready (probe delay)',
  createdToReady: 'created → ready',
};

function quantileCells(q: Quantiles, notes: Notes): string[] {
  if (q.n === 0) {
    const mark = notes.missing(q.reason ?? 'no samples');
    return [mark, mark, mark, mark];
  }
  return [q.p50, q.p90, q.p99, q.max].map((x) =>
    x === null ? notes.missing(q.reason ?? 'no value') : seconds(x),
  );
}

function serverCell(q: Quantiles, notes: Notes): string {
  if (q.n === 0 || q.p50 === null || q.max === null) return notes.missing(q.reason ?? 'no samples');
  return `${seconds(q.p50)} / ${seconds(q.max)} (n ${q.n})`;
}

export function startupLines(v: VariantMetrics): string[] {
  const s = v.startup;
  const pre = s.preexisting ? `; ${plural(s.preexisting, 'pod')} that existed at the start left out` : '';
  if (!s.population) return [`**Pod startup:** no pod of the variant was created during the run${pre}.`, ''];
  const notes = new Notes();
  const edges = Object.entries(s.edges) as [keyof typeof EDGE_LABELS, EdgeQuantiles][];
  const first = edges[0]?.[1];
  const lines = [
    `**Pod startup** (${plural(s.population, 'pod')} created during the run, ${s.errored} never Ready${pre}): nearest-rank quantiles on ${escape(first?.arrival.source ?? 'arrival times')}; the last column on ${escape(first?.server.source ?? 'server times')}.`,
    '',
    ...table(
      ['phase', 'n', 'errored', 'p50', 'p90', 'p99', 'max', 'server p50 / max'],
      edges.map(([edge, e]) => [
        EDGE_LABELS[edge] ?? edge,
        String(e.arrival.n),
        String(e.arrival.errored),
        ...quantileCells(e.arrival, notes),
        serverCell(e.server, notes),
      ]),
    ),
    ...notes.lines(),
  ];
  const unmeasured = edges
    .filter(([, e]) => e.unmeasured.arrival || e.unmeasured.server)
    .map(
      ([edge, e]) =>
        `${EDGE_LABELS[edge] ?? edge} ${e.unmeasured.arrival} on arrival, ${e.unmeasured.server} on server times`,
    );
  if (unmeasured.length)
    lines.push(
      '',
      `Reached the phase without a timestamp (e.g. first seen in a relist), not in n: ${unmeasured.join('; ')}.`,
    );
  const errored = s.pods
    .filter((p) => p.errored)
    .map((p) => `- ${escape(p.pod)}: ${escape(p.errored ?? '')}`);
  if (errored.length) lines.push('', 'Never Ready:', '', ...capped(errored, 10));
  lines.push('');
  return lines;
}

// 6. Availability per window.

function methodLabel(method: string): string {
  if (method === WINDOW_LATENCY_METHOD) return 'max of 1 s windows (upper bound)';
  if (method === STEP_LATENCY_METHOD) return 'exact (every request)';
  return escape(method);
}

function errorsCell(a: Availability): string {
  const parts = [
    ...Object.entries(a.errors.byStatusClass)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`),
    ...Object.entries(a.errors.byKind)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`),
  ];
  return `${a.failed}${parts.length ? ` (${escape(parts.join(', '))})` : ''}`;
}

function windowName(a: Availability, originMs: number): string {
  const span =
    a.fromMs !== null && a.toMs !== null ? ` ${at(a.fromMs, originMs)} → ${at(a.toMs, originMs)}` : '';
  const kind =
    a.kind === 'baseline'
      ? ' (outside every chaos and rollout window)'
      : a.kind === 'load'
        ? ''
        : ` (${a.kind})`;
  const buckets = a.buckets === null ? '' : `, ${a.buckets} × 1 s`;
  return `${escape(a.label)}${kind}${span}${buckets}`;
}

export function availabilityLines(v: VariantMetrics, originMs: number): string[] {
  const a = v.availability;
  if (!a.defined) return [`**Availability:** ${sentence(escape(a.reason))}`, ''];
  const o = a.overall;
  const head =
    o.ratio === null
      ? '— (no request was sent)'
      : `${percent(o.ratio)} (${o.successful} of ${o.requests} request(s) succeeded)`;
  const notes = new Notes();
  const rows = [o, ...a.windows].map((w) => [
    windowName(w, originMs),
    String(w.requests),
    errorsCell(w),
    w.errorRate === null ? notes.missing('no request in the window') : percent(w.errorRate),
    String(w.droppedIterations),
    w.latencyMs.p95 === null ? notes.missing('no latency sample in the window') : latency(w.latencyMs.p95),
    methodLabel(w.latencyMs.method),
  ]);
  return [
    `**Availability** over the whole load: ${head}.`,
    '',
    ...table(['window', 'requests', 'errors', 'error rate', 'dropped', 'p95', 'p95 method'], rows),
    ...notes.lines(),
    '',
  ];
}

// 7. Chaos recovery per fault.

export function recoveryLines(faults: readonly FaultRecovery[], originMs: number): string[] {
  if (!faults.length) return ['**Chaos recovery:** no fault targeted this variant.', ''];
  const lines: string[] = [];
  for (const f of faults) {
    const injected = f.injectedAtMs === null ? 'never injected' : `injected ${at(f.injectedAtMs, originMs)}`;
    lines.push(
      `**Chaos recovery of ${escape(f.fault)}** (${escape(f.action)}, ${injected}): recovered in ${inline(f.total)}; SLO recovery ${inline(f.sloRecovery)}.`,
      '',
    );
    const notes = new Notes();
    if (f.replaced.length)
      lines.push(
        ...table(
          [
            'killed pod',
            'replacement',
            'rescheduling',
            'rescheduling (server, 1 s, incl. grace)',
            'readiness',
          ],
          f.replaced.map((r) => [
            escape(r.killed),
            r.replacement === null ? 'none' : escape(r.replacement),
            notes.duration(r.rescheduling),
            notes.duration(r.serverRescheduling),
            notes.duration(r.readiness),
          ]),
        ),
        ...notes.lines(),
        '',
      );
    else if (f.inPlace.length)
      lines.push(
        ...table(
          ['pod', 'not ready at', 'ready again at', 'downtime'],
          f.inPlace.map((p) => [
            escape(p.pod),
            at(p.notReadyAtMs, originMs),
            p.readyAgainAtMs === null ? 'never' : at(p.readyAgainAtMs, originMs),
            notes.duration(p.downtime),
          ]),
        ),
        ...notes.lines(),
        '',
      );
    else if (f.reason && f.reason !== (f.total.ms === null ? f.total.reason : undefined))
      lines.push(sentence(escape(f.reason)), '');
    if (f.unrecovered.length)
      lines.push('Unrecovered by the end of the run:', '', ...f.unrecovered.map((u) => `- ${escape(u)}`), '');
  }
  return lines;
}

// 8. Config propagation per update.

export function configLines(updates: readonly ConfigPropagation[], originMs: number): string[] {
  if (!updates.length) return ['**Config propagation:** no config update for this variant.', ''];
  const notes = new Notes();
  const rows = updates.map((u) => [
    escape(u.version),
    at(u.atMs, originMs),
    u.outcome === 'no-samples' ? 'no samples' : u.outcome,
    notes.duration(u.propagation),
    u.never.length ? escape(u.never.join(', ')) : 'none',
    u.samplingIntervalMs === null
      ? notes.missing('fewer than two samples of a pod')
      : seconds(u.samplingIntervalMs),
  ]);
  const lines = [
    '**Config propagation** (update → the last pod that existed at the update reports the new version):',
    '',
    ...table(
      ['version', 'updated at', 'outcome', 'propagation', 'never got it', 'sampling interval (precision)'],
      rows,
    ),
    ...notes.lines(),
  ];
  for (const u of updates) {
    const gone = u.pods.filter((p) => p.gone).map((p) => p.pod);
    const late = u.pods.filter((p) => p.createdAfterUpdate).map((p) => p.pod);
    if (gone.length)
      lines.push(
        '',
        `Version ${escape(u.version)}: deleted before reporting it (not waited for): ${escape(gone.join(', '))}.`,
      );
    if (late.length)
      lines.push(
        '',
        `Version ${escape(u.version)}: created after the update (a startup, not a propagation): ${escape(late.join(', '))}.`,
      );
  }
  lines.push('');
  return lines;
}

// 9. Watch health, and the harness's own cost.

export function harnessLines(h: HarnessCost): string[] {
  return [
    `**Harness:** event-loop delay p50 ${h.eventLoopDelayMs.p50} ms, p99 ${h.eventLoopDelayMs.p99} ms, max ${h.eventLoopDelayMs.max} ms (arrival stamps are late by up to that much on top of the 1 ms clock); CPU ${h.cpuSeconds} s over ${seconds(h.wallSeconds * 1000)}; peak RSS ${h.peakRssMb} MB.`,
    '',
  ];
}

export function watchLines(w: WatchHealth, originMs: number): string[] {
  if (!w.gaps.length && !w.errors.length && !w.relists && !w.relistedStates && !w.synthesizedDeletes)
    return ['**Watches:** no gap, no error, no relist, no synthesized delete.', ''];
  const lines = [
    `**Watches:** ${plural(w.gaps.length, 'gap')}${w.gaps.length ? ` (${seconds(w.totalGapMs)} in all, at least one watch down ${seconds(w.unionGapMs)})` : ''}, ${plural(w.errors.length, 'error')}, ${plural(w.relists, 'relist')}, ${plural(w.relistedStates, 'state')} seen only in a relist, ${plural(w.synthesizedDeletes, 'synthesized delete')}. Changes during a gap are known only at the relist's time.`,
    '',
  ];
  if (w.gaps.length)
    lines.push(
      ...table(
        ['kind', 'from', 'to', 'duration', 'reason'],
        w.gaps.map((g) => [
          g.kind,
          at(g.fromMs, originMs),
          at(g.toMs, originMs),
          seconds(g.durationMs),
          escape(g.reason ?? ''),
        ]),
      ),
      '',
    );
  if (w.errors.length)
    lines.push(
      'Watch errors:',
      '',
      ...capped(
        w.errors.map(
          (e) => `- ${e.kind} at ${at(e.atMs, originMs)}${e.reason ? `: ${escape(e.reason)}` : ''}`,
        ),
        10,
      ),
      '',
    );
  return lines;
}
