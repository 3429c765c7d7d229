/**
 * `probelab quickstart`: the main job of the README. It checks and renders the quickstart scenario,
 * reviews its probes, and runs it on the kind cluster (`probelab run`), ending in a report and its verdict.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { renderManifests } from '../../core/render.ts';
import type { IO } from '../io.ts';
import { PREVIEW_RENDER_OPTIONS } from './defaults.ts';
import { lintCommand } from './lint.ts';
import { renderedToYaml } from './render.ts';
import { readScenario } from './scenario-file.ts';

export const QUICKSTART_SCENARIO = 'scenarios/quickstart.yaml';

export async function quickstartCommand(io: IO): Promise<number> {
  const { model } = await readScenario(QUICKSTART_SCENARIO, io);
  io.stdout.write(
    `✓ ${QUICKSTART_SCENARIO} is valid: ${model.deployments.length} deployment(s), ${model.scenario.timeline.length} timeline action(s)\n`,
  );
  const rendered = renderManifests(model, PREVIEW_RENDER_OPTIONS);
  const outDir = join(io.cwd, 'reports', 'out', 'quickstart');
  await mkdir(outDir, { recursive: true });
  const manifests = join(outDir, 'manifests.yaml');
  await writeFile(
    manifests,
    renderedToYaml(rendered, model.scenario.metadata.name, PREVIEW_RENDER_OPTIONS.runId),
  );
  io.stdout.write(
    `✓ rendered ${rendered.objects.length} objects and ${rendered.timeline.length} timeline entries to ${relative(io.cwd, manifests)}\n`,
  );
  io.stdout.write('• probe and autoscaling review:\n');
  await lintCommand([QUICKSTART_SCENARIO], { failOn: 'error', output: 'text' }, io);
  io.stdout.write('• running it on the kind cluster (probelab run):\n');
  const { runCommand } = await import('./run-scenario.ts');
  return runCommand(
    QUICKSTART_SCENARIO,
    {
      runId: `quickstart-${Date.now().toString(36)}`,
      name: 'probelab',
      images: (io.env.PROBELAB_IMAGES as 'local' | 'upstream' | undefined) ?? 'local',
      retain: false,
    },
    io,
  );
}
