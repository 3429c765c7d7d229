/** `probelab plan <file>`: the steps a run would take, and whether this host can inject each fault. */
import { planRun, formatPlan } from '../../core/plan.ts';
import { gatherHostFacts } from '../../adapters/host.ts';
import { pathsFor } from '../../adapters/paths.ts';
import { EXIT, type IO } from '../io.ts';
import { NODE_PORTS, SAMPLE_IMAGE } from './defaults.ts';
import { readScenario } from './scenario-file.ts';

export interface PlanFlags {
  runId: string;
  hostCheck: boolean;
  output: 'text' | 'json';
}

export async function planCommand(file: string, flags: PlanFlags, io: IO): Promise<number> {
  const { model } = await readScenario(file, io);
  const paths = pathsFor(io.cwd, io.env);
  const facts = flags.hostCheck
    ? await gatherHostFacts({ cacheDir: paths.cache, binDir: paths.bin, ports: [] })
    : undefined;
  const plan = planRun(
    model,
    { runId: flags.runId, image: SAMPLE_IMAGE, nodePorts: NODE_PORTS, cluster: 'probelab' },
    facts,
  );
  io.stdout.write(
    flags.output === 'json'
      ? `${JSON.stringify(plan, null, 2)}\n`
      : formatPlan(plan, model.scenario.metadata.name),
  );
  return plan.invalidReasons.length > 0 ? EXIT.failed : EXIT.ok;
}
