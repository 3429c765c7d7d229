/**
 * `probelab run` on the real cluster, through the CLI as a user runs it: a short scenario with a pod kill
 * ends in reports and an exit code; SIGINT in the middle of a partition ends with exit 130, the fault
 * removed, and a partial run.json.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kube } from '../../harness/adapters/kube.ts';
import { namespaceFor } from '../../harness/core/render.ts';
import { listChaos } from '../../harness/runtime/chaos-mesh.ts';
import { waitFor } from '../../harness/runtime/cluster.ts';
import type { RunReport } from '../../reports/render.ts';
import { CLUSTER, ctx, probelab, root, sharedCluster, writeScenario } from './shared.ts';

const scenario = (timeline: string, stages: string, slos: string) => `
apiVersion: probelab.dev/v1alpha1
kind: Scenario
metadata: { name: run-test }
workloads:
  - name: db
    replicas: 1
    probes:
      readiness: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
  - name: web
    replicas: 2
    behaviour: { dependency: db, dependencyTimeout: 300ms }
    resources: { requests: { cpu: 50m, memory: 16Mi } }
    probes:
      readiness: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
load:
  workload: web
  stages: ${stages}
  requests: [{ path: /dependency }]
timeline: ${timeline}
slos: ${slos}
`;

const reportOf = (runId: string) =>
  JSON.parse(readFileSync(join(root, 'reports', 'out', runId, 'run.json'), 'utf8')) as RunReport;

describe('probelab run (real)', function () {
  this.timeout(20 * 60_000);
  let kube: Kube;

  before(async function () {
    const cluster = await sharedCluster();
    if (!cluster) return this.skip();
    kube = cluster.kube;
  });

  it('runs a scenario with a pod kill to a valid verdict, with reports and exit code 0', async () => {
    const runId = `rt-${Date.now().toString(36)}`;
    const file = writeScenario(
      scenario(
        '[{ at: 6s, action: pod-kill, target: web, mode: one }]',
        '[{ rps: 10, duration: 8s }, { rps: 20, duration: 8s }]',
        '{ errorRate: { max: 0.5, duringChaos: 1 }, latency: { p95: 2s } }',
      ),
    );
    const run = probelab(['run', file, '--run-id', runId, '--name', CLUSTER]);
    const code = await run.exited;
    assert.equal(code, 0, `exit code; stdout: ${run.out.stdout}\nstderr: ${run.out.stderr.slice(-3000)}`);
    const report = reportOf(runId);
    assert.equal(report.verdict.outcome, 'passed');
    assert.deepEqual(
      report.faults.map((f) => [f.name, f.state, f.forced]),
      [['t0-pod-kill-web', 'injected', false]],
    );
    assert.equal(report.chaosWindows.length, 1);
    const fired = report.timeline[0];
    assert.ok(fired && report.loadStartMs, 'the kill was fired on the run clock');
    const offset = fired.firedAtMs - report.loadStartMs;
    assert.ok(offset >= 6_000 && offset < 7_000, `fired ${offset} ms after load start, planned 6000`);
    const web = report.series?.variants.find((v) => v.variant === 'web');
    assert.deepEqual(
      web?.steps.map((s) => s.rps),
      [10, 20],
    );
    for (const s of web?.steps ?? [])
      assert.ok(Math.abs(s.achievedRps - s.rps) <= s.rps * 0.05, `step ${s.step}: ${s.achievedRps} rps`);
    assert.deepEqual(
      report.verdict.checks.map((c) => [c.name, c.status]),
      [
        ['slos.errorRate.max', 'pass'],
        ['slos.errorRate.duringChaos', 'pass'],
        ['slos.latency.p95', 'pass'],
      ],
    );
    for (const f of [
      'summary.md',
      'junit.xml',
      'report.html',
      'observations.ndjson',
      'events.json',
      'k6-points.ndjson',
      'k6-summary.json',
    ])
      assert.ok(existsSync(join(root, 'reports', 'out', runId, f)), f);
    assert.deepEqual(await listChaos(kube, runId), []);
  });

  it('runs against an existing cluster reached only through its kubeconfig (the kind cluster, as if external)', async () => {
    const runId = `rx-${Date.now().toString(36)}`;
    const cluster = await sharedCluster();
    const text = scenario(
      '[{ at: 5s, action: pod-kill, target: web, mode: one }]',
      '[{ rps: 10, duration: 15s }]',
      '{ errorRate: { max: 0.5 }, restarts: { byCause: { liveness: 0 } } }',
    ).replace(
      'metadata: { name: run-test }',
      `metadata: { name: run-test }
cluster:
  existing: { kubeconfig: ${JSON.stringify(cluster?.kubeconfig)}, context: kind-${CLUSTER}, image: ${JSON.stringify(cluster?.sampleImage)} }`,
    );
    const run = probelab(['run', writeScenario(text), '--run-id', runId]);
    const code = await run.exited;
    assert.equal(code, 0, `exit code; stdout: ${run.out.stdout}\nstderr: ${run.out.stderr.slice(-3000)}`);
    // Nothing of kind or the engine was touched: only the existing-cluster steps ran.
    assert.match(run.out.stderr, /✓ Connect to the cluster .*context kind-/);
    assert.match(run.out.stderr, /✓ Check the add-ons the scenario needs .*Chaos Mesh/);
    assert.doesNotMatch(run.out.stderr, /Create or reuse cluster|container engine|Load the images/);
    const report = reportOf(runId);
    assert.equal(report.verdict.outcome, 'passed', JSON.stringify(report.verdict));
    assert.equal(report.faults[0]?.state, 'injected');
    // No kubeconfig content in what the run wrote.
    const kubeconfig = readFileSync(cluster?.kubeconfig as string, 'utf8');
    const secret = /client-key-data: (\S+)/.exec(kubeconfig)?.[1] as string;
    assert.ok(secret);
    for (const f of ['run.json', 'summary.md', 'observations.ndjson', 'events.json'])
      assert.ok(
        !readFileSync(join(root, 'reports', 'out', runId, f), 'utf8').includes(secret.slice(0, 40)),
        f,
      );
  });

  it('repeat: 2 runs the scenario twice, each in its own namespace and report directory, with an index', async () => {
    const runId = `rr-${Date.now().toString(36)}`;
    const text = `${scenario('[]', '[{ rps: 5, duration: 5s }]', '{ errorRate: { max: 0.5 } }')}repeat: 2\n`;
    const run = probelab(['run', writeScenario(text), '--run-id', runId, '--name', CLUSTER, '-o', 'json']);
    const code = await run.exited;
    assert.equal(code, 0, `stdout: ${run.out.stdout}\nstderr: ${run.out.stderr.slice(-3000)}`);
    // --output json: stdout is JSON lines only, live progress and one result per repeat.
    const lines = run.out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; runId?: string });
    assert.ok(lines.filter((l) => l.type === 'progress').length >= 6, 'progress about once a second');
    assert.deepEqual(
      lines.filter((l) => l.type === 'result').map((l) => l.runId),
      [`${runId}-1`, `${runId}-2`],
    );
    for (const n of [1, 2]) {
      const report = JSON.parse(
        readFileSync(join(root, 'reports', 'out', runId, String(n), 'run.json'), 'utf8'),
      ) as RunReport;
      assert.equal(report.runId, `${runId}-${n}`);
      assert.equal(report.namespace, namespaceFor(`${runId}-${n}`));
      assert.equal(report.verdict.outcome, 'passed');
    }
    const index = readFileSync(join(root, 'reports', 'out', runId, 'repeats.md'), 'utf8');
    assert.match(index, new RegExp(`\\| 2 \\| ${runId}-2 \\| passed \\|`));
  });

  it('SIGINT during a partition: exit 130, the fault removed, a partial run.json', async () => {
    const runId = `ri-${Date.now().toString(36)}`;
    const file = writeScenario(
      scenario(
        '[{ at: 3s, action: network-partition, target: web, from: db, mode: all, duration: 1m }]',
        '[{ rps: 10, duration: 2m }]',
        '{ errorRate: { max: 0.01 } }',
      ),
    );
    const run = probelab(['run', file, '--run-id', runId, '--name', CLUSTER]);
    try {
      await Promise.race([
        waitFor(
          ctx,
          300_000,
          async () => (/t0-network-partition-web: injected/.test(run.out.stderr) ? true : undefined),
          async () => `the partition was not injected: ${run.out.stderr.slice(-2000)}`,
        ),
        run.exited.then((code) => {
          throw new Error(
            `probelab run exited with ${code} before the partition: ${run.out.stderr.slice(-2000)}`,
          );
        }),
      ]);
      assert.equal((await listChaos(kube, runId)).length, 1);
      run.child.kill('SIGINT');
      assert.equal(await run.exited, 130, run.out.stderr.slice(-2000));
      assert.deepEqual(await listChaos(kube, runId), [], 'no chaos resource remains');
      const report = reportOf(runId);
      assert.equal(report.verdict.outcome, 'aborted');
      assert.equal(report.faults[0]?.forced, false);
      assert.ok((report.series?.variants[0]?.total.requests ?? 0) > 0, 'partial load series kept');
      assert.deepEqual(report.leftovers, []);
    } finally {
      run.child.kill('SIGKILL');
      await kube.core.deleteNamespace({ name: namespaceFor(runId) }).catch(() => undefined);
    }
  });
});
