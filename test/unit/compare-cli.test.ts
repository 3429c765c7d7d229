/**
 * `probelab compare` and `probelab baseline promote` as functions: argv in, exit code, output and the
 * files written out. Runs are copies of test/fixtures/runs/*.run.json in temporary directories.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Comparison } from '../../harness/core/compare.ts';
import { runCli } from './builders.ts';
import type { RunReport } from '../../reports/render.ts';

const root = join(import.meta.dirname, '..', '..');
const FIXTURE = join(root, 'test', 'fixtures', 'runs', 'startup-probe.run.json');
const BAD_RULES = join(root, 'test', 'fixtures', 'compare', 'bad-rules.yaml');

const probelab = (args: string[], cwd: string) => runCli(args, cwd);

function recorded(): RunReport {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as RunReport;
}

/** runDir writes run.json files: one (a run directory) or several (a repeats directory 1/, 2/, …). */
function runDir(dir: string, ...reports: RunReport[]): string {
  mkdirSync(dir, { recursive: true });
  if (reports.length === 1) writeFileSync(join(dir, 'run.json'), JSON.stringify(reports[0]));
  else
    reports.forEach((r, i) => {
      mkdirSync(join(dir, String(i + 1)));
      writeFileSync(
        join(dir, String(i + 1), 'run.json'),
        JSON.stringify({ ...r, runId: `${r.runId}-${i + 1}` }),
      );
    });
  return dir;
}

/** withRestarts: the recorded run with `n` liveness restarts in its with-startup variant. */
function withRestarts(n: number): RunReport {
  const r = recorded();
  const m = r.metrics?.variants.find((v) => v.variant === 'with-startup');
  assert.ok(m);
  m.restarts.total = n;
  m.restarts.byCause.liveness = n;
  return r;
}

function withP95(ms: number): RunReport {
  const r = recorded();
  const l = r.series?.variants.find((v) => v.variant === 'liveness-only')?.total.latencyMs;
  assert.ok(l);
  l.p95 = ms;
  return r;
}

describe('probelab compare', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'probelab-compare-'));
  });

  const table: {
    name: string;
    base: () => RunReport[];
    candidate: () => RunReport[];
    flags?: string[];
    code: number;
    headline: RegExp;
  }[] = [
    {
      name: 'the same run on both sides: exit 0, within tolerance',
      base: () => [recorded()],
      candidate: () => [recorded()],
      code: 0,
      headline: /^WITHIN TOLERANCE — no metric got worse beyond its tolerance\n/,
    },
    {
      name: 'a candidate with more restarts: exit 1, regression',
      base: () => [recorded()],
      candidate: () => [withRestarts(2)],
      code: 1,
      headline:
        /^REGRESSION — 2 metrics got worse beyond the tolerance \(with-startup: restarts, restarts: liveness\)\n {2}✗ with-startup restarts: 0 → 2: worse beyond the tolerance \(any change\)\n/,
    },
    {
      name: 'a candidate with fewer restarts: exit 0, the improvement listed',
      base: () => [withRestarts(2)],
      candidate: () => [recorded()],
      code: 0,
      headline: /^WITHIN TOLERANCE — no metric got worse beyond its tolerance; 2 metrics improved/,
    },
    {
      name: 'repeats whose noise is larger than the difference: exit 0, inconclusive',
      base: () => [withP95(1000), withP95(3000), withP95(1200)],
      candidate: () => [withP95(1500), withP95(3200), withP95(1600)],
      code: 0,
      headline:
        /^INCONCLUSIVE — 1 metric differs beyond the tolerance but no more than the runs vary \(liveness-only: p95 latency\)/,
    },
    {
      name: 'the same, with --fail-on inconclusive: exit 1',
      base: () => [withP95(1000), withP95(3000), withP95(1200)],
      candidate: () => [withP95(1500), withP95(3200), withP95(1600)],
      flags: ['--fail-on', 'inconclusive'],
      code: 1,
      headline: /^INCONCLUSIVE/,
    },
    {
      name: 'repeats with a repeatable regression: exit 1',
      base: () => [withP95(1000), withP95(1010), withP95(1005)],
      candidate: () => [withP95(1500), withP95(1510), withP95(1490)],
      code: 1,
      headline: /^REGRESSION — 1 metric got worse beyond the tolerance \(liveness-only: p95 latency\)/,
    },
  ];
  for (const t of table)
    it(t.name, async () => {
      const base = runDir(join(tmp, 'base'), ...t.base());
      const candidate = runDir(join(tmp, 'candidate'), ...t.candidate());
      const r = await probelab(['compare', 'base', 'candidate', ...(t.flags ?? [])], tmp);
      assert.equal(r.code, t.code, r.stdout + r.stderr);
      assert.match(r.stdout, t.headline);
      assert.match(r.stdout, /report: candidate\/compare\.md, candidate\/compare\.json\n$/);
      const md = readFileSync(join(candidate, 'compare.md'), 'utf8');
      const json = JSON.parse(readFileSync(join(candidate, 'compare.json'), 'utf8')) as Comparison;
      assert.equal(json.version, 'probelab.dev/compare/v1alpha1');
      assert.equal(md.split('\n')[2]?.includes(json.headline), true);
      assert.equal(json.method.mode, t.base().length > 1 ? 'repeats' : 'single');
      assert.equal(existsSync(join(base, 'compare.md')), false, 'nothing written into the base');
    });

  it('-o json prints the comparison; --out chooses the directory; a run.json file is a run', async () => {
    runDir(join(tmp, 'a'), recorded());
    runDir(join(tmp, 'b'), withRestarts(1));
    const r = await probelab(['compare', 'a/run.json', 'b/run.json', '-o', 'json', '--out', 'reports'], tmp);
    assert.equal(r.code, 1, r.stderr);
    const c = JSON.parse(r.stdout) as Comparison;
    assert.equal(c.verdict, 'regression');
    assert.equal(c.base.label, 'a/run.json');
    assert.deepEqual(readdirSync(join(tmp, 'reports')).sort(), ['compare.json', 'compare.md']);
    assert.equal(r.stderr, 'wrote reports/compare.md, reports/compare.json\n');
  });

  it('--rules replaces a default tolerance', async () => {
    runDir(join(tmp, 'a'), recorded());
    runDir(join(tmp, 'b'), withRestarts(1));
    writeFileSync(
      join(tmp, 'rules.yaml'),
      'apiVersion: probelab.dev/v1alpha1\nkind: CompareRules\nmetrics:\n  restarts: { absolute: 1 }\n  restartsLiveness: { absolute: 1 }\n',
    );
    const r = await probelab(['compare', 'a', 'b', '--rules', 'rules.yaml'], tmp);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      readFileSync(join(tmp, 'b', 'compare.md'), 'utf8'),
      /\| restarts \| 0 \| 1 \| \+1 \| Δ > 1 \(rules file\) \| within tolerance \|/,
    );
  });

  it("the candidate run's scenario rules (compare: in its scenario, kept in run.json) apply without --rules; a rules file wins", async () => {
    runDir(join(tmp, 'a'), recorded());
    const loose = {
      ...withRestarts(1),
      compareRules: { metrics: { restarts: { absolute: 1 }, restartsLiveness: { absolute: 1 } } },
    };
    runDir(join(tmp, 'b'), loose as RunReport);
    const r = await probelab(['compare', 'a', 'b'], tmp);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    writeFileSync(
      join(tmp, 'strict.yaml'),
      'apiVersion: probelab.dev/v1alpha1\nkind: CompareRules\nmetrics:\n  restarts: { absolute: 0 }\n',
    );
    assert.equal((await probelab(['compare', 'a', 'b', '--rules', 'strict.yaml'], tmp)).code, 1);
  });

  const bad: { name: string; setup: () => string[]; code: number; stderr: RegExp }[] = [
    {
      name: 'a run directory that does not exist: exit 3, naming it and what to give',
      setup: () => ['compare', 'nope', runDir(join(tmp, 'b'), recorded())],
      code: 3,
      stderr: /^error: nope: no such run directory or file; give reports\/out\/<run id>, a repeats directory/,
    },
    {
      name: 'a directory without run.json: exit 3',
      setup: () => (mkdirSync(join(tmp, 'empty')), ['compare', 'empty', runDir(join(tmp, 'b'), recorded())]),
      code: 3,
      stderr: /^error: empty: no run.json here, in numbered repeat directories/,
    },
    {
      name: 'a run.json of another version: exit 3, naming the field, the value and what is allowed',
      setup: () => {
        mkdirSync(join(tmp, 'old'));
        writeFileSync(join(tmp, 'old', 'run.json'), JSON.stringify({ version: 'probelab.dev/run/v0' }));
        return ['compare', 'old', runDir(join(tmp, 'b'), recorded())];
      },
      code: 3,
      stderr:
        /^error: old\/run.json: version: "probelab.dev\/run\/v0" is not supported, allowed: probelab.dev\/run\/v1alpha1/,
    },
    {
      name: 'a rules file with problems: exit 3, every problem with its line',
      setup: () => [
        'compare',
        runDir(join(tmp, 'a'), recorded()),
        runDir(join(tmp, 'b'), recorded()),
        '--rules',
        BAD_RULES,
      ],
      code: 3,
      stderr:
        /bad-rules.yaml:1 apiVersion: unsupported[^]*bad-rules.yaml:13 metrics.latencyP90: unknown key[^]*error: .*bad-rules.yaml is not a valid rules file \(kind: CompareRules\): fix the 9 problems above/,
    },
    {
      name: 'runs of scenarios with no variant in common: exit 3',
      setup: () => {
        const other = recorded();
        other.scenario = 'other';
        for (const v of other.series?.variants ?? []) v.variant = `x-${v.variant}`;
        for (const v of other.metrics?.variants ?? []) v.variant = `x-${v.variant}`;
        for (const v of other.restarts) v.variant = `x-${v.variant}`;
        return ['compare', runDir(join(tmp, 'a'), recorded()), runDir(join(tmp, 'b'), other)];
      },
      code: 3,
      stderr:
        /^error: nothing to compare: no variant in common: base has with-startup, liveness-only, candidate has x-with-startup, x-liveness-only/,
    },
    {
      name: 'one run only: usage error, exit 2',
      setup: () => ['compare', runDir(join(tmp, 'a'), recorded())],
      code: 2,
      stderr: /^error: give two runs, base then candidate, got 1/,
    },
    {
      name: '--baseline with two runs: usage error, exit 2',
      setup: () => ['compare', '--baseline', 'x', 'a', 'b'],
      code: 2,
      stderr: /^error: with --baseline give exactly one candidate run, got 2/,
    },
  ];
  for (const t of bad)
    it(t.name, async () => {
      const r = await probelab(t.setup(), tmp);
      assert.equal(r.code, t.code, r.stdout + r.stderr);
      assert.match(r.stderr, t.stderr);
      assert.equal(r.stdout, '');
      assert.equal(existsSync(join(tmp, 'b', 'compare.md')), false, 'nothing written');
    });

  it('--help lists compare and baseline', async () => {
    const r = await probelab(['--help'], tmp);
    assert.match(r.stdout, /\bcompare\b/);
    assert.match(r.stdout, /\bbaseline\b/);
  });
});

describe('probelab baseline promote', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'probelab-baseline-'));
  });

  it('copies every repeat with a manifest; compare --baseline then judges a run against it', async () => {
    runDir(join(tmp, 'runs', 'good'), recorded(), recorded(), recorded());
    const p = await probelab(['baseline', 'promote', 'runs/good', 'baselines/startup'], tmp);
    assert.equal(p.code, 0, p.stderr);
    assert.match(
      p.stdout,
      /^promoted startup-probe run good \(3 runs\) to baselines\/startup; compare with: probelab compare --baseline baselines\/startup <run-dir>\n$/,
    );
    const dir = join(tmp, 'baselines', 'startup');
    assert.deepEqual(readdirSync(dir).sort(), [
      'baseline.json',
      'proof-startup-1-1.run.json',
      'proof-startup-1-2.run.json',
      'proof-startup-1-3.run.json',
    ]);
    const manifest = JSON.parse(readFileSync(join(dir, 'baseline.json'), 'utf8'));
    assert.equal(manifest.version, 'probelab.dev/baseline/v1alpha1');
    assert.equal(manifest.scenario, 'startup-probe');
    assert.equal(manifest.runId, 'good');
    assert.equal(manifest.source, 'runs/good');
    assert.ok(!Number.isNaN(Date.parse(manifest.promotedAt)));
    assert.deepEqual(
      manifest.runs.map((r: { file: string; outcome: string }) => [r.file, r.outcome]),
      [1, 2, 3].map((i) => [`proof-startup-1-${i}.run.json`, 'failed']),
    );
    assert.equal(
      readFileSync(join(dir, 'proof-startup-1-2.run.json'), 'utf8'),
      readFileSync(join(tmp, 'runs', 'good', '2', 'run.json'), 'utf8'),
      'copied byte for byte',
    );

    runDir(join(tmp, 'runs', 'same'), recorded());
    const ok = await probelab(['compare', '--baseline', 'baselines/startup', 'runs/same'], tmp);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const c = JSON.parse(readFileSync(join(tmp, 'runs', 'same', 'compare.json'), 'utf8')) as Comparison;
    assert.equal(c.method.mode, 'repeats');
    assert.equal(c.base.runs.length, 3);
    assert.match(c.base.label ?? '', /^baseline baselines\/startup \(run good, promoted \d{4}-/);

    runDir(join(tmp, 'runs', 'worse'), withRestarts(3));
    const worse = await probelab(['compare', '--baseline', 'baselines/startup', 'runs/worse'], tmp);
    assert.equal(worse.code, 1, worse.stdout + worse.stderr);
    assert.match(worse.stdout, /^REGRESSION/);
  });

  it('promoting again replaces the previous baseline and says so', async () => {
    runDir(join(tmp, 'r1'), recorded(), recorded());
    const second = recorded();
    second.runId = 'second';
    runDir(join(tmp, 'r2'), second);
    assert.equal((await probelab(['baseline', 'promote', 'r1', 'bl'], tmp)).code, 0);
    const p = await probelab(['baseline', 'promote', 'r2', 'bl'], tmp);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /, replacing run r1 \(promoted /);
    assert.deepEqual(readdirSync(join(tmp, 'bl')).sort(), ['baseline.json', 'second.run.json']);
  });

  it('refuses a non-empty directory that is not a baseline: exit 3, nothing touched', async () => {
    runDir(join(tmp, 'r1'), recorded());
    mkdirSync(join(tmp, 'docs'));
    writeFileSync(join(tmp, 'docs', 'notes.md'), 'mine');
    const p = await probelab(['baseline', 'promote', 'r1', 'docs'], tmp);
    assert.equal(p.code, 3);
    assert.equal(
      p.stderr,
      'error: docs is not empty and holds no baseline.json; give a new or empty directory, or a baseline directory promoted earlier\n',
    );
    assert.deepEqual(readdirSync(join(tmp, 'docs')), ['notes.md']);
  });

  it('a run directory that does not exist: exit 3', async () => {
    const p = await probelab(['baseline', 'promote', 'missing', 'bl'], tmp);
    assert.equal(p.code, 3);
    assert.match(p.stderr, /^error: missing: no such run directory or file/);
    assert.equal(existsSync(join(tmp, 'bl')), false);
  });
});
