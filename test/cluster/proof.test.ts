/**
 * The proofs of `probelab run` on the real cluster, each a scenario from scenarios/ run through the CLI as
 * a newcomer runs it from the README, judged from its run.json:
 *   1. startup: a liveness probe that kills a slow starter vs the same service with a startupProbe;
 *   2. shutdown: abrupt vs graceful SIGTERM handling through a rollout restart under steady load;
 *   3. autoscaling: three load steps on an HPA'd service, with reaction, provisioning and recovery per step
 *      beside the HPA model's floor.
 * (The fourth, SIGINT during chaos, is in run.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VariantMetrics } from '../../harness/core/metrics/index.ts';
import type { RunReport } from '../../reports/render.ts';
import { probelab, root, sharedCluster } from './shared.ts';

const reportOf = (runId: string) =>
  JSON.parse(readFileSync(join(root, 'reports', 'out', runId, 'run.json'), 'utf8')) as RunReport;

async function runProof(scenario: string): Promise<{ code: number | null; report: RunReport; out: string }> {
  const runId = `proof-${Date.now().toString(36)}`;
  const cli = probelab(['run', `scenarios/${scenario}.yaml`, '--run-id', runId]);
  const code = await cli.exited;
  return { code, report: reportOf(runId), out: cli.out.stdout + cli.out.stderr };
}

function variantOf(report: RunReport, name: string): VariantMetrics {
  const v = report.metrics?.variants.find((m) => m.variant === name);
  assert.ok(v, `no metrics for ${name}`);
  return v;
}

function checkOf(report: RunReport, variant: string, name: string) {
  const c = report.verdict.checks.find((x) => x.variant === variant && x.name === name);
  assert.ok(c, `no check ${name} for ${variant}: ${JSON.stringify(report.verdict.checks)}`);
  return c;
}

describe('proofs of probelab run (real cluster)', function () {
  this.timeout(20 * 60_000);

  before(async function () {
    if (!(await sharedCluster())) return this.skip();
  });

  it('startup: liveness alone kills the slow starter (restarts by liveness, check fails); a startupProbe does not', async () => {
    const { code, report, out } = await runProof('startup-probe');
    assert.equal(code, 1, out);
    assert.equal(report.verdict.outcome, 'failed', JSON.stringify(report.verdict.invalidReasons));
    const killed = variantOf(report, 'liveness-only');
    const spared = variantOf(report, 'with-startup');
    assert.ok(killed.restarts.byCause.liveness > 0, JSON.stringify(killed.restarts.byCause));
    assert.equal(killed.restarts.total, killed.restarts.byCause.liveness, 'every restart is a liveness kill');
    assert.ok(killed.restarts.restarts.every((r) => r.liveness?.probableFalseKill));
    assert.ok(killed.probeFailures.byType.liveness.failures > 0);
    assert.equal(spared.restarts.total, 0);
    assert.equal(spared.probeFailures.byType.liveness.failures, 0);
    assert.ok(spared.probeFailures.byType.startup.failures > 0, 'the startup probe held liveness back');
    assert.equal(checkOf(report, 'liveness-only', 'slos.restarts.byCause.liveness').status, 'fail');
    assert.equal(checkOf(report, 'with-startup', 'slos.restarts.byCause.liveness').status, 'pass');
    assert.deepEqual(
      report.notAvailable?.map((n) => n.name),
      ['liveness-only'],
    );
    // A multi-variant run's reports: report.html, summary.md with its charts and the ranking.
    const dir = join(root, 'reports', 'out', report.runId);
    assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<svg/);
    const summary = readFileSync(join(dir, 'summary.md'), 'utf8');
    assert.match(summary, /## Variant ranking\n\n[^\n]+\n[^\n]+\n\| 1 \| with-startup \|/);
    const charts = [...summary.matchAll(/!\[[^\]]*\]\((charts\/[^)]+)\)/g)].map((m) => m[1] as string);
    assert.ok(charts.length >= 2, summary);
    for (const chart of charts) assert.match(readFileSync(join(dir, chart), 'utf8'), /^<svg/);
  });

  it('shutdown: an abrupt exit drops requests in its rollout window, a graceful drain about none', async () => {
    const { code, report, out } = await runProof('rollout-shutdown');
    assert.equal(code, 1, out);
    const rolloutWindow = (name: string) => {
      const v = variantOf(report, name);
      assert.ok(v.availability.defined, `availability of ${name}`);
      const w = v.availability.windows.find((x) => x.kind === 'rollout');
      assert.ok(
        w,
        `no rollout window for ${name}: ${JSON.stringify(v.availability.windows.map((x) => x.label))}`,
      );
      return w;
    };
    const abrupt = rolloutWindow('abrupt');
    const graceful = rolloutWindow('graceful');
    assert.ok(abrupt.requests > 100 && graceful.requests > 100, 'both windows saw steady load');
    assert.ok(abrupt.errors.total > 0, `abrupt dropped nothing: ${JSON.stringify(abrupt)}`);
    assert.ok(
      graceful.errors.total <= 0.002 * graceful.requests,
      `graceful dropped ${graceful.errors.total} of ${graceful.requests}`,
    );
    assert.equal(checkOf(report, 'abrupt', 'slos.errorRate.duringRollout').status, 'fail');
    assert.equal(checkOf(report, 'graceful', 'slos.errorRate.duringRollout').status, 'pass');
  });

  it('autoscaling: every load step has a reaction, provisioning and recovery figure, consistent with the floor', async () => {
    const { code, report, out } = await runProof('autoscaling-steps');
    assert.ok(code === 0 || code === 1, `a valid run (passed or failed): ${code}\n${out.slice(-3000)}`);
    assert.deepEqual(report.verdict.invalidReasons, []);
    const web = variantOf(report, 'web');
    assert.ok(web.scaling.defined, 'web has an HPA');
    const increases = web.scaling.scaleUp.filter((s) => s.step > 0);
    assert.equal(increases.length, 3, 'three load steps up');
    // The desired/current replicas over the run (seconds after load start), for a failure message that
    // shows whether the scenario's sizing or the HPA misbehaved.
    const trajectory = web.scaling.desired
      .map((d) => `${Math.round((d.atMs - (report.loadStartMs ?? 0)) / 1000)}s:${d.desired}/${d.current}`)
      .join(' ');
    for (const s of increases) {
      const at = `step ${s.step}: ${JSON.stringify({ outcome: s.outcome, reason: s.reason, reaction: s.reaction, recovery: s.sloRecovery })}; desired/current: ${trajectory}`;
      assert.equal(s.outcome, 'scaled', at);
      assert.ok(s.reaction.ms !== null && s.provisioning, at);
      assert.ok(s.provisioning.inEndpoints.ms !== null && s.scaleUpLatency.ms !== null, at);
      assert.ok(s.sloRecovery.ms !== null, at);
      const floor = s.floor;
      assert.ok(floor, at);
      // The floor is a lower-bound model that a large step can beat by up to one metric resolution; the
      // worst case adds a kubelet window and a sync period. A reaction outside both is not the HPA model.
      const resolution = floor.parameters.metricResolutionSeconds * 1000;
      assert.ok(
        s.reaction.ms >= floor.reactionFloorMs - resolution,
        `${at} below the floor ${floor.reactionFloorMs}`,
      );
      assert.ok(
        s.reaction.ms <= floor.reactionWorstMs + resolution,
        `${at} beyond the worst case ${floor.reactionWorstMs}`,
      );
      assert.ok((s.firstIncrease?.to ?? 0) > (s.desiredAtStart ?? Infinity), at);
    }
    assert.equal(checkOf(report, 'web', 'slos.scaleUp.maxLatency').status, 'pass');
  });
});
