/** HPA scaling per load step, scale-down, oscillations, time at max, SLO recovery and the floor model. */
import assert from 'node:assert/strict';
import type { Hpa } from '../../harness/config/v1alpha1.ts';
import type { StageWindow } from '../../harness/core/load-shape.ts';
import { hpaScaleUpFloor } from '../../harness/core/metrics/hpa-floor.ts';
import {
  computeMetrics,
  worstScaleUpLatency,
  type ScalingMetrics,
  type VariantMetrics,
} from '../../harness/core/metrics/index.ts';
import { at, input, Recorder, seriesOf, window } from './metrics-builders.ts';

// Steps: 10 rps 0-60 s, 30 rps 60-120 s, 50 rps 120-180 s, 5 rps 180-600 s.
const stages: StageWindow[] = [
  { index: 0, rps: 10, startMs: 0, holdStartMs: 0, endMs: 60_000 },
  { index: 1, rps: 30, startMs: 60_000, holdStartMs: 60_000, endMs: 120_000 },
  { index: 2, rps: 50, startMs: 120_000, holdStartMs: 120_000, endMs: 180_000 },
  { index: 3, rps: 5, startMs: 180_000, holdStartMs: 180_000, endMs: 600_000 },
];
const webHpa: Hpa = { minReplicas: 1, maxReplicas: 4, cpuUtilization: 50 };

function run(hpa: Hpa = webHpa, slos = { latency: { p95: '200ms' } }): VariantMetrics {
  const r = new Recorder();
  const ready = (name: string, created: number, readyAt: number) =>
    r.pod('MODIFIED', readyAt, {
      name,
      created,
      scheduled: created,
      ready: readyAt,
      containers: [{ runningSince: created + 1 }],
    });
  r.hpa('SYNCED', 0.1, 'web', 1);
  r.pod('SYNCED', 0.1, {
    name: 'web-1',
    created: -100,
    scheduled: -100,
    ready: -95,
    containers: [{ runningSince: -99 }],
  });
  r.slice('SYNCED', 0.1, 'web', ['web-1']);
  for (const kind of ['HorizontalPodAutoscaler', 'Pod', 'EndpointSlice'] as const) r.listed(kind, 0.2);
  // Step 0: desired 1 → 2 at 20 s; web-2 added 20.5, Ready 25, in the EndpointSlice 25.3.
  r.hpa('MODIFIED', 20, 'web', 2);
  r.pod('ADDED', 20.5, { name: 'web-2', created: 20 });
  ready('web-2', 20, 25);
  r.slice('MODIFIED', 25.3, 'web', ['web-1', 'web-2']);
  // Step 1: desired 2 → 4 at 75 s; web-3/web-4 added 75.2/75.3, Ready 80/82, endpoints 80.1/82.4.
  r.hpa('MODIFIED', 75, 'web', 4);
  r.pod('ADDED', 75.2, { name: 'web-3', created: 75 });
  r.pod('ADDED', 75.3, { name: 'web-4', created: 75 });
  ready('web-3', 75, 80);
  r.slice('MODIFIED', 80.1, 'web', ['web-1', 'web-2', 'web-3'], ['web-4']);
  ready('web-4', 75, 82);
  r.slice('MODIFIED', 82.4, 'web', ['web-1', 'web-2', 'web-3', 'web-4']);
  // Step 2 starts at max. Step 3: down to 2 at 490 s, up to 3 at 520 s, down to 2 at 560 s.
  r.hpa('MODIFIED', 490, 'web', 2);
  r.hpa('MODIFIED', 520, 'web', 3);
  r.hpa('MODIFIED', 560, 'web', 2);
  // p95 500 ms in 60-69 s, then 20 ms.
  const windows = Array.from({ length: 600 }, (_, s) => window(s, { p95: s >= 60 && s < 70 ? 500 : 20 }));
  const m = computeMetrics(
    input({
      observations: r.list,
      series: seriesOf('web', windows),
      stages,
      slos,
      variants: [{ name: 'web', loaded: true, hpa }],
    }),
  );
  return m.variants[0] as VariantMetrics;
}

function scaling(v: VariantMetrics): ScalingMetrics {
  assert.ok(v.scaling.defined);
  return v.scaling;
}

describe('metrics: scaling', () => {
  const s = scaling(run());

  const steps = [
    {
      step: 0,
      reaction: 20_000,
      created: 500,
      ready: 5_000,
      inEndpoints: 5_300,
      latency: 25_300,
      from: 1,
      to: 2,
      recovery: 0,
      pods: ['web-2'],
    },
    {
      step: 1,
      reaction: 15_000,
      created: 300,
      ready: 7_000,
      inEndpoints: 7_400,
      latency: 22_400,
      from: 2,
      to: 4,
      recovery: 10_000,
      pods: ['web-3', 'web-4'],
    },
  ];
  for (const c of steps)
    it(`step ${c.step}: reaction, provisioning and endpoints from arrivals`, () => {
      const step = s.scaleUp[c.step];
      assert.ok(step);
      assert.equal(step.outcome, 'scaled');
      assert.deepEqual(step.firstIncrease, {
        from: c.from,
        to: c.to,
        atMs: at(c.step === 0 ? 20 : 75),
        relisted: false,
      });
      assert.equal(step.reaction.ms, c.reaction);
      assert.equal(step.provisioning?.created.ms, c.created);
      assert.equal(step.provisioning?.ready.ms, c.ready);
      assert.equal(step.provisioning?.inEndpoints.ms, c.inEndpoints);
      assert.equal(step.scaleUpLatency.ms, c.latency);
      assert.equal(step.sloRecovery.ms, c.recovery);
      assert.deepEqual(
        step.provisioning?.newPods.map((p) => p.pod),
        c.pods,
      );
      assert.equal(
        'source' in step.reaction && step.reaction.source,
        'load start + planned step offset (host wall clock, 1 ms) → arrival (host wall clock, 1 ms)',
      );
    });

  it('says why a step already at maxReplicas did not scale', () => {
    const step = s.scaleUp[2];
    assert.equal(step?.outcome, 'none');
    assert.equal(step?.reason, 'desired replicas already at maxReplicas (4)');
    assert.deepEqual(step?.reaction, { ms: null, reason: 'desired replicas already at maxReplicas (4)' });
    assert.equal(step?.floor, null);
  });

  it('shows the floor beside a scaled step', () => {
    const floor = s.scaleUp[1]?.floor;
    assert.equal(floor?.kind, 'lower-bound model');
    assert.equal(floor?.from, 2);
    assert.equal(floor?.to, 4);
    assert.equal(floor?.reactionFloorMs, 15_000);
    assert.equal(floor?.totalFloorMs, 15_000);
  });

  it('measures scale-down latency, oscillations and time at max', () => {
    assert.equal(s.scaleDown.length, 1);
    assert.equal(s.scaleDown[0]?.latency.ms, 310_000);
    assert.deepEqual(s.scaleDown[0]?.firstDecrease, { from: 4, to: 2, atMs: at(490), relisted: false });
    assert.equal(s.scaleDown[0]?.floorMs, 300_000);
    assert.equal(s.oscillations.changes, 5);
    assert.equal(s.oscillations.directionChanges, 3);
    assert.equal(s.oscillations.per5Minutes, 1.5);
    assert.equal(s.atMaxReplicas.ms, 415_000);
  });

  it('reports the worst scale-up latency for the verdict', () => {
    assert.deepEqual(worstScaleUpLatency(run()), {
      ms: 25_300,
      source: 'load start + planned step offset (host wall clock, 1 ms) → arrival (host wall clock, 1 ms)',
      step: 0,
    });
  });

  it('says recovery is not defined without latency and error-rate SLOs', () => {
    const step = scaling(run(webHpa, {} as never)).scaleUp[0];
    assert.deepEqual(step?.sloRecovery, {
      ms: null,
      reason: 'recovery not defined: neither slos.latency.p95 nor slos.errorRate.max is set',
    });
  });

  it('is not defined for a variant without an HPA', () => {
    const m = computeMetrics(input({ stages }));
    assert.deepEqual(m.variants[0]?.scaling, { defined: false, reason: 'the variant has no HPA' });
  });

  it('takes a new HPA’s desiredReplicas 0 (not computed yet) as unknown, not as the count to scale from', () => {
    const r = new Recorder();
    r.hpa('ADDED', 0.1, 'web', 0).hpa('MODIFIED', 35, 'web', 1).hpa('MODIFIED', 70, 'web', 3);
    const m = computeMetrics(
      input({ observations: r.list, stages, variants: [{ name: 'web', loaded: true, hpa: webHpa }] }),
    );
    const v = scaling(m.variants[0] as VariantMetrics);
    assert.deepEqual(
      v.desired.map((p) => p.desired),
      [1, 3],
    );
    assert.equal(v.scaleUp.find((x) => x.outcome === 'scaled')?.desiredAtStart, 1);
  });

  it('says when a step saw no increase', () => {
    const r = new Recorder();
    r.hpa('SYNCED', 0.1, 'web', 1).listed('HorizontalPodAutoscaler', 0.2);
    const m = computeMetrics(
      input({ observations: r.list, stages, variants: [{ name: 'web', loaded: true, hpa: webHpa }] }),
    );
    const v = scaling(m.variants[0] as VariantMetrics);
    assert.equal(v.scaleUp[0]?.reason, 'no increase observed during the step (desired stayed 1)');
    assert.equal(v.scaleDown[0]?.latency.ms, null);
    assert.equal(worstScaleUpLatency(m.variants[0] as VariantMetrics).ms, null);
  });
});

describe('metrics: HPA floor model', () => {
  const cases: {
    name: string;
    hpa: Hpa;
    from: number;
    to: number;
    reaction: number;
    ramp: number | null;
    periods?: number;
    steps?: number[];
    total: number | null;
    toCapped?: number;
  }[] = [
    {
      name: 'default behaviour, 1 → 10: 4 pods or 100 % per 15 s',
      hpa: { minReplicas: 1, maxReplicas: 20 },
      from: 1,
      to: 10,
      reaction: 15_000,
      ramp: 15_000,
      periods: 1,
      steps: [5, 10],
      total: 30_000,
    },
    {
      name: 'default behaviour, 2 → 4 in one sync',
      hpa: { minReplicas: 1, maxReplicas: 4 },
      from: 2,
      to: 4,
      reaction: 15_000,
      ramp: 0,
      periods: 0,
      steps: [4],
      total: 15_000,
    },
    {
      name: '1 pod per 60 s, 1 → 4: three increases a minute apart',
      hpa: {
        minReplicas: 1,
        maxReplicas: 10,
        behavior: { scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } },
      },
      from: 1,
      to: 4,
      reaction: 15_000,
      ramp: 120_000,
      periods: 2,
      steps: [2, 3, 4],
      total: 135_000,
    },
    {
      name: '50 % per 30 s with a 60 s stabilization window, 2 → 5',
      hpa: {
        minReplicas: 1,
        maxReplicas: 10,
        behavior: {
          scaleUp: {
            stabilizationWindowSeconds: 60,
            policies: [{ type: 'Percent', value: 50, periodSeconds: 30 }],
          },
        },
      },
      from: 2,
      to: 5,
      reaction: 75_000,
      ramp: 30_000,
      periods: 1,
      steps: [3, 5],
      total: 105_000,
    },
    {
      name: 'capped at maxReplicas',
      hpa: { minReplicas: 1, maxReplicas: 3 },
      from: 1,
      to: 10,
      reaction: 15_000,
      ramp: 0,
      periods: 0,
      steps: [3],
      total: 15_000,
      toCapped: 3,
    },
    {
      name: 'scale-up disabled',
      hpa: { minReplicas: 1, maxReplicas: 10, behavior: { scaleUp: { selectPolicy: 'Disabled' } } },
      from: 1,
      to: 3,
      reaction: 15_000,
      ramp: null,
      total: null,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const f = hpaScaleUpFloor(c.hpa, c.from, c.to);
      assert.equal(f.kind, 'lower-bound model');
      assert.equal(f.reactionFloorMs, c.reaction);
      assert.equal(f.reactionWorstMs, c.reaction + 30_000);
      assert.equal(f.ramp.ms, c.ramp);
      if ('steps' in f.ramp && c.steps) {
        assert.equal(f.ramp.periods, c.periods);
        assert.deepEqual(
          f.ramp.steps.map((s) => s.replicas),
          c.steps,
        );
      }
      assert.equal(f.totalFloorMs, c.total);
      assert.equal(f.to, c.toCapped ?? c.to);
      assert.ok(f.assumptions.length >= 5);
    });

  it('adds the probes’ initial delay as the ready floor and states its assumptions', () => {
    const f = hpaScaleUpFloor({ minReplicas: 1, maxReplicas: 4 }, 1, 2, {
      readiness: { httpGet: { path: '/readyz', port: 'http' }, initialDelaySeconds: 5 },
      startup: { httpGet: { path: '/livez', port: 'http' }, initialDelaySeconds: 3 },
    });
    assert.equal(f.readyFloorMs, 5_000);
    assert.equal(f.totalFloorMs, 20_000);
    assert.equal(f.parameters.tolerance, 0.1);
    assert.match(f.assumptions[0] ?? '', /lower-bound model, not a measurement/);
  });

  it('uses behavior.scaleUp.tolerance', () => {
    const f = hpaScaleUpFloor(
      { minReplicas: 1, maxReplicas: 4, behavior: { scaleUp: { tolerance: 0.05 } } },
      1,
      2,
    );
    assert.equal(f.parameters.tolerance, 0.05);
    assert.ok(f.assumptions.some((a) => a.includes('1 + tolerance (0.05)')));
  });
});
