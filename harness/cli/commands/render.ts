/** `probelab render <file>`: the manifests a run would apply, as multi-document YAML. */
import { stringify } from 'yaml';
import { renderManifests, type Rendered, type RenderOptions } from '../../core/render.ts';
import { EXIT, type IO } from '../io.ts';
import { readScenario } from './scenario-file.ts';

export interface RenderFlags {
  runId: string;
  image: string;
  nodePorts: readonly number[];
  output: 'yaml' | 'json';
}

export async function renderCommand(file: string, flags: RenderFlags, io: IO): Promise<number> {
  const { model } = await readScenario(file, io);
  const options: RenderOptions = { runId: flags.runId, image: flags.image, nodePorts: flags.nodePorts };
  const rendered = renderManifests(model, options);
  io.stdout.write(
    flags.output === 'json'
      ? `${JSON.stringify(rendered, null, 2)}\n`
      : renderedToYaml(rendered, model.scenario.metadata.name, flags.runId),
  );
  return EXIT.ok;
}

/** renderedToYaml prints the objects applied before load, then the timeline with its offsets as comments. */
export function renderedToYaml(rendered: Rendered, scenario: string, runId: string): string {
  const docs = [
    `# probelab render: scenario ${scenario}, run id ${runId}, namespace ${rendered.namespace}\n`,
  ];
  for (const object of rendered.objects)
    docs.push(stringify(object, { lineWidth: 0, aliasDuplicateObjects: false }));
  for (const action of rendered.timeline) {
    const header = `# timeline, at ${action.at}: ${action.description}\n`;
    if (action.objects.length === 0) docs.push(header);
    for (const object of action.objects)
      docs.push(header + stringify(object, { lineWidth: 0, aliasDuplicateObjects: false }));
  }
  return docs.join('---\n');
}
