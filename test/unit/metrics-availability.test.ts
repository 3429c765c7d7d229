/** Availability per window (baseline, chaos, rollout) and per step, from the k6 series; SLO recovery. */
import assert from 'node:assert/strict';
import type { StepStats } from '../../harness/core/load/series.ts';
import { sloRecovery } from '../../harness/core/metrics/availability.ts';
import { availabilityRatio, computeMetrics, type VariantMetrics } from '../../harness/core/metrics/index.ts';
import { at, input, seriesOf, window } from './metrics-builders.ts';

describe('metrics: availability', () => {
  // 100 windows of 10 requests. Chaos 30-40.5 s: 5 refused in 30-34, p95 300 ms at 32, 3 dropped at 35.
  // Rollout 70-80 s: two 5xx at 72.
  const windows = Array.from({ length: 100 }, (_, s) =>
    window(s, {
      errors: s >= 30 && s < 35 ? 5 : 0,
      kind: 'refused',
      status5xx: s === 72 ? 2 : 0,
      p95: s === 32 ? 300 : 20,
      dropped: s === 35 ? 3 : 0,
    }),
  );
  const step: StepStats = {
    ...window(0),
    fromUs: at(0) * 1000,
    toUs: at(100) * 1000,
    fromMs: 0,
    toMs: 100_000,
    requests: 1000,
    step: 0,
    rps: 10,
    complete: true,
    errors: {
      total: 27,
      byStatusClass: { '5xx': 2 },
      byKind: { refused: 25, reset: 0, timeout: 0, other: 0 },
    },
    errorRate: 0.027,
    droppedIterations: 3,
    latencyMs: { count: 1000, p50: 10, p95: 22, p99: 300, max: 600 },
  };
  const m = computeMetrics(
    input({
      series: seriesOf('web', windows, [step]),
      chaosWindows: [
        { label: 'pod-kill at 30s', variant: 'web', fromMs: at(30), toMs: at(40.5) },
        { label: 'pod-kill at 30s', variant: 'other', fromMs: at(0), toMs: at(100) },
      ],
      rolloutWindows: [{ label: 'rollout at 70s', variant: 'web', fromMs: at(70), toMs: at(80) }],
    }),
  );
  const v = m.variants[0] as VariantMetrics;
  assert.ok(v.availability.defined);
  const [baseline, chaos, rollout] = v.availability.windows;

  const cases = [
    {
      name: 'baseline: load outside every window of the variant',
      a: baseline,
      buckets: 79,
      requests: 790,
      failed: 0,
      ratio: 1,
      dropped: 0,
      p95: 20,
      byKind: { refused: 0, reset: 0, timeout: 0, other: 0 },
      byStatusClass: {},
    },
    {
      name: 'chaos: every 1 s window that overlaps 30-40.5 s (11)',
      a: chaos,
      buckets: 11,
      requests: 110,
      failed: 25,
      ratio: 85 / 110,
      dropped: 3,
      p95: 300,
      byKind: { refused: 25, reset: 0, timeout: 0, other: 0 },
      byStatusClass: {},
    },
    {
      name: 'rollout: 70-80 s',
      a: rollout,
      buckets: 10,
      requests: 100,
      failed: 2,
      ratio: 0.98,
      dropped: 0,
      p95: 20,
      byKind: { refused: 0, reset: 0, timeout: 0, other: 0 },
      byStatusClass: { '5xx': 2 },
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      assert.ok(c.a);
      assert.equal(c.a.buckets, c.buckets);
      assert.equal(c.a.requests, c.requests);
      assert.equal(c.a.failed, c.failed);
      assert.equal(c.a.successful, c.requests - c.failed);
      assert.equal(c.a.ratio, c.ratio);
      assert.equal(c.a.errorRate, c.failed / c.requests);
      assert.equal(c.a.droppedIterations, c.dropped);
      assert.equal(c.a.latencyMs.p95, c.p95);
      assert.deepEqual(c.a.errors.byKind, c.byKind);
      assert.deepEqual(c.a.errors.byStatusClass, c.byStatusClass);
      assert.match(c.a.latencyMs.method, /^max over the 1 s windows/);
    });

  it('uses the step stats, with exact quantiles, per step', () => {
    assert.ok(v.availability.defined);
    const s = v.availability.steps[0];
    assert.equal(s?.label, 'step 0 (10 rps)');
    assert.equal(s?.fromMs, at(0));
    assert.equal(s?.toMs, at(100));
    assert.equal(s?.requests, 1000);
    assert.equal(s?.ratio, 0.973);
    assert.equal(s?.latencyMs.p99, 300);
    assert.equal(s?.latencyMs.method, 'nearest rank over every request of the interval (exact)');
  });

  it('gives the availability ratio over the whole load', () => {
    assert.deepEqual(availabilityRatio(v), {
      ratio: 0.973,
      successful: 973,
      total: 1000,
      source: 'k6 point time (µs)',
    });
  });

  it('is not defined for a variant without load', () => {
    const n = computeMetrics(input({ variants: [{ name: 'web', loaded: false }] }))
      .variants[0] as VariantMetrics;
    assert.deepEqual(n.availability, { defined: false, reason: 'the variant receives no load' });
    assert.deepEqual(availabilityRatio(n), { ms: null, reason: 'the variant receives no load' });
  });
});

describe('metrics: SLO recovery', () => {
  // p95 above 200 ms in 10-14 s and at 17 s; errors above 1 % at 20 s.
  const windows = Array.from({ length: 40 }, (_, s) =>
    window(s, { p95: (s >= 10 && s < 15) || s === 17 ? 400 : 50, errors: s === 20 ? 1 : 0 }),
  );
  const cases = [
    { name: 'already good: 0', from: 0, m: 5, t: { p95Ms: 200 }, ms: 0 },
    {
      name: 'from 10 s: a short good run (15-16) does not count',
      from: 10,
      m: 5,
      t: { p95Ms: 200 },
      ms: 8_000,
    },
    { name: 'M = 2 accepts 15-16', from: 10, m: 2, t: { p95Ms: 200 }, ms: 5_000 },
    { name: 'error rate too', from: 10, m: 5, t: { p95Ms: 200, errorRateMax: 0.01 }, ms: 11_000 },
    {
      name: 'a step start inside a window counts that window from its start: 0',
      from: 0.5,
      m: 5,
      t: { p95Ms: 200 },
      ms: 0,
    },
  ];
  for (const c of cases)
    it(c.name, () => assert.equal(sloRecovery(windows, at(c.from), at(40), c.t, c.m).ms, c.ms));

  it('says when it never recovers in the interval', () => {
    assert.deepEqual(sloRecovery(windows, at(10), at(16), { p95Ms: 200 }, 5), {
      ms: null,
      reason: 'no 5 consecutive 1 s windows with p95 ≤ 200 ms before the end of the interval',
    });
  });

  it('breaks a run at a missing second', () => {
    const gappy = windows.filter((w) => w.fromUs !== at(25) * 1000);
    assert.equal(sloRecovery(gappy, at(21), at(40), { p95Ms: 200 }, 5).ms, 5_000);
  });
});
