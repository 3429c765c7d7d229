/**
 * Comparing runs and ranking variants (harness/core/compare.ts), on the recorded runs in
 * test/fixtures/runs/*.run.json: each case copies a run and changes one figure the way a worse (or
 * better) build would, then checks the verdict of that metric and of the whole comparison.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BOOTSTRAP,
  bootstrapMedianDifference,
  compareRuns,
  COMPARE_VERSION,
  extractMetrics,
  median,
  parseCompareRules,
  rankVariants,
  renderCompareJson,
  renderCompareMarkdown,
  renderRankingMarkdown,
  type Comparison,
  type MetricComparison,
  type MetricId,
  type MetricVerdict,
} from '../../harness/core/compare.ts';
import { formatProblem } from '../../harness/core/problems.ts';
import type { RunReport } from '../../reports/render.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'runs');
const COMPARE_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'compare');

const cache = new Map<string, RunReport>();
/** fixture: a fresh deep copy of a recorded run, safe to change. */
function fixture(name: 'autoscaling-steps' | 'startup-probe'): RunReport {
  if (!cache.has(name))
    cache.set(name, JSON.parse(readFileSync(join(FIXTURES, `${name}.run.json`), 'utf8')) as RunReport);
  return structuredClone(cache.get(name) as RunReport);
}

function series(run: RunReport, variant: string) {
  const s = run.series?.variants.find((v) => v.variant === variant);
  assert.ok(s, `fixture has a series for ${variant}`);
  return s;
}
function metrics(run: RunReport, variant: string) {
  const m = run.metrics?.variants.find((v) => v.variant === variant);
  assert.ok(m, `fixture has metrics for ${variant}`);
  return m;
}
function setP95(run: RunReport, variant: string, ms: number): RunReport {
  const l = series(run, variant).total.latencyMs;
  assert.ok(l);
  l.p95 = ms;
  return run;
}
function setRestarts(run: RunReport, variant: string, liveness: number): RunReport {
  const r = metrics(run, variant).restarts;
  r.total += liveness - r.byCause.liveness;
  r.byCause.liveness = liveness;
  return run;
}

function metricOf(c: Comparison, variant: string, metric: MetricId): MetricComparison {
  const m = c.variants.find((v) => v.variant === variant)?.metrics.find((x) => x.metric === metric);
  assert.ok(m, `${variant} ${metric} compared`);
  return m;
}

describe('compare: a run against itself', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.run.json'));
  it('has recorded runs to compare', () => assert.ok(files.length >= 2));
  for (const file of files)
    it(`${file}: within tolerance, nothing regressed, nothing improved`, () => {
      const run = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as RunReport;
      const c = compareRuns([run], [run]);
      assert.equal(c.version, COMPARE_VERSION);
      assert.equal(c.verdict, 'within tolerance');
      assert.equal(c.method.mode, 'single');
      assert.equal(c.counts.regression + c.counts.improvement + c.counts.inconclusive, 0);
      assert.ok(c.counts['within tolerance'] > 0);
      for (const v of c.variants)
        for (const m of v.metrics) {
          if (m.verdict === 'missing') assert.equal(m.base.value, null, `${v.variant} ${m.metric}`);
          else assert.equal(m.delta, 0, `${v.variant} ${m.metric}`);
        }
      assert.match(c.headline, /^WITHIN TOLERANCE/);
    });
});

describe('compare: one run a side, one figure changed', () => {
  type Case = {
    name: string;
    fixture: 'autoscaling-steps' | 'startup-probe';
    variant: string;
    metric: MetricId;
    change: (r: RunReport) => RunReport;
    /** onBase: apply the change to the base instead (a candidate that is better). */
    onBase?: boolean;
    expect: MetricVerdict;
    overall: Comparison['verdict'];
  };
  const cases: Case[] = [
    {
      name: 'p95 +24% and +31 ms is a regression',
      fixture: 'autoscaling-steps',
      variant: 'web',
      metric: 'latencyP95',
      change: (r) => setP95(r, 'web', 160),
      expect: 'regression',
      overall: 'regression',
    },
    {
      name: 'p95 +16% (not beyond 20%) is within tolerance',
      fixture: 'autoscaling-steps',
      variant: 'web',
      metric: 'latencyP95',
      change: (r) => setP95(r, 'web', 150),
      expect: 'within tolerance',
      overall: 'within tolerance',
    },
    {
      name: 'p95 +168% but only +3.1 ms (not beyond 5 ms) is within tolerance',
      fixture: 'startup-probe',
      variant: 'with-startup',
      metric: 'latencyP95',
      change: (r) => setP95(r, 'with-startup', 5),
      expect: 'within tolerance',
      overall: 'within tolerance',
    },
    {
      name: 'one more restart is a regression',
      fixture: 'startup-probe',
      variant: 'with-startup',
      metric: 'restarts',
      change: (r) => setRestarts(r, 'with-startup', 1),
      expect: 'regression',
      overall: 'regression',
    },
    {
      name: 'one more liveness restart is a regression of restarts by cause',
      fixture: 'startup-probe',
      variant: 'with-startup',
      metric: 'restartsLiveness',
      change: (r) => setRestarts(r, 'with-startup', 1),
      expect: 'regression',
      overall: 'regression',
    },
    {
      name: 'restarts 4 → 0 is an improvement',
      fixture: 'startup-probe',
      variant: 'liveness-only',
      metric: 'restarts',
      change: (r) => setRestarts(r, 'liveness-only', 0),
      expect: 'improvement',
      overall: 'within tolerance',
    },
    {
      name: 'restarts 0 → 4 in the base is an improvement of the candidate',
      fixture: 'startup-probe',
      variant: 'with-startup',
      metric: 'restarts',
      change: (r) => setRestarts(r, 'with-startup', 4),
      onBase: true,
      expect: 'improvement',
      overall: 'within tolerance',
    },
    {
      name: 'a probable false kill more is a regression',
      fixture: 'startup-probe',
      variant: 'liveness-only',
      metric: 'probableFalseKills',
      change: (r) => ((metrics(r, 'liveness-only').restarts.probableFalseKills = 5), r),
      expect: 'regression',
      overall: 'regression',
    },
    {
      name: 'error rate +0.006 is a regression',
      fixture: 'autoscaling-steps',
      variant: 'web',
      metric: 'errorRate',
      change: (r) => ((series(r, 'web').total.errorRate = 0.006), r),
      expect: 'regression',
      overall: 'regression',
    },
    {
      name: 'error rate +0.005 exactly is within tolerance',
      fixture: 'autoscaling-steps',
      variant: 'web',
      metric: 'errorRate',
      change: (r) => ((series(r, 'web').total.errorRate = 0.005), r),
      expect: 'within tolerance',
      overall: 'within tolerance',
    },
    {
      name: 'availability −0.002 is a regression',
      fixture: 'autoscaling-steps',
      variant: 'web',
      metric: 'availability',
      change: (r) => {
        const a = metrics(r, 'web').availability;
        assert.ok(a.defined);
        a.overall.ratio = 0.998;
        return r;
      },
      expect: 'regression',
      overall: 'regression',
    },
    {
      name: 'worst scale-up latency 44.9 s → 60 s (+34%, +15 s) is a regression',
      fixture: 'autoscaling-steps',
      variant: 'web',
      metric: 'scaleUpLatency',
      change: (r) => {
        const s = metrics(r, 'web').scaling;
        assert.ok(s.defined);
        s.scaleUp[1]!.scaleUpLatency = { ms: 60_000, source: 'test' };
        return r;
      },
      expect: 'regression',
      overall: 'regression',
    },
    {
      name: 'worst scale-up latency 44.9 s → 54 s (+20%) is within tolerance',
      fixture: 'autoscaling-steps',
      variant: 'web',
      metric: 'scaleUpLatency',
      change: (r) => {
        const s = metrics(r, 'web').scaling;
        assert.ok(s.defined);
        s.scaleUp[1]!.scaleUpLatency = { ms: 54_000, source: 'test' };
        return r;
      },
      expect: 'within tolerance',
      overall: 'within tolerance',
    },
    {
      name: '20 dropped iterations are a regression, 5 are not',
      fixture: 'autoscaling-steps',
      variant: 'web',
      metric: 'droppedIterations',
      change: (r) => ((series(r, 'web').total.droppedIterations = 20), r),
      expect: 'regression',
      overall: 'regression',
    },
    {
      name: '5 dropped iterations are within tolerance',
      fixture: 'autoscaling-steps',
      variant: 'web',
      metric: 'droppedIterations',
      change: (r) => ((series(r, 'web').total.droppedIterations = 5), r),
      expect: 'within tolerance',
      overall: 'within tolerance',
    },
  ];
  for (const t of cases)
    it(t.name, () => {
      const changed = t.change(fixture(t.fixture));
      const [base, candidate] = t.onBase ? [changed, fixture(t.fixture)] : [fixture(t.fixture), changed];
      const c = compareRuns([base], [candidate]);
      const m = metricOf(c, t.variant, t.metric);
      assert.equal(m.verdict, t.expect, m.reason);
      assert.equal(c.verdict, t.overall, c.headline);
      assert.equal(m.interval, undefined, 'one run a side: no interval');
      if (t.expect === 'regression') assert.match(c.headline, new RegExp(`${t.variant}: .*${m.label}`));
    });

  it('states base, candidate, delta and relative delta', () => {
    const c = compareRuns([fixture('autoscaling-steps')], [setP95(fixture('autoscaling-steps'), 'web', 160)]);
    const m = metricOf(c, 'web', 'latencyP95');
    assert.equal(m.base.value, 129.034828);
    assert.equal(m.candidate.value, 160);
    assert.ok(Math.abs((m.delta as number) - 30.965172) < 1e-9);
    assert.ok(Math.abs((m.relativeDelta as number) - 30.965172 / 129.034828) < 1e-9);
    assert.deepEqual(
      { text: m.rule.text, source: m.rule.source, relative: m.rule.relative, absolute: m.rule.absolute },
      { text: 'Δ > 20% and > 5 ms', source: 'default', relative: 0.2, absolute: 5 },
    );
  });
});

describe('compare: missing figures', () => {
  it('a candidate without cluster-side metrics: those metrics are missing, restarts fall back to run.json', () => {
    const candidate = fixture('startup-probe');
    delete candidate.metrics;
    const c = compareRuns([fixture('startup-probe')], [candidate]);
    const kills = metricOf(c, 'liveness-only', 'probableFalseKills');
    assert.equal(kills.verdict, 'missing');
    assert.equal(kills.base.value, 4);
    assert.equal(kills.candidate.value, null);
    assert.match(kills.reason, /^not measured in the candidate: no cluster-side metrics/);
    assert.equal(metricOf(c, 'liveness-only', 'restarts').verdict, 'within tolerance');
    assert.equal(metricOf(c, 'liveness-only', 'restartsUnknown').verdict, 'missing');
    assert.equal(c.verdict, 'within tolerance');
    assert.ok(c.counts.missing > 0);
  });

  it('a metric neither side has is missing with the reason', () => {
    const c = compareRuns([fixture('startup-probe')], [fixture('startup-probe')]);
    const m = metricOf(c, 'with-startup', 'scaleUpLatency');
    assert.equal(m.verdict, 'missing');
    assert.equal(m.reason, 'not measured on either side: the variant has no HPA');
  });

  it('a variant on one side only: every metric missing, and a warning when none is in common', () => {
    const candidate = fixture('autoscaling-steps');
    for (const v of [...(candidate.series?.variants ?? []), ...(candidate.metrics?.variants ?? [])])
      (v as { variant: string }).variant = 'web-v2';
    for (const r of candidate.restarts) r.variant = 'web-v2';
    const c = compareRuns([fixture('autoscaling-steps')], [candidate]);
    assert.deepEqual(
      c.variants.map((v) => [v.variant, v.onlyIn]),
      [
        ['web', 'base'],
        ['web-v2', 'candidate'],
      ],
    );
    for (const v of c.variants) for (const m of v.metrics) assert.equal(m.verdict, 'missing');
    assert.match(c.warnings.join('\n'), /no variant in common: base has web, candidate has web-v2/);
  });

  it('warns when the sides are different scenarios or a run is invalid', () => {
    const candidate = fixture('autoscaling-steps');
    candidate.scenario = 'other';
    candidate.verdict = { outcome: 'invalid', checks: [], invalidReasons: ['k6 dropped iterations'] };
    const c = compareRuns([fixture('autoscaling-steps')], [candidate]);
    assert.deepEqual(c.warnings, [
      'the sides are of different scenarios: base autoscaling-steps, candidate other',
      'candidate run proof-autoscale-2 is INVALID (k6 dropped iterations): its figures may not be trustworthy',
    ]);
  });
});

describe('compare: repeats (≥ 2 runs on a side)', () => {
  const p95s = (values: number[]) => values.map((v) => setP95(fixture('autoscaling-steps'), 'web', v));
  type Case = { name: string; base: number[]; candidate: number[]; expect: MetricVerdict };
  const cases: Case[] = [
    {
      name: 'noise larger than the difference: inconclusive',
      base: [100, 200, 120],
      candidate: [150, 220, 160],
      expect: 'inconclusive',
    },
    {
      name: 'a repeatable difference beyond the tolerance: regression',
      base: [100, 102, 101],
      candidate: [150, 152, 149],
      expect: 'regression',
    },
    {
      name: 'a repeatable improvement: improvement',
      base: [150, 152, 149],
      candidate: [100, 102, 101],
      expect: 'improvement',
    },
    {
      name: 'medians within the tolerance: within tolerance, whatever the noise',
      base: [100, 110, 105],
      candidate: [104, 180, 108],
      expect: 'within tolerance',
    },
    {
      name: 'one base run against repeats that all differ: regression',
      base: [100],
      candidate: [150, 160, 155],
      expect: 'regression',
    },
    {
      name: 'one base run against repeats that straddle it: inconclusive',
      base: [100],
      candidate: [90, 160, 155],
      expect: 'inconclusive',
    },
  ];
  for (const t of cases)
    it(t.name, () => {
      const c = compareRuns(p95s(t.base), p95s(t.candidate));
      assert.equal(c.method.mode, 'repeats');
      const m = metricOf(c, 'web', 'latencyP95');
      assert.equal(m.verdict, t.expect, m.reason);
      assert.equal(m.base.value, median(t.base));
      assert.equal(m.candidate.value, median(t.candidate));
      assert.ok(m.interval, 'an interval with repeats');
      assert.equal(m.interval.level, 0.95);
      const excludesZero = m.interval.low > 0 || m.interval.high < 0;
      assert.equal(m.interval.significant, excludesZero);
      if (t.expect === 'inconclusive') {
        assert.equal(excludesZero, false);
        assert.equal(c.verdict, 'inconclusive');
        assert.match(m.reason, /includes 0/);
      }
      if (t.expect === 'regression' || t.expect === 'improvement') assert.equal(excludesZero, true);
    });

  it('constant counts on both sides that differ: regression (no noise at all)', () => {
    const runs = (n: number) => [0, 1, 2].map(() => setRestarts(fixture('startup-probe'), 'with-startup', n));
    const m = metricOf(compareRuns(runs(0), runs(2)), 'with-startup', 'restarts');
    assert.equal(m.verdict, 'regression');
    assert.deepEqual(m.interval, { low: 2, high: 2, level: 0.95, significant: true });
  });

  it('is deterministic: the same runs give the same comparison', () => {
    const a = compareRuns(p95s([100, 200, 120]), p95s([150, 220, 160]));
    const b = compareRuns(p95s([100, 200, 120]), p95s([150, 220, 160]));
    assert.deepEqual(a, b);
    assert.equal(a.method.test?.seed, BOOTSTRAP.seed);
    assert.equal(a.method.test?.resamples, BOOTSTRAP.resamples);
    assert.match(
      a.method.description,
      /percentile bootstrap interval of median\(candidate\) − median\(base\)/,
    );
  });

  it('a run without the figure is left out of its side and named', () => {
    const candidate = p95s([150, 152]);
    const noLoad = fixture('autoscaling-steps');
    delete noLoad.series;
    noLoad.runId = 'no-load';
    const m = metricOf(compareRuns(p95s([100, 102]), [...candidate, noLoad]), 'web', 'latencyP95');
    assert.equal(m.candidate.n, 2);
    assert.deepEqual(m.candidate.values, [150, 152, null]);
    assert.match(m.candidate.reason ?? '', /^1 of 3 runs without a value \(no-load: no load series/);
  });
});

describe('compare: bootstrap interval', () => {
  it('covers the true difference of two shifted samples and excludes 0', () => {
    const base = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
    const candidate = base.map((v) => v + 20);
    const i = bootstrapMedianDifference(base, candidate);
    assert.equal(i.estimate, 20);
    assert.ok(i.low <= 20 && i.high >= 20 && i.low > 0, JSON.stringify(i));
  });
  it('includes 0 for two samples of the same spread and centre', () => {
    const i = bootstrapMedianDifference([1, 5, 9, 3, 7], [2, 6, 8, 4, 10]);
    assert.ok(i.low < 0 && i.high > 0 && !i.significant, JSON.stringify(i));
  });
  it('median of an even count is the mean of the two middle values', () => {
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([7]), 7);
  });
});

describe('compare: rules', () => {
  const rules = (text: string) => {
    const r = parseCompareRules(text);
    assert.deepEqual(r.problems, []);
    return r.rules;
  };
  const header = 'apiVersion: probelab.dev/v1alpha1\nkind: CompareRules\n';

  it('a rule replaces the default of its metric; durations are read as ms', () => {
    const r = rules(
      `${header}metrics:\n  latencyP95: { relative: 0.3, absolute: 10ms }\n  restarts: { absolute: 1 }\n`,
    );
    assert.deepEqual(r, {
      metrics: { latencyP95: { relative: 0.3, absolute: 10 }, restarts: { absolute: 1 } },
    });
    const base = fixture('startup-probe');
    const worse = setRestarts(setP95(fixture('startup-probe'), 'liveness-only', 2500), 'with-startup', 1);
    assert.equal(compareRuns([base], [worse]).verdict, 'regression');
    const c = compareRuns([base], [worse], r);
    assert.equal(metricOf(c, 'liveness-only', 'latencyP95').verdict, 'within tolerance');
    assert.equal(metricOf(c, 'with-startup', 'restarts').verdict, 'within tolerance');
    assert.equal(
      c.headline,
      'REGRESSION — 1 metric got worse beyond the tolerance (with-startup: restarts: liveness)',
    );
    assert.equal(metricOf(c, 'liveness-only', 'latencyP95').rule.source, 'rules file');
    assert.equal(metricOf(c, 'liveness-only', 'latencyP95').rule.text, 'Δ > 30% and > 10 ms');
    assert.equal(metricOf(c, 'with-startup', 'restartsLiveness').verdict, 'regression'); // still its default
  });

  it('ignore: true leaves a metric out of the comparison and the ranking', () => {
    const r = rules(
      `${header}metrics:\n  restartsLiveness: { ignore: true }\n  restarts: { ignore: true }\n`,
    );
    const c = compareRuns(
      [fixture('startup-probe')],
      [setRestarts(fixture('startup-probe'), 'with-startup', 3)],
      r,
    );
    assert.equal(c.verdict, 'within tolerance');
    assert.deepEqual(c.method.ignored, ['restarts', 'restartsLiveness']);
    assert.ok(c.variants.every((v) => v.metrics.every((m) => m.metric !== 'restarts')));
    const ranking = rankVariants(fixture('startup-probe'), r);
    assert.ok(!ranking.criteria.some((x) => x.metric === 'restarts'));
    assert.equal(ranking.ranking[1]?.decidedBy, 'probableFalseKills');
  });

  it('alpha changes the level of the interval', () => {
    const r = rules(`${header}alpha: 0.1\n`);
    const runs = [100, 101, 102].map((v) => setP95(fixture('autoscaling-steps'), 'web', v));
    const m = metricOf(compareRuns(runs, runs, r), 'web', 'latencyP95');
    assert.equal(m.interval?.level, 0.9);
  });

  it('every problem of a rules file at once, with its line, what is wrong and what is allowed', () => {
    const text = readFileSync(join(COMPARE_FIXTURES, 'bad-rules.yaml'), 'utf8');
    const { rules: parsed, problems } = parseCompareRules(text);
    assert.equal(parsed, undefined);
    assert.deepEqual(
      problems.map((p) => formatProblem('bad-rules.yaml', p)),
      [
        'bad-rules.yaml:1 apiVersion: unsupported "probelab.dev/v1", allowed: probelab.dev/v1alpha1',
        'bad-rules.yaml:3 alpha: must be ≤ 0.5, got 2',
        'bad-rules.yaml:4 colour: unknown key "colour", allowed: apiVersion, kind, alpha, metrics',
        'bad-rules.yaml:7 metrics.latencyP95.absolute: must be milliseconds (a number ≥ 0) or a duration like 30s, 1m30s, 500ms or 1.5s, got "fast"',
        'bad-rules.yaml:8 metrics.latencyP95.relative: must be ≥ 0, got -0.1',
        'bad-rules.yaml:9 metrics.restarts: needs absolute (in count), relative (a fraction of the base value, 0.2 = 20%) or both, or ignore: true',
        'bad-rules.yaml:11 metrics.errorRate.absolute: must be a number, got "0.5%"',
        'bad-rules.yaml:12 metrics.errorRate.tolerance: unknown key "tolerance", allowed: absolute, relative, ignore',
        'bad-rules.yaml:13 metrics.latencyP90: unknown key "latencyP90", allowed metrics: errorRate, latencyP95, latencyP99, availability, restarts, restartsLiveness, restartsOom, restartsError, restartsChaos, restartsEviction, restartsUnknown, probableFalseKills, scaleUpLatency, timeToReadyP99, podsNeverReady, errorRateDuringChaos, errorRateDuringRollout, droppedIterations',
      ],
    );
  });

  it('invalid YAML and a missing kind are reported with their line', () => {
    assert.deepEqual(
      parseCompareRules('apiVersion: probelab.dev/v1alpha1\nmetrics: [\n').problems.map((p) => p.line),
      [3],
    );
    assert.deepEqual(
      parseCompareRules('apiVersion: probelab.dev/v1alpha1\n').problems.map((p) =>
        formatProblem('r.yaml', p),
      ),
      ['r.yaml:1 kind: is required, allowed: CompareRules'],
    );
  });
});

describe('compare: rankVariants', () => {
  /** multi: a run with one variant per spec, each a copy of autoscaling-steps' web with its figures. */
  function multi(
    specs: { name: string; restarts?: number; p95?: number; errorRate?: number; scaleUpMs?: number | null }[],
  ) {
    const run = fixture('autoscaling-steps');
    const s0 = series(run, 'web');
    const m0 = metrics(run, 'web');
    const r0 = run.restarts[0];
    assert.ok(r0);
    assert.ok(run.series && run.metrics);
    run.series.variants = [];
    run.metrics.variants = [];
    run.restarts = [];
    for (const spec of specs) {
      const s = structuredClone(s0);
      const m = structuredClone(m0);
      s.variant = spec.name;
      m.variant = spec.name;
      if (spec.p95 !== undefined && s.total.latencyMs) s.total.latencyMs.p95 = spec.p95;
      if (spec.errorRate !== undefined) s.total.errorRate = spec.errorRate;
      if (spec.restarts !== undefined) {
        m.restarts.total = spec.restarts;
        m.restarts.byCause.liveness = spec.restarts;
      }
      if (spec.scaleUpMs !== undefined && m.scaling.defined)
        m.scaling.scaleUp[1]!.scaleUpLatency =
          spec.scaleUpMs === null
            ? { ms: null, reason: 'new pods never ready' }
            : { ms: spec.scaleUpMs, source: 't' };
      run.series.variants.push(s);
      run.metrics.variants.push(m);
      run.restarts.push({ ...structuredClone(r0), variant: spec.name });
    }
    return run;
  }
  const order = (r: ReturnType<typeof rankVariants>) =>
    r.ranking.map((x) => [x.rank, x.variant, x.decidedBy]);

  it('the recorded startup-probe run: the startupProbe variant first, decided by restarts', () => {
    const r = rankVariants(fixture('startup-probe'));
    assert.deepEqual(order(r), [
      [1, 'with-startup', null],
      [2, 'liveness-only', 'restarts'],
    ]);
    assert.equal(r.ranking[1]?.reason, "restarts: 4 vs with-startup's 0, beyond the tolerance (any change)");
    assert.deepEqual(
      r.criteria.map((c) => c.metric),
      ['restarts', 'probableFalseKills', 'scaleUpLatency', 'errorRate', 'latencyP95'],
    );
  });

  it('lexicographic with the tolerance as tie band', () => {
    const r = rankVariants(
      multi([
        { name: 'slow', p95: 200 },
        { name: 'restarting', restarts: 1, p95: 50 },
        { name: 'fast', p95: 100 },
        { name: 'nearly-fast', p95: 110 }, // +10%: a tie with fast on p95
        { name: 'erroring', errorRate: 0.01, p95: 10 },
        { name: 'slow-scaler', scaleUpMs: 70_000 },
      ]),
    );
    assert.deepEqual(order(r), [
      [1, 'fast', null],
      [1, 'nearly-fast', null],
      [3, 'slow', 'latencyP95'],
      [4, 'erroring', 'errorRate'],
      [5, 'slow-scaler', 'scaleUpLatency'],
      [6, 'restarting', 'restarts'],
    ]);
    assert.match(r.ranking[0]?.reason ?? '', /^best; tied with nearly-fast/);
    assert.equal(
      r.ranking[2]?.reason,
      "p95 latency: 200.0 ms vs fast's 100.0 ms, beyond the tolerance (Δ > 20% and > 5 ms)",
    );
    assert.match(
      r.ranking[4]?.reason ?? '',
      /^worst scale-up latency: 70.0 s vs erroring's 44.9 s, beyond the tolerance \(Δ > 25% and > 10 s\)$/,
    );
  });

  it('a variant without a value on a criterion comes after those with one', () => {
    const r = rankVariants(
      multi([
        { name: 'never-ready', scaleUpMs: null, p95: 1 },
        { name: 'ok', p95: 500 },
      ]),
    );
    assert.deepEqual(order(r), [
      [1, 'ok', null],
      [2, 'never-ready', 'scaleUpLatency'],
    ]);
    assert.match(r.ranking[1]?.reason ?? '', /not measured \(step 1: new pods never ready\)/);
  });

  it('renders as a Markdown table, the deciding value in bold', () => {
    const md = renderRankingMarkdown(rankVariants(fixture('startup-probe')));
    assert.match(md, /^\| rank \| variant \| restarts \| probable false kills \|/);
    assert.match(md, /\| 2 \| liveness-only \| \*\*4\*\* \| 4 \|/);
  });
});

describe('compare: reports', () => {
  const worse = () => setRestarts(setP95(fixture('startup-probe'), 'liveness-only', 3000), 'with-startup', 2);

  it('compare.md: the verdict first, then per variant metric | base | candidate | delta | rule | verdict', () => {
    const md = renderCompareMarkdown(compareRuns([fixture('startup-probe')], [worse()]));
    const lines = md.split('\n');
    assert.equal(lines[0], '# Comparison — startup-probe');
    assert.match(
      lines[2] ?? '',
      /^\*\*❌ REGRESSION — 3 metrics got worse beyond the tolerance \(with-startup: restarts, restarts: liveness; liveness-only: p95 latency\)\*\*$/,
    );
    assert.ok(lines.includes('| metric | base | candidate | delta | rule | verdict |'));
    assert.ok(lines.includes('| restarts | 0 | 2 | +2 | any change | **regression** |'), md);
    assert.ok(
      lines.includes(
        '| p95 latency | 2.00 s | 3.00 s | +999.3 ms (+49.9%) | Δ > 20% and > 5 ms | **regression** |',
      ),
      md,
    );
    assert.match(md, /## Method\n\n- one run a side: each metric’s two values are compared directly/);
  });

  it('compare.md of repeats shows the runs and the interval', () => {
    const runs = (v: number[]) => v.map((x) => setP95(fixture('autoscaling-steps'), 'web', x));
    const md = renderCompareMarkdown(compareRuns(runs([100, 200, 120]), runs([150, 220, 160])));
    assert.match(md, /^\*\*⚠️ INCONCLUSIVE — 1 metric differs beyond the tolerance/m);
    assert.match(
      md,
      /\| p95 latency \| 120\.0 ms \(median of 3: 100\.0 ms, 200\.0 ms, 120\.0 ms\) \| 160\.0 ms \(median of 3: 150\.0 ms, 220\.0 ms, 160\.0 ms\) \| \+40\.0 ms \(\+33\.3%\) \| Δ > 20% and > 5 ms \| inconclusive \(95% CI -?[\d.]+ ms … \+[\d.]+ ms\) \|/,
    );
    assert.match(md, /- A side's value: median over the side’s runs/);
  });

  it('compare.json is the versioned comparison', () => {
    const c = compareRuns([fixture('startup-probe')], [worse()]);
    const json = JSON.parse(renderCompareJson(c)) as Comparison;
    assert.equal(json.version, 'probelab.dev/compare/v1alpha1');
    assert.deepEqual(json, JSON.parse(JSON.stringify(c)));
    assert.equal(json.verdict, 'regression');
    assert.equal(json.counts.regression, 3);
  });
});

describe('compare: extracted figures', () => {
  it('reads every metric of a recorded run from run.json', () => {
    const f = extractMetrics(fixture('autoscaling-steps'), 'web');
    assert.deepEqual(Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v.value])), {
      errorRate: 0,
      latencyP95: 129.034828,
      latencyP99: 228.820773,
      availability: 1,
      restarts: 0,
      restartsLiveness: 0,
      restartsOom: 0,
      restartsError: 0,
      restartsChaos: 0,
      restartsEviction: 0,
      restartsUnknown: 0,
      probableFalseKills: 0,
      scaleUpLatency: 44891,
      timeToReadyP99: 2251,
      podsNeverReady: 0,
      errorRateDuringChaos: null,
      errorRateDuringRollout: null,
      droppedIterations: 0,
    });
    assert.equal(f.errorRateDuringChaos.reason, 'no chaos window for this variant');
  });
});
