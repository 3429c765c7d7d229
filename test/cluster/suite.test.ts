/**
 * The nightly job on the real cluster: `probelab suite` over three scenarios, two of them with a stored
 * baseline — one run again with the same config (within tolerance), one with a deliberately worse config
 * (30 ms slower answers: a p95 regression) — and one whose SLO fails. The index lists all three and the
 * exit code is non-zero.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probelab, root, sharedCluster } from './shared.ts';

const scenario = (name: string, latency: string, slos: string) => `
apiVersion: probelab.dev/v1alpha1
kind: Scenario
metadata: { name: ${name} }
workloads:
  - name: web
    replicas: 1
    behaviour: { work: { latency: ${latency} } }
    resources: { requests: { cpu: 20m, memory: 16Mi } }
    probes:
      readiness: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
load:
  workload: web
  stages: [{ rps: 10, duration: 10s }]
slos: ${slos}
`;

describe('probelab suite (real cluster)', function () {
  this.timeout(20 * 60_000);

  before(async function () {
    if (!(await sharedCluster())) return this.skip();
  });

  it('runs three scenarios, compares with the baselines (same config: within tolerance; worse config: regression), writes the index, exits non-zero', async () => {
    const id = `st-${Date.now().toString(36)}`;
    const work = mkdtempSync(join(tmpdir(), 'probelab-suite-'));
    const baselineRuns = join(work, 'baseline-scenarios');
    const suiteDir = join(work, 'suite');
    const baselines = join(work, 'baselines');
    for (const d of [baselineRuns, suiteDir, baselines]) mkdirSync(d);
    const files = {
      same: scenario('suite-same', '0s', '{ errorRate: { max: 0.01 } }'),
      worseBefore: scenario('suite-worse', '0s', '{ errorRate: { max: 0.01 } }'),
      worseAfter: scenario('suite-worse', '30ms', '{ errorRate: { max: 0.01 } }'),
      failing: scenario('suite-failing', '20ms', '{ latency: { p95: 1ms } }'),
    };
    // The baselines: one run of each scenario's earlier config, promoted.
    for (const [name, text] of [
      ['suite-same', files.same],
      ['suite-worse', files.worseBefore],
    ] as const) {
      const file = join(baselineRuns, `${name}.yaml`);
      writeFileSync(file, text);
      const runId = `${id}-base-${name.replace('suite-', '')}`;
      const run = probelab(['run', file, '--run-id', runId, '--no-progress']);
      assert.equal(await run.exited, 0, run.out.stderr.slice(-2000));
      const promote = probelab([
        'baseline',
        'promote',
        join(root, 'reports', 'out', runId),
        join(baselines, name),
      ]);
      assert.equal(await promote.exited, 0, promote.out.stderr);
    }
    writeFileSync(join(suiteDir, 'a-same.yaml'), files.same);
    writeFileSync(join(suiteDir, 'b-worse.yaml'), files.worseAfter);
    writeFileSync(join(suiteDir, 'c-failing.yaml'), files.failing);

    const suite = probelab(['suite', suiteDir, '--suite-id', id, '--baselines', baselines, '--no-progress']);
    const code = await suite.exited;
    assert.equal(code, 1, `${suite.out.stdout}\n${suite.out.stderr.slice(-3000)}`);
    const index = readFileSync(join(root, 'reports', 'out', id, 'index.md'), 'utf8');
    assert.match(index, /\| suite-same \| a-same.yaml \| passed \| 0 \| within tolerance: /);
    assert.match(index, /\| suite-worse \| b-worse.yaml \| passed \| 0 \| regression: /);
    assert.match(index, /\| suite-failing \| c-failing.yaml \| failed \| 1 \| no baseline in /);
    assert.ok(existsSync(join(root, 'reports', 'out', id, 'index.html')));
    const worse = JSON.parse(
      readFileSync(join(root, 'reports', 'out', `${id}-2`, 'compare.json'), 'utf8'),
    ) as {
      variants: { variant: string; metrics: { metric: string; verdict: string }[] }[];
    };
    const p95 = worse.variants[0]?.metrics.find((m) => m.metric === 'latencyP95');
    assert.equal(p95?.verdict, 'regression', JSON.stringify(worse.variants[0]?.metrics));
    for (const n of [1, 2, 3])
      assert.ok(existsSync(join(root, 'reports', 'out', `${id}-${n}`, 'report.html')));
  });
});
