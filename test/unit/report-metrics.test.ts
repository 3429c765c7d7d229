/**
 * summary.md's cluster-side sections (reports/summary-metrics.ts): every recorded run in
 * test/fixtures/runs/*.run.json rendered against its golden test/golden/reports/<name>.summary.md
 * (UPDATE_GOLDEN=1 rewrites them), a synthetic run with an HPA, faults, a config update and a watch gap
 * through computeMetrics, and table tests on hand-built fragments for the tricky formatting.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StageWindow } from '../../harness/core/load-shape.ts';
import {
  computeMetrics,
  METRICS_VERSION,
  SOURCES,
  type ConfigPropagation,
  type Duration,
  type FaultRecovery,
  type Quantiles,
  type Restart,
  type RunMetrics,
  type ScaleUpStep,
  type ScalingMetrics,
  type VariantMetrics,
  type WatchHealth,
} from '../../harness/core/metrics/index.ts';
import { hpaScaleUpFloor } from '../../harness/core/metrics/hpa-floor.ts';
import { renderJunit, renderSummary, RUN_REPORT_VERSION, type RunReport } from '../../reports/render.ts';
import {
  at,
  availabilityLines,
  configLines,
  escape,
  harnessLines,
  metricsSections,
  Notes,
  percent,
  recoveryLines,
  restartLines,
  scaleUpTable,
  scalingLines,
  seconds,
  startupLines,
  watchLines,
} from '../../reports/summary-metrics.ts';
import * as b from './metrics-builders.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'runs');
const GOLDEN = join(import.meta.dirname, '..', 'golden', 'reports');

function golden(file: string, text: string): void {
  const path = join(GOLDEN, file);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, text);
  assert.equal(text, readFileSync(path, 'utf8'));
}

describe('reports: summary.md of recorded runs (golden)', () => {
  const files = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.run.json'))
    .sort();
  it('has at least one recorded run', () => assert.ok(files.length > 0));
  for (const file of files) {
    const name = file.slice(0, -'.run.json'.length);
    it(`renders ${name}.summary.md`, () => {
      const report = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as RunReport;
      const text = renderSummary(report);
      golden(`${name}.summary.md`, text);
      assertNotesListed(text);
      assert.equal(renderSummary(report), text, 'deterministic');
      assert.ok(text.trimEnd().split('\n').at(-1)?.startsWith('Clocks: '), 'the clocks line is last');
      renderJunit(report);
    });
  }
});

// ---- a synthetic run through computeMetrics ------------------------------------------------------------

/** syntheticReport: variant web with an HPA, a pod-kill, a container-kill, a config update and a gap. */
function syntheticReport(): RunReport {
  const r = new b.Recorder();
  const up = { scheduled: -100, ready: -95, containers: [{ runningSince: -99 }] };
  const ready = (name: string, created: number, readyAt: number) =>
    r.pod('MODIFIED', readyAt, {
      name,
      created,
      scheduled: created,
      ready: readyAt,
      containers: [{ runningSince: created + 1 }],
    });
  r.hpa('SYNCED', 0.1, 'web', 1);
  r.pod('SYNCED', 0.1, { name: 'web-1', created: -100, ...up });
  r.slice('SYNCED', 0.1, 'web', ['web-1']);
  for (const kind of ['HorizontalPodAutoscaler', 'Pod', 'EndpointSlice', 'Event'] as const)
    r.listed(kind, 0.2);
  // Step 0 (10 rps): desired 1 → 2 at 20 s; web-2 added 20.5, Ready 25, in the EndpointSlice 25.3.
  r.hpa('MODIFIED', 20, 'web', 2);
  r.pod('ADDED', 20.5, { name: 'web-2', created: 20 });
  ready('web-2', 20, 25);
  r.slice('MODIFIED', 25.3, 'web', ['web-1', 'web-2']);
  // Step 1 (30 rps): desired 2 → 4 at 75 s; web-3 Ready and listed, web-4 never Ready.
  r.hpa('MODIFIED', 75, 'web', 4);
  r.pod('ADDED', 75.2, { name: 'web-3', created: 75 });
  r.pod('ADDED', 75.3, { name: 'web-4', created: 75, scheduled: 75 });
  ready('web-3', 75, 80);
  r.slice('MODIFIED', 80.1, 'web', ['web-1', 'web-2', 'web-3'], ['web-4']);
  // web-2 killed by its liveness probe at 150 s while it answered requests.
  r.event('ADDED', 150, {
    name: 'web-2.kill',
    reason: 'Killing',
    message: 'Container app failed liveness probe, will be restarted',
    pod: 'web-2',
    container: 'app',
    count: 1,
    created: 150,
  });
  r.event('ADDED', 148, {
    name: 'web-2.unhealthy',
    reason: 'Unhealthy',
    message: 'Liveness probe failed: Get "http://10.0.0.2:8080/healthz": context deadline exceeded',
    pod: 'web-2',
    count: 3,
    created: 140,
    last: 148,
  });
  r.pod('MODIFIED', 151, {
    name: 'web-2',
    created: 20,
    scheduled: 20,
    ready: 25,
    containers: [
      {
        restartCount: 1,
        runningSince: 151,
        lastTerminated: { reason: 'Error', exitCode: 137, startedAt: 21 },
      },
    ],
  });
  // pod-kill at 200 s: web-1 deleted, web-5 replaces it and is Ready at 206.
  r.pod('MODIFIED', 200.3, { name: 'web-1', created: -100, deleting: 200, ...up });
  r.pod('DELETED', 201, { name: 'web-1', created: -100, deleting: 200, ...up });
  r.pod('ADDED', 200.4, { name: 'web-5', created: 200 });
  ready('web-5', 200, 206);
  // A Pod watch gap 230-240 s.
  r.gap('Pod', 230, 240, 'stream closed | 410 Gone');
  // pod-kill at 400 s: web-5 deleted; its replacement web-6 never gets Ready.
  r.pod('MODIFIED', 400.2, {
    name: 'web-5',
    created: 200,
    deleting: 400,
    scheduled: 200,
    ready: 206,
    containers: [{ runningSince: 201 }],
  });
  r.pod('ADDED', 400.3, { name: 'web-6', created: 400 });
  // Step 3 (5 rps) from 180 s: down to 2 at 490 s, up to 3 at 520 s, down to 2 at 560 s.
  r.hpa('MODIFIED', 490, 'web', 2);
  r.hpa('MODIFIED', 520, 'web', 3);
  r.hpa('MODIFIED', 560, 'web', 2);

  const stages: StageWindow[] = [
    { index: 0, rps: 10, startMs: 0, holdStartMs: 0, endMs: 60_000 },
    { index: 1, rps: 30, startMs: 60_000, holdStartMs: 60_000, endMs: 120_000 },
    { index: 2, rps: 50, startMs: 120_000, holdStartMs: 120_000, endMs: 180_000 },
    { index: 3, rps: 5, startMs: 180_000, holdStartMs: 180_000, endMs: 600_000 },
  ];
  const windows = Array.from({ length: 600 }, (_, s) =>
    b.window(s, {
      p95: (s >= 60 && s < 70) || (s >= 200 && s < 210) ? 500 : 20,
      errors: s >= 200 && s < 203 ? 2 : 0,
      kind: 'reset',
      pods: { 'web-2': 5, 'web-1': 5 },
    }),
  );
  const series = b.seriesOf('web', windows);
  const chaosWindows = [
    { label: 'pod-kill at 200s', variant: 'web', fromMs: b.at(200), toMs: b.at(201) },
    { label: 'pod-kill at 400s', variant: 'web', fromMs: b.at(400), toMs: b.at(401) },
  ];
  const faults = [
    { name: 't1-pod-kill-web', action: 'pod-kill', variant: 'web', injectedAtMs: b.at(200) },
    { name: 't2-pod-kill-web', action: 'pod-kill', variant: 'web', injectedAtMs: b.at(400) },
  ];
  const configUpdates = [
    {
      variant: 'web',
      atMs: b.at(300),
      version: 'v2',
      samples: [
        { pod: 'web-2', version: 'v1', atMs: b.at(299) },
        { pod: 'web-2', version: 'v2', atMs: b.at(302.5) },
        { pod: 'web-3', version: 'v1', atMs: b.at(300) },
        { pod: 'web-3', version: 'v1', atMs: b.at(301) },
      ],
    },
  ];
  const metrics = computeMetrics(
    b.input({
      observations: r.list,
      series,
      stages,
      slos: { latency: { p95: '200ms' }, errorRate: { max: 0.01 } },
      variants: [
        {
          name: 'web',
          loaded: true,
          hpa: { minReplicas: 1, maxReplicas: 4, cpuUtilization: 50 },
          probes: { liveness: { initialDelaySeconds: 0, periodSeconds: 5, failureThreshold: 3 } },
        },
        { name: 'idle', loaded: false },
      ],
      chaosWindows,
      faults,
      configUpdates,
    }),
  );
  return {
    version: RUN_REPORT_VERSION,
    runId: 'synthetic',
    scenario: 'synthetic-metrics',
    namespace: 'probelab-synthetic',
    startedAt: '2026-11-23T12:00:00.000Z',
    finishedAt: '2026-11-23T12:10:00.000Z',
    clocks: 'this host',
    loadStartMs: b.T0,
    steps: [],
    timeline: [],
    faults: faults.map((f, i) => ({
      ...f,
      at: `${i ? 400 : 200}s`,
      state: 'injected' as const,
      forced: false,
      neverInjected: false,
    })),
    chaosWindows,
    rolloutWindows: [],
    restarts: [],
    notAvailable: [{ name: 'idle', reason: 'image pull | back-off' }],
    configUpdates,
    metrics,
    leftovers: [],
    loadOutcome: 'completed',
    series,
    verdict: { outcome: 'passed', checks: [], invalidReasons: [] },
  };
}

describe('reports: summary.md of a synthetic run through computeMetrics', () => {
  const report = syntheticReport();
  const text = renderSummary(report);
  it('renders synthetic-metrics.summary.md (golden)', () => golden('synthetic-metrics.summary.md', text));
  it('shows the scale-up steps with the floor beside and its assumptions once', () => {
    assert.match(text, /\| 0 \| 0 → 10 \| scaled 1 → 2 \| 20\.0 s \| 0\.5 s → 5\.0 s → 5\.3 s \| 25\.3 s \|/);
    assert.match(
      text,
      /\| 1 \| 10 → 30 \| scaled 2 → 4 \| 15\.0 s \| 0\.3 s → — \[\d\] → — \[\d\] \| — \[\d\] \|/,
    );
    assert.match(text, /\| 2 \| 30 → 50 \| none: desired replicas already at maxReplicas \(4\) \| — \|/);
    const assumption = /- a lower-bound model, not a measurement/g;
    assert.equal(text.match(assumption)?.length, 1);
    assert.match(text, /- step 1: ramp: /);
  });
  it('lists the unrecovered fault, the never-propagated pod and the watch gap', () => {
    assert.match(
      text,
      /Unrecovered by the end of the run:\n\n- web-5: its replacement web-6 never became Ready/,
    );
    assert.match(text, /\| v2 \| t\+300\.0 s \| never \| — \[1\] \| web-3 \|/);
    assert.match(text, /\| Pod \| t\+230\.0 s \| t\+240\.0 s \| 10\.0 s \| stream closed \\\| 410 Gone \|/);
  });
  it('puts the never-available variants right after the verdict, escaped', () => {
    const top = text.slice(0, text.indexOf('## Checks'));
    assert.match(top, /- \*\*idle\*\*: image pull \\\| back-off/);
  });
  it('gives every — [n] of a table its reason below the table', () => {
    assertNotesListed(text);
    assert.throws(() => assertNotesListed('| a |\n| --- |\n| — [1] |\n\n- [2] other'), /\[1\] of the table/);
  });
});

/** assertNotesListed: each `— [n]` in a table has a `- [n] reason` line right below that table. */
function assertNotesListed(text: string): void {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]?.startsWith('|')) continue;
    let end = i;
    while (lines[end]?.startsWith('|')) end++;
    const marks = new Set(
      lines.slice(i, end).flatMap((l) => [...l.matchAll(/— (\[\d+\])/g)].map((m) => m[1])),
    );
    const notes: string[] = [];
    for (let k = end + 1; lines[k]?.startsWith('- ['); k++) notes.push(lines[k] as string);
    for (const mark of marks)
      assert.ok(
        notes.some((n) => n.startsWith(`- ${mark} `)),
        `${mark} of the table at line ${i + 1} has no reason below it`,
      );
    i = end;
  }
}

// ---- table tests on hand-built fragments ---------------------------------------------------------------

const T0 = Date.parse('2026-11-23T12:00:00Z');
const ms = (s: number) => T0 + s * 1000;
const measured = (value: number): Duration => ({ ms: value, source: SOURCES.arrival });
const missing = (reason: string): Duration => ({ ms: null, reason });

function quantiles(values: number[], errored = 0): Quantiles {
  const sorted = [...values].sort((x, y) => x - y);
  return values.length
    ? {
        method: 'nearest-rank',
        source: SOURCES.arrival,
        n: values.length,
        errored,
        p50: sorted[Math.ceil(0.5 * sorted.length) - 1] ?? null,
        p90: sorted[Math.ceil(0.9 * sorted.length) - 1] ?? null,
        p99: sorted[Math.ceil(0.99 * sorted.length) - 1] ?? null,
        max: sorted.at(-1) ?? null,
        min: sorted[0] ?? null,
      }
    : {
        method: 'nearest-rank',
        source: SOURCES.arrival,
        n: 0,
        errored,
        p50: null,
        p90: null,
        p99: null,
        max: null,
        min: null,
        reason: errored ? `none of ${errored} sample(s) completed` : 'no samples',
      };
}

function edge(from: string, to: string, arrival: number[], errored = 0) {
  return {
    from,
    to,
    arrival: quantiles(arrival, errored),
    server: {
      ...quantiles(
        arrival.map((x) => Math.floor(x / 1000) * 1000),
        errored,
      ),
      source: SOURCES.server,
    },
    unmeasured: { arrival: 0, server: 0 },
  } as VariantMetrics['startup']['edges']['createdToReady'];
}

const zero = { liveness: 0, oom: 0, error: 0, chaos: 0, eviction: 0, unknown: 0 };
const noProbe = { failures: 0, events: 0, byPod: {}, firstAtMs: null, lastAtMs: null };

function variant(change: Partial<VariantMetrics> = {}): VariantMetrics {
  return {
    variant: 'web',
    loaded: true,
    loadStart: { ms: T0, source: SOURCES.harness },
    scaling: { defined: false, reason: 'the variant has no HPA' },
    restarts: { total: 0, byCause: { ...zero }, probableFalseKills: 0, byContainer: [], restarts: [] },
    probeFailures: {
      source: SOURCES.arrival,
      byType: { liveness: noProbe, readiness: noProbe, startup: noProbe },
      unclassified: 0,
      preRunOccurrences: 0,
      relistedOccurrences: 0,
    },
    startup: {
      population: 0,
      preexisting: 2,
      errored: 0,
      edges: {
        createdToScheduled: edge('created', 'scheduled', []),
        scheduledToStarted: edge('scheduled', 'started', []),
        createdToStarted: edge('created', 'started', []),
        probeDelay: edge('started', 'ready', []),
        createdToReady: edge('created', 'ready', []),
      },
      pods: [],
    },
    availability: { defined: false, reason: 'the variant receives no load' },
    chaosRecovery: [],
    configPropagation: [],
    validity: {
      startupPopulation: 0,
      startupErrored: 0,
      startupUnmeasured: 0,
      erroredFraction: null,
      restartsSeenInRelist: 0,
      probeFailuresSeenInRelist: 0,
      scaleUpStepsUnknown: 0,
    },
    ...change,
  };
}

const healthy: WatchHealth = {
  gaps: [],
  totalGapMs: 0,
  gapMsByKind: {},
  unionGapMs: 0,
  errors: [],
  relists: 0,
  relistedStates: 0,
  synthesizedDeletes: 0,
};

function runMetrics(variants: VariantMetrics[], watch = healthy): RunMetrics {
  return {
    version: METRICS_VERSION,
    runWindow: { fromMs: ms(-20), toMs: ms(100) },
    recoveryWindows: 5,
    falseKillTrafficSeconds: 10,
    sources: SOURCES,
    variants,
    watch,
  };
}

function scaledStep(change: Partial<ScaleUpStep> = {}): ScaleUpStep {
  return {
    step: 1,
    fromRps: 10,
    rps: 40,
    startMs: ms(60),
    outcome: 'scaled',
    desiredAtStart: 2,
    firstIncrease: { from: 2, to: 4, atMs: ms(78), relisted: false },
    peak: { desired: 4, atMs: ms(78) },
    reaction: measured(18_000),
    provisioning: {
      newPods: [],
      created: measured(-300),
      ready: measured(6_000),
      inEndpoints: missing(
        '1 of 2 new pod(s) never listed ready in the EndpointSlice (or only seen in a relist): web-4',
      ),
    },
    scaleUpLatency: missing(
      '1 of 2 new pod(s) never listed ready in the EndpointSlice (or only seen in a relist): web-4',
    ),
    sloRecovery: measured(0),
    floor: hpaScaleUpFloor({ minReplicas: 1, maxReplicas: 10, cpuUtilization: 50 }, 2, 4),
    ...change,
  };
}

function restart(change: Partial<Restart> = {}): Restart {
  return {
    pod: 'web-1',
    container: 'app',
    atMs: ms(31.25),
    source: SOURCES.arrival,
    relisted: false,
    cause: 'liveness',
    reason: 'kubelet Killing event: failed liveness probe (container app)',
    exitCode: 137,
    liveness: {
      killedAtMs: ms(30),
      source: SOURCES.arrival,
      probableFalseKill: true,
      reasons: [
        'the pod answered 42 request(s) in the 10 s before the kill (1 s windows overlapping [kill − 10 s, kill))',
      ],
      unchecked: [],
      requestsBefore: 42,
      sinceStartMs: 60_000,
      startupAllowanceMs: 30_000,
    },
    ...change,
  };
}

describe('reports: summary-metrics formatting', () => {
  it('formats durations as seconds with one decimal, and times from the origin', () => {
    assert.equal(seconds(23_449), '23.4 s');
    assert.equal(seconds(0), '0.0 s');
    assert.equal(seconds(-20), '0.0 s');
    assert.equal(seconds(-300), '-0.3 s');
    assert.equal(at(ms(12.34), T0), 't+12.3 s');
    assert.equal(at(ms(-3.5), T0), 't-3.5 s');
  });

  it('never rounds a ratio to 100 % or 0 % when it is not', () => {
    assert.equal(percent(1), '100.00 %');
    assert.equal(percent(0.99999), '> 99.99 %');
    assert.equal(percent(0.00001), '< 0.01 %');
    assert.equal(percent(0), '0.00 %');
    assert.equal(percent(0.04), '4.00 %');
  });

  it('escapes pipes, line breaks and tags in cells', () => {
    assert.equal(escape('a | b\nc <none>'), 'a \\| b c &lt;none>');
  });

  it('shows a missing duration as — with a numbered reason, the same reason once; a measured 0 as 0.0 s', () => {
    const notes = new Notes();
    assert.equal(notes.duration(missing('never Ready')), '— [1]');
    assert.equal(notes.duration(measured(0)), '0.0 s');
    assert.equal(notes.duration(missing('no series')), '— [2]');
    assert.equal(notes.duration(missing('never Ready')), '— [1]');
    assert.deepEqual(notes.lines(), ['', '- [1] never Ready', '- [2] no series']);
    assert.deepEqual(new Notes().lines(), []);
  });

  it('scale-up: missing provisioning and latency show — and their reason, never 0', () => {
    const lines = scaleUpTable([scaledStep()]);
    const row = lines[2] as string;
    assert.equal(
      row,
      '| 1 | 10 → 40 | scaled 2 → 4 | 18.0 s | -0.3 s → 6.0 s → — [1] | — [1] | 0.0 s | 15.0 s (worst 45.0 s) | 15.0 s (15.0 s + 0.0 s + 0.0 s) |',
    );
    assert.ok(
      lines.includes(
        '- [1] 1 of 2 new pod(s) never listed ready in the EndpointSlice (or only seen in a relist): web-4',
      ),
    );
    assert.ok(
      lines.includes(
        'HPA model floor (a lower bound from the HPA timing model, not a measurement), assumptions:',
      ),
    );
  });

  it('scale-up: a step without an increase gives its reason in the outcome, its figures —', () => {
    const reason = 'no increase observed during the step (desired stayed 2)';
    const lines = scaleUpTable([
      scaledStep({
        outcome: 'none',
        reason,
        firstIncrease: null,
        peak: null,
        reaction: missing(reason),
        provisioning: null,
        scaleUpLatency: missing(reason),
        sloRecovery: missing('no load series for this variant'),
        floor: null,
      }),
    ]);
    assert.equal(lines[2], `| 1 | 10 → 40 | none: ${reason} | — | — | — | — [1] | — | — |`);
    assert.deepEqual(lines.slice(3), ['', '- [1] no load series for this variant']);
  });

  it('scale-up: a floor the policies cannot reach is —, with the reason', () => {
    const floor = hpaScaleUpFloor(
      {
        minReplicas: 1,
        maxReplicas: 10,
        cpuUtilization: 50,
        behavior: { scaleUp: { selectPolicy: 'Disabled' } },
      },
      2,
      4,
    );
    const lines = scaleUpTable([scaledStep({ floor })]);
    assert.match(lines[2] as string, /\| — \[2\] \(15\.0 s \+ — \[2\] \+ 0\.0 s\) \|$/);
    assert.ok(lines.includes('- [2] scaleUp.selectPolicy is Disabled: the HPA never scales up'));
  });

  it('scaling: no HPA is one line; scale-down, oscillations and time at max otherwise', () => {
    assert.deepEqual(scalingLines({ defined: false, reason: 'the variant has no HPA' }, T0), [
      '**Scale-up:** The variant has no HPA.',
      '',
    ]);
    const s: ScalingMetrics = {
      defined: true,
      hpa: 'web',
      minReplicas: 1,
      maxReplicas: 4,
      desired: [
        { atMs: ms(0.1), desired: 1, current: 1, relisted: false },
        { atMs: ms(20), desired: 4, current: 1, relisted: false },
      ],
      scaleUp: [],
      scaleDown: [
        {
          step: 2,
          fromRps: 40,
          rps: 5,
          startMs: ms(120),
          desiredAtStart: 4,
          firstDecrease: null,
          latency: missing('no decrease observed before the end of the run (desired stayed 4)'),
          floorMs: 300_000,
        },
      ],
      oscillations: {
        directionChanges: 0,
        changes: 1,
        windowMs: 600_000,
        per5Minutes: 0,
        source: SOURCES.arrival,
      },
      atMaxReplicas: missing('no HPA observations'),
    };
    const text = scalingLines(s, T0).join('\n');
    assert.match(text, /desiredReplicas: 1 → 4 \(t\+20\.0 s\)/);
    assert.match(text, /No load step raises the load\./);
    assert.match(text, /\| 2 \| 40 → 5 \| 4 \| none \| — \[1\] \| 300\.0 s \|/);
    assert.match(text, /- \[1\] no decrease observed before the end of the run \(desired stayed 4\)/);
    assert.match(
      text,
      /- Oscillations: 0 direction changes of desiredReplicas \(1 change\) in 600\.0 s: 0\.0 per 5 min\./,
    );
    assert.match(text, /- Time at maxReplicas \(4\): — \(no HPA observations\)\./);
  });

  it('restarts: a probable false kill shows its reasons; other causes show their evidence', () => {
    const v = variant({
      restarts: {
        total: 3,
        byCause: { ...zero, liveness: 2, error: 1 },
        probableFalseKills: 1,
        byContainer: [
          { pod: 'web-1', container: 'app', total: 2, byCause: { ...zero, liveness: 2 } },
          { pod: 'web-2', container: 'app', total: 1, byCause: { ...zero, error: 1 } },
        ],
        restarts: [
          restart(),
          restart({
            atMs: ms(61),
            liveness: {
              killedAtMs: ms(60),
              source: SOURCES.arrival,
              probableFalseKill: false,
              reasons: [],
              unchecked: ['startup window: the container start time is unknown'],
              requestsBefore: 0,
              sinceStartMs: null,
              startupAllowanceMs: 30_000,
            },
          }),
          restart({
            pod: 'web-2',
            atMs: ms(70),
            relisted: true,
            cause: 'error',
            exitCode: 2,
            reason: 'terminated (Error) with exit code 2',
            liveness: undefined,
          }),
        ],
      },
    });
    const lines = restartLines(v, runMetrics([v]), T0);
    assert.match(lines[0] as string, /^\*\*Restarts:\*\* 3 \(liveness 2, error 1\); 1 probable false kill /);
    assert.ok(lines.includes('| web-1 | app | 2 | liveness 2 |'));
    assert.ok(
      lines.includes(
        '| web-1 | app | t+31.3 s | liveness | kubelet Killing event: failed liveness probe (container app); killed at t+30.0 s | **yes**: the pod answered 42 request(s) in the 10 s before the kill (1 s windows overlapping [kill − 10 s, kill)) |',
      ),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) =>
        l.endsWith('| no (not checked: startup window: the container start time is unknown) |'),
      ),
    );
    assert.ok(
      lines.includes(
        '| web-2 | app | t+70.0 s (relist) | error (exit 2) | terminated (Error) with exit code 2 | n/a |',
      ),
    );
    assert.deepEqual(restartLines(variant(), runMetrics([]), T0), [
      '**Restarts:** none in the run window.',
      '',
    ]);
  });

  it('startup: no samples show — with the reason; errored pods are listed', () => {
    const v = variant({
      startup: {
        population: 3,
        preexisting: 1,
        errored: 1,
        edges: {
          createdToScheduled: edge('created', 'scheduled', [10, 20, 30]),
          scheduledToStarted: edge('scheduled', 'started', [1000, 1100]),
          createdToStarted: edge('created', 'started', [1010, 1120]),
          probeDelay: edge('started', 'ready', [], 3),
          createdToReady: edge('created', 'ready', [], 3),
        },
        pods: [
          {
            pod: 'web-9',
            server: {} as never,
            arrival: {} as never,
            errored: 'failed (Evicted) before becoming Ready',
          },
        ],
      },
    });
    const text = startupLines(v).join('\n');
    assert.match(
      text,
      /\| created → ready \| 0 \| 3 \| — \[1\] \| — \[1\] \| — \[1\] \| — \[1\] \| — \[1\] \|/,
    );
    assert.match(text, /- \[1\] none of 3 sample\(s\) completed/);
    assert.match(
      text,
      /\| scheduled → started \| 2 \| 0 \| 1\.0 s \| 1\.1 s \| 1\.1 s \| 1\.1 s \| 1\.0 s \/ 1\.0 s \(n 2\) \|/,
    );
    assert.match(text, /- web-9: failed \(Evicted\) before becoming Ready/);
    assert.deepEqual(startupLines(variant()), [
      '**Pod startup:** no pod of the variant was created during the run; 2 pods that existed at the start left out.',
      '',
    ]);
  });

  it('availability: windows with errors by kind, the p95 method, — for a window without requests', () => {
    const base = {
      buckets: 3,
      successful: 0,
      failed: 0,
      droppedIterations: 0,
      errors: { total: 0, byStatusClass: {}, byKind: { refused: 0, reset: 0, timeout: 0, other: 0 } },
      source: SOURCES.k6Window,
    };
    const win =
      'max over the 1 s windows of their nearest-rank quantile (an upper bound; 1 s quantiles cannot be merged)';
    const v = variant({
      availability: {
        defined: true,
        overall: {
          ...base,
          label: 'whole load',
          kind: 'load',
          fromMs: ms(0),
          toMs: ms(60),
          buckets: null,
          requests: 600,
          successful: 597,
          failed: 3,
          errorRate: 0.005,
          ratio: 0.995,
          errors: {
            total: 3,
            byStatusClass: { '5xx': 1 },
            byKind: { refused: 2, reset: 0, timeout: 0, other: 0 },
          },
          latencyMs: {
            method: 'nearest rank over every request of the interval (exact)',
            p50: 10,
            p95: 20,
            p99: 40,
          },
        },
        steps: [],
        windows: [
          {
            ...base,
            label: 'pod-kill at 5s',
            kind: 'chaos',
            fromMs: ms(5),
            toMs: ms(6.5),
            requests: 0,
            errorRate: null,
            ratio: null,
            latencyMs: { method: win, p50: null, p95: null, p99: null },
          },
        ],
      },
    });
    const text = availabilityLines(v, T0).join('\n');
    assert.match(text, /over the whole load: 99\.50 % \(597 of 600 request\(s\) succeeded\)/);
    assert.match(
      text,
      /\| whole load t\+0\.0 s → t\+60\.0 s \| 600 \| 3 \(5xx 1, refused 2\) \| 0\.50 % \| 0 \| 20\.0 ms \| exact \(every request\) \|/,
    );
    assert.match(
      text,
      /\| pod-kill at 5s \(chaos\) t\+5\.0 s → t\+6\.5 s, 3 × 1 s \| 0 \| 0 \| — \[1\] \| 0 \| — \[2\] \| max of 1 s windows \(upper bound\) \|/,
    );
    assert.match(text, /- \[1\] no request in the window\n- \[2\] no latency sample in the window/);
    assert.deepEqual(availabilityLines(variant(), T0), [
      '**Availability:** The variant receives no load.',
      '',
    ]);
  });

  it('chaos recovery: unrecovered pods are listed and the total is — with the reason', () => {
    const f: FaultRecovery = {
      fault: 't0-pod-kill-web',
      action: 'pod-kill',
      variant: 'web',
      injectedAtMs: ms(5),
      kind: 'pod-replacement',
      replaced: [
        {
          killed: 'web-1',
          deletedAtMs: ms(5.2),
          replacement: 'web-7',
          createdAtMs: ms(5.4),
          readyAtMs: null,
          rescheduling: measured(200),
          serverRescheduling: { ms: 0, source: SOURCES.server },
          readiness: missing('never became Ready'),
        },
      ],
      inPlace: [],
      total: missing('1 of 1 killed pod(s) not recovered by the end of the run'),
      sloRecovery: measured(4_000),
      unrecovered: ['web-1: its replacement web-7 never became Ready'],
    };
    const lines = recoveryLines([f], T0);
    assert.equal(
      lines[0],
      '**Chaos recovery of t0-pod-kill-web** (pod-kill, injected t+5.0 s): recovered in — (1 of 1 killed pod(s) not recovered by the end of the run); SLO recovery 4.0 s.',
    );
    assert.ok(lines.includes('| web-1 | web-7 | 0.2 s | 0.0 s | — [1] |'));
    assert.ok(lines.includes('- [1] never became Ready'));
    assert.ok(lines.includes('- web-1: its replacement web-7 never became Ready'));
    const inPlace: FaultRecovery = {
      ...f,
      action: 'container-kill',
      kind: 'in-place',
      replaced: [],
      inPlace: [{ pod: 'web-2', notReadyAtMs: ms(5.5), readyAgainAtMs: ms(9), downtime: measured(3_500) }],
      total: measured(4_000),
      unrecovered: [],
    };
    assert.ok(recoveryLines([inPlace], T0).includes('| web-2 | t+5.5 s | t+9.0 s | 3.5 s |'));
    assert.deepEqual(recoveryLines([], T0), ['**Chaos recovery:** no fault targeted this variant.', '']);
  });

  it('config propagation: outcome, time and the pods that never got it', () => {
    const u: ConfigPropagation = {
      variant: 'web',
      version: 'v2',
      atMs: ms(30),
      outcome: 'never',
      propagation: missing('never: web-3 did not report version v2 by the end of the run'),
      never: ['web-3'],
      pods: [
        {
          pod: 'web-3',
          reportedAtMs: null,
          delay: missing('never reported the new version'),
          createdAfterUpdate: false,
          gone: false,
        },
        {
          pod: 'web-4',
          reportedAtMs: null,
          delay: missing('deleted'),
          createdAfterUpdate: false,
          gone: true,
        },
      ],
      samplingIntervalMs: 1000,
      source: SOURCES.sample,
    };
    const ok: ConfigPropagation = {
      ...u,
      version: 'v3',
      outcome: 'propagated',
      propagation: { ms: 2_345, source: SOURCES.sample },
      never: [],
      pods: [],
    };
    const text = configLines([u, ok], T0).join('\n');
    assert.match(text, /\| v2 \| t\+30\.0 s \| never \| — \[1\] \| web-3 \| 1\.0 s \|/);
    assert.match(text, /\| v3 \| t\+30\.0 s \| propagated \| 2\.3 s \| none \| 1\.0 s \|/);
    assert.match(text, /- \[1\] never: web-3 did not report version v2 by the end of the run/);
    assert.match(text, /Version v2: deleted before reporting it \(not waited for\): web-4\./);
  });

  it('watches: one line when all is well, the gaps otherwise', () => {
    assert.deepEqual(watchLines(healthy, T0), [
      '**Watches:** no gap, no error, no relist, no synthesized delete.',
      '',
    ]);
    const text = watchLines(
      {
        ...healthy,
        gaps: [{ kind: 'Pod', fromMs: ms(10), toMs: ms(15), durationMs: 5_000, reason: 'stream closed' }],
        totalGapMs: 5_000,
        unionGapMs: 5_000,
        relists: 1,
        relistedStates: 4,
      },
      T0,
    ).join('\n');
    assert.match(
      text,
      /1 gap \(5\.0 s in all, at least one watch down 5\.0 s\), 0 errors, 1 relist, 4 states seen only in a relist/,
    );
    assert.match(text, /\| Pod \| t\+10\.0 s \| t\+15\.0 s \| 5\.0 s \| stream closed \|/);
  });

  it('harness: the event-loop delay, CPU and peak memory of the run, in one line', () => {
    assert.deepEqual(
      harnessLines({
        eventLoopDelayMs: { p50: 10.2, p99: 31.5, max: 250 },
        cpuSeconds: 6.42,
        peakRssMb: 231,
        wallSeconds: 118.5,
      }),
      [
        '**Harness:** event-loop delay p50 10.2 ms, p99 31.5 ms, max 250 ms (arrival stamps are late by up to that much on top of the 1 ms clock); CPU 6.42 s over 118.5 s; peak RSS 231 MB.',
        '',
      ],
    );
  });

  it('metrics sections: one line without metrics, or with metrics of another version', () => {
    const report = { loadStartMs: T0 } as RunReport;
    assert.match(metricsSections(report).join('\n'), /None in this run\.json: the watchers never ran/);
    const other = { ...runMetrics([]), version: 'probelab.dev/metrics/v0' } as unknown as RunMetrics;
    assert.match(metricsSections({ ...report, metrics: other }).join('\n'), /Not rendered: metrics version/);
    const text = metricsSections({ ...report, metrics: runMetrics([variant()]) }).join('\n');
    assert.match(text, /### web\n\n\*\*Scale-up:\*\* The variant has no HPA\./);
    assert.match(text, /\*\*Probe failures:\*\* none\./);
    assert.match(text, /\*\*Config propagation:\*\* no config update for this variant\./);
  });

  it('renders a run.json without metrics, notAvailable or configUpdates (older or aborted runs)', () => {
    const report: RunReport = {
      version: RUN_REPORT_VERSION,
      runId: 'old',
      scenario: 'old',
      namespace: 'probelab-old',
      startedAt: '2026-11-23T10:00:00.000Z',
      finishedAt: '2026-11-23T10:00:10.000Z',
      clocks: 'this host',
      loadStartMs: undefined,
      steps: [],
      timeline: [],
      faults: [],
      chaosWindows: [],
      rolloutWindows: [],
      restarts: [],
      leftovers: [],
      loadOutcome: 'aborted',
      series: undefined,
      verdict: { outcome: 'aborted', checks: [], invalidReasons: [] },
      error: 'interrupted',
    };
    const text = renderSummary(report);
    assert.match(text, /## Cluster-side measurements\n\nNone in this run\.json/);
    assert.ok(text.trimEnd().endsWith('Clocks: this host.'));
    assert.doesNotMatch(text, /Never available/);
  });
});
