/**
 * `probelab run <file>`: one scenario end to end on the kind cluster, ending in reports/out/<run id>/
 * (run.json, summary.md, junit.xml, k6 files) and an exit code CI can act on (RUN_EXIT): 0 every check
 * passed and the run is valid; 1 an SLO failed; 2 the run is invalid (a fault not verified, something
 * left behind, a check that could not be evaluated); 3 a configuration or infrastructure error;
 * 130/143 interrupted (faults removed, partial reports written).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { pathsFor } from '../../adapters/paths.ts';
import { UserError } from '../../core/errors.ts';
import { exitCodeOf, RUN_EXIT } from '../../core/verdict.ts';
import { runScenario } from '../../runtime/run.ts';
import type { ImageSource } from '../../runtime/cluster.ts';
import type { IO } from '../io.ts';
import { formatPlan, planRun } from '../../core/plan.ts';
import { renderManifests } from '../../core/render.ts';
import { PREVIEW_RENDER_OPTIONS } from './defaults.ts';
import { renderedToYaml } from './render.ts';
import { readScenario } from './scenario-file.ts';
import { progressDisplay } from '../progress.ts';

export interface RunFlags {
  runId: string;
  name: string;
  images: ImageSource;
  retain: boolean;
  /** dryRun prints the plan and the manifests and stops before anything touches a cluster. */
  dryRun?: boolean;
  /** progress: show live progress (default true); output json: progress and the result as JSON lines on stdout. */
  progress?: boolean;
  output?: 'text' | 'json';
}

export async function runCommand(file: string, flags: RunFlags, io: IO): Promise<number> {
  let model;
  try {
    ({ model } = await readScenario(file, io));
  } catch (error) {
    if (error instanceof UserError) {
      io.stderr.write(`error: ${error.message}\n`);
      return RUN_EXIT.error;
    }
    throw error;
  }
  if (flags.dryRun) {
    const rendered = renderManifests(model, { ...PREVIEW_RENDER_OPTIONS, runId: flags.runId });
    const plan = planRun(model, { ...PREVIEW_RENDER_OPTIONS, runId: flags.runId, cluster: flags.name });
    io.stdout.write(formatPlan(plan, model.scenario.metadata.name));
    io.stdout.write(`\n# Manifests\n${renderedToYaml(rendered, model.scenario.metadata.name, flags.runId)}`);
    return RUN_EXIT.passed;
  }
  const paths = pathsFor(io.cwd, io.env);
  await mkdir(paths.logs, { recursive: true });
  const logPath = join(paths.logs, `run-${flags.runId}.log`);
  const log = createWriteStream(logPath);
  io.stderr.write(
    `run ${flags.runId} of ${model.scenario.metadata.name}; build and cluster log: ${logPath}\n`,
  );
  const json = flags.output === 'json';
  const display = progressDisplay(io, { progress: flags.progress ?? true, output: flags.output ?? 'text' });
  const repeats = model.scenario.repeat;
  const { existing } = model.scenario.cluster;
  const outcomes: { runId: string; outcome: string; summary: string }[] = [];
  let worst: number = RUN_EXIT.passed;
  try {
    for (let i = 1; i <= repeats; i++) {
      // One namespace, run id and report directory per repeat; the repeats share the cluster.
      const runId = repeats > 1 ? `${flags.runId}-${i}` : flags.runId;
      const outDir =
        repeats > 1
          ? resolve(io.cwd, 'reports', 'out', flags.runId, String(i))
          : resolve(io.cwd, 'reports', 'out', flags.runId);
      if (repeats > 1) io.stderr.write(`repeat ${i} of ${repeats}: run id ${runId}\n`);
      const result = await runScenario(
        { paths, out: display.out, signal: io.signal, log: { write: (t) => void log.write(t) } },
        model,
        {
          progress: display.onSnapshot,
          runId,
          retain: flags.retain,
          outDir,
          cluster: existing
            ? {
                existing: {
                  ...existing,
                  kubeconfig: resolve(io.cwd, existing.kubeconfig),
                  needsMetrics: model.deployments.some((d) => d.spec.hpa),
                  needsChaos: model.scenario.timeline.some((a) => 'mode' in a),
                },
              }
            : {
                name: model.scenario.cluster.kind?.name ?? flags.name,
                config: resolve(io.cwd, model.scenario.cluster.kind?.config ?? 'kind-config.yaml'),
                images: flags.images,
                reuse: (model.scenario.cluster.reuse ?? true) || i > 1,
                keepOnFailure: false,
              },
        },
      );
      display.done();
      const { verdict } = result;
      if (json)
        io.stdout.write(
          `${JSON.stringify({ type: 'result', runId, outcome: verdict.outcome, exitCode: exitCodeOf(verdict), checks: verdict.checks, invalidReasons: verdict.invalidReasons, files: result.files })}\n`,
        );
      else {
        io.stdout.write(`${verdict.outcome.toUpperCase()}: ${model.scenario.metadata.name} run ${runId}\n`);
        for (const c of verdict.checks.filter((c) => c.status !== 'pass'))
          io.stdout.write(`  ${c.status === 'fail' ? '✗' : '?'} ${c.variant} ${c.name}: ${c.reason}\n`);
        for (const r of verdict.invalidReasons) io.stdout.write(`  ! ${r}\n`);
        io.stdout.write(`summary: ${result.files.summary}\n`);
      }
      if (flags.retain)
        (json ? io.stderr : io.stdout).write(
          `retained namespace ${result.report.namespace}; remove it with: npm run probelab -- clean --run ${runId}\n`,
        );
      outcomes.push({ runId, outcome: verdict.outcome, summary: relative(io.cwd, result.files.summary) });
      worst = Math.max(worst, exitCodeOf(verdict));
      if (io.signal.aborted) {
        if (!result.report.leftovers.length) return RUN_EXIT.sigint;
        io.stderr.write(
          `interrupted, and the cleanup could not finish: ${result.report.leftovers.join('; ')}; remove what is left with \`npm run probelab -- clean --run ${runId}\`\n`,
        );
        return RUN_EXIT.abortedDirty;
      }
    }
    if (repeats > 1) {
      const index = resolve(io.cwd, 'reports', 'out', flags.runId, 'repeats.md');
      await writeFile(
        index,
        [
          `# ${model.scenario.metadata.name} — ${repeats} repeats of run ${flags.runId}`,
          '',
          '| repeat | run id | outcome | summary |',
          '| --- | --- | --- | --- |',
          ...outcomes.map((o, i) => `| ${i + 1} | ${o.runId} | ${o.outcome} | ${o.summary} |`),
          '',
        ].join('\n'),
      );
      (json ? io.stderr : io.stdout).write(`repeats: ${relative(io.cwd, index)}; worst exit code ${worst}\n`);
    }
    return worst;
  } catch (error) {
    display.done();
    if (io.signal.aborted) return RUN_EXIT.sigint;
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return RUN_EXIT.error;
  } finally {
    await new Promise((r) => log.end(r));
  }
}
