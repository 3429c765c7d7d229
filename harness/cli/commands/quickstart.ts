/**
 * `probelab quickstart`: the main job of the README. Today it checks and renders the quickstart scenario
 * and reviews its probes; driving it on the cluster (`probelab run`) comes later.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { renderManifests } from '../../core/render.ts';
import { EXIT, type IO } from '../io.ts';
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
  io.stdout.write(
    '\nNext: `npm run probelab -- cluster up` brings up the kind cluster these manifests are for; driving the\n' +
      'scenario on it (`probelab run`: load, timeline, measurements, verdict) is not available yet.\n',
  );
  return EXIT.ok;
}
