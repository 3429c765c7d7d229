import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenarioSchema } from '../../harness/config/v1alpha1.ts';
import type { IntervalStats, LoadSeries, VariantSeries } from '../../harness/core/load/series.ts';
import { exitCodeOf, judgeRun, RUN_EXIT, type RunObservations } from '../../harness/core/verdict.ts';
import { computeMetrics, type RunMetrics } from '../../harness/core/metrics/index.ts';
import type { Observation } from '../../harness/core/observations.ts';
import { renderJunit, renderSummary, RUN_REPORT_VERSION, type RunReport } from '../../reports/render.ts';

const T0 = 1_795_000_000_000; // epoch ms of the load start in these cases

/** interval: n requests of which e failed, between two offsets (s) from T0. */
function interval(fromS: number, toS: number, n: number, e: number, p95 = 20): IntervalStats {
  return {
    fromUs: (T0 + fromS * 1000) * 1000,
    toUs: (T0 + toS * 1000) * 1000,
    fromMs: fromS * 1000,
    toMs: toS * 1000,
    requests: n,
    achievedRps: n / (toS - fromS),
    targetRps: n / (toS - fromS),
    expectedRequests: n,
    iterations: n,
    droppedIterations: 0,
    responses: { '2xx': n - e, ...(e ? { none: e } : {}) },
    errors: { total: e, byStatusClass: {}, byKind: { refused: e, reset: 0, timeout: 0, other: 0 } },
    errorRate: n ? e / n : 0,
    latencyMs: { count: n, p50: p95 / 2, p95, p99: p95 * 2, max: p95 * 3 },
    requestsByPod: { 'web-1': n },
  };
}

function seriesOf(variant: string, windows: IntervalStats[]): VariantSeries {
  const n = windows.reduce((s, w) => s + w.requests, 0);
  const e = windows.reduce((s, w) => s + w.errors.total, 0);
  const total = {
    ...interval(0, windows.length, n, e),
    latencyMs: { count: n, p50: 10, p95: 20, p99: 40, max: 60 },
  };
  return {
    variant,
    loadStartUs: T0 * 1000,
    loadStartSource: 'k6 scenario start',
    total,
    steps: [{ ...total, step: 0, rps: 10, complete: true }],
    windows,
  };
}

function observations(change: Partial<RunObservations> = {}): RunObservations {
  // 10 windows of 10 requests; 4 errors in second 5, the pod-kill window.
  const windows = Array.from({ length: 10 }, (_, i) => interval(i, i + 1, 10, i === 5 ? 4 : 0));
  const series: LoadSeries = {
    timestampSource: 'k6 sample time' as LoadSeries['timestampSource'],
    quantileMethod: 'nearest-rank',
    windowMs: 1000,
    variants: [seriesOf('web', windows)],
    lines: { points: 0, skipped: 0, unattributed: 0, malformed: 0, malformedExamples: [] },
  };
  return {
    variants: ['web'],
    series,
    loadOutcome: 'completed',
    chaosWindows: [{ label: 'pod-kill at 5s', variant: 'web', fromMs: T0 + 5_000, toMs: T0 + 6_000 }],
    rolloutWindows: [],
    restarts: [
      { variant: 'web', total: 0, byCause: { liveness: 0, oom: 0, error: 0, chaos: 0, eviction: 0 } },
    ],
    faults: [
      {
        name: 't0-pod-kill-web',
        action: 'pod-kill',
        at: '5s',
        state: 'injected',
        forced: false,
        neverInjected: false,
      },
    ],
    leftovers: [],
    aborted: false,
    // The watchers ran and saw nothing of note (no pod created during the run, no gap).
    metrics: metricsOf([], series),
    ...change,
  };
}

function metricsOf(observations: Observation[], series?: LoadSeries): RunMetrics {
  return computeMetrics({
    observations,
    series,
    stages: [],
    loadStartMs: T0,
    runWindow: { fromMs: T0 - 5_000, toMs: T0 + 15_000 },
    variants: [{ name: 'web', loaded: true }],
    chaosWindows: [],
    rolloutWindows: [],
    faults: [],
    configUpdates: [],
    slos: {},
  });
}

const slosOf = (slos: unknown) => scenarioSchema.shape.slos.parse(slos);

describe('verdict: judgeRun', () => {
  const cases: {
    name: string;
    slos: unknown;
    obs?: Partial<RunObservations>;
    outcome: string;
    exit: number;
    expect?: (v: ReturnType<typeof judgeRun>) => void;
  }[] = [
    {
      name: 'passes when every check passes',
      slos: { errorRate: { max: 0.05, duringChaos: 0.5 }, latency: { p95: '100ms' }, restarts: { max: 0 } },
      outcome: 'passed',
      exit: RUN_EXIT.passed,
    },
    {
      name: 'the chaos window holds the errors: 4 of 10 there, 4 of 100 overall',
      slos: { errorRate: { max: 0.05, duringChaos: 0.3 } },
      outcome: 'failed',
      exit: RUN_EXIT.failed,
      expect: (v) => {
        const chaos = v.checks.find((c) => c.name === 'slos.errorRate.duringChaos');
        assert.equal(chaos?.status, 'fail');
        assert.equal(chaos?.measured, '0.4000');
        assert.equal(v.checks.find((c) => c.name === 'slos.errorRate.max')?.measured, '0.0400');
      },
    },
    {
      name: 'a restart by liveness fails its byCause check',
      slos: { restarts: { byCause: { liveness: 0 } } },
      obs: {
        restarts: [
          { variant: 'web', total: 2, byCause: { liveness: 2, oom: 0, error: 0, chaos: 0, eviction: 0 } },
        ],
      },
      outcome: 'failed',
      exit: RUN_EXIT.failed,
    },
    {
      name: 'a fault that was not injected makes the run invalid, whatever the SLOs say',
      slos: { errorRate: { max: 0.05 } },
      obs: {
        faults: [
          {
            name: 't0-network-delay-web',
            action: 'network-delay',
            at: '5s',
            state: 'failing',
            reason: 'not injected: kernel lacks sch_netem',
            forced: false,
            neverInjected: true,
          },
        ],
      },
      outcome: 'invalid',
      exit: RUN_EXIT.invalid,
      expect: (v) =>
        assert.deepEqual(v.invalidReasons, [
          't0-network-delay-web (network-delay at 5s): not injected: kernel lacks sch_netem',
        ]),
    },
    {
      name: 'a forced removal is dirty',
      slos: {},
      obs: {
        faults: [
          {
            name: 'f',
            action: 'network-partition',
            at: '5s',
            state: 'injected',
            forced: true,
            neverInjected: false,
          },
        ],
      },
      outcome: 'invalid',
      exit: RUN_EXIT.invalid,
    },
    {
      name: 'a scale-up SLO without any observed scale-up cannot be evaluated: the run is invalid, not passed',
      slos: { scaleUp: { maxLatency: '90s' } },
      outcome: 'invalid',
      exit: RUN_EXIT.invalid,
      expect: (v) => assert.match(v.invalidReasons.join(), /could not be evaluated: slos.scaleUp.maxLatency/),
    },
    {
      name: 'a watch relisted after 410 Gone makes the run invalid (transitions may be lost)',
      slos: { errorRate: { max: 0.5 } },
      obs: {
        metrics: metricsOf([
          {
            seq: 0,
            kind: 'Pod',
            marker: 'gap',
            arrivalMs: T0 + 3_000,
            monoMs: 3_000,
            fromMs: T0 + 2_000,
            toMs: T0 + 3_000,
            reason: '410 Gone: too old resource version',
          },
        ]),
      },
      outcome: 'invalid',
      exit: RUN_EXIT.invalid,
      expect: (v) => assert.match(v.invalidReasons.join(), /the Pod watch was down for 1.0 s \(410 Gone/),
    },
    {
      name: 'a watch resumed within 5 s loses nothing and keeps the run valid',
      slos: { errorRate: { max: 0.5 } },
      obs: {
        metrics: metricsOf([
          {
            seq: 0,
            kind: 'Event',
            marker: 'gap',
            arrivalMs: T0 + 3_000,
            monoMs: 3_000,
            fromMs: T0 + 1_000,
            toMs: T0 + 3_000,
            reason: 'stream closed',
          },
        ]),
      },
      outcome: 'passed',
      exit: RUN_EXIT.passed,
    },
    {
      name: 'no watcher records at all make the run invalid',
      slos: { errorRate: { max: 0.5 } },
      obs: { metrics: undefined },
      outcome: 'invalid',
      exit: RUN_EXIT.invalid,
      expect: (v) => assert.match(v.invalidReasons.join(), /the watchers recorded nothing/),
    },
    {
      name: 'duringRollout without a rollout is not evaluated',
      slos: { errorRate: { duringRollout: 0.1 } },
      outcome: 'invalid',
      exit: RUN_EXIT.invalid,
      expect: (v) => assert.equal(v.checks[0]?.reason, 'no rollout of this variant happened'),
    },
    {
      name: 'an aborted run is aborted',
      slos: {},
      obs: { aborted: true },
      outcome: 'aborted',
      exit: RUN_EXIT.invalid,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const verdict = judgeRun(slosOf(c.slos), observations(c.obs));
      assert.equal(verdict.outcome, c.outcome, JSON.stringify(verdict, null, 1));
      assert.equal(exitCodeOf(verdict), c.exit);
      c.expect?.(verdict);
    });
});

describe('reports: summary.md and junit.xml', () => {
  const obs = observations();
  const verdict = judgeRun(
    slosOf({
      errorRate: { max: 0.01, duringChaos: 0.5 },
      latency: { p95: '100ms' },
      scaleUp: { maxLatency: '1m' },
    }),
    obs,
  );
  const report: RunReport = {
    version: RUN_REPORT_VERSION,
    runId: 'r1',
    scenario: 'golden',
    namespace: 'probelab-r1',
    startedAt: '2026-11-23T10:00:00.000Z',
    finishedAt: '2026-11-23T10:01:00.000Z',
    clocks: 'this host',
    loadStartMs: T0,
    steps: [],
    timeline: [{ index: 0, at: '5s', action: 'pod-kill', target: 'web', firedAtMs: T0 + 5_000 }],
    faults: obs.faults,
    chaosWindows: obs.chaosWindows,
    rolloutWindows: [],
    restarts: obs.restarts,
    leftovers: [],
    loadOutcome: 'completed',
    series: obs.series,
    verdict,
  };
  for (const [file, text] of [
    ['run.json', `${JSON.stringify(report, null, 2)}\n`],
    ['summary.md', renderSummary(report)],
    ['junit.xml', renderJunit(report)],
  ] as const)
    it(`renders ${file} (golden)`, () => {
      const golden = join(import.meta.dirname, '..', 'golden', 'reports', file);
      if (process.env.UPDATE_GOLDEN) writeFileSync(golden, text);
      assert.equal(text, readFileSync(golden, 'utf8'));
    });
});
