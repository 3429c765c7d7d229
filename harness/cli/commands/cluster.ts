/**
 * `probelab cluster up|down|status` and `probelab images build`: the cluster lifecycle from the CLI.
 * Progress goes to stderr as step lines; the full output of builds and kind goes to a log file whose path
 * is printed, so a failure can be read in full.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathsFor } from '../../adapters/paths.ts';
import {
  clusterDown,
  clusterStatus,
  clusterUp,
  imageSteps,
  type Env,
  type ImageSource,
} from '../../runtime/cluster.ts';
import { runSteps } from '../../runtime/steps.ts';
import { cleanLeftovers } from '../../runtime/clean.ts';
import { kindAt } from '../../adapters/kind.ts';
import { connectKube } from '../../adapters/kube.ts';
import { EXIT, type IO } from '../io.ts';

export const DEFAULT_CLUSTER = 'probelab';

async function withEnv<T>(io: IO, name: string, body: (env: Env) => Promise<T>): Promise<T> {
  const paths = pathsFor(io.cwd, io.env);
  await mkdir(paths.logs, { recursive: true });
  const logPath = join(paths.logs, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const stream = createWriteStream(logPath);
  io.stderr.write(`log: ${logPath}\n`);
  try {
    return await body({
      paths,
      out: io.stderr,
      signal: io.signal,
      log: { write: (text) => void stream.write(text) },
    });
  } finally {
    await new Promise((r) => stream.end(r));
  }
}

export interface UpFlags {
  name: string;
  config: string;
  images: ImageSource;
  fresh: boolean;
  keepOnFailure: boolean;
}

export async function clusterUpCommand(flags: UpFlags, io: IO): Promise<number> {
  return withEnv(io, 'cluster-up', async (env) => {
    const started = performance.now();
    const handle = await clusterUp(env, {
      name: flags.name,
      config: resolve(io.cwd, flags.config),
      images: flags.images,
      reuse: !flags.fresh,
      keepOnFailure: flags.keepOnFailure,
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    io.stdout.write(
      `cluster ${handle.name} is up (${handle.created ? 'created' : 'reused'} in ${seconds}s)\n`,
    );
    io.stdout.write(`kubeconfig: ${handle.kubeconfig}\n`);
    io.stdout.write(`sample image: ${handle.sampleImage}\n`);
    io.stdout.write(`remove it with: npm run probelab -- cluster down --name ${handle.name}\n`);
    return EXIT.ok;
  });
}

export async function clusterDownCommand(name: string, io: IO): Promise<number> {
  return withEnv(io, 'cluster-down', async (env) => {
    io.stdout.write(`${await clusterDown(env, name)}\n`);
    return EXIT.ok;
  });
}

export async function clusterStatusCommand(name: string, output: 'text' | 'json', io: IO): Promise<number> {
  const paths = pathsFor(io.cwd, io.env);
  const status = await clusterStatus(
    { paths, out: io.stderr, signal: io.signal, log: { write: () => {} } },
    name,
  );
  if (output === 'json') {
    io.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  } else if (status.nodes.length === 0) {
    io.stdout.write(`no cluster named ${name}\n`);
  } else {
    io.stdout.write(
      `cluster ${name}: ${status.nodes.map((n) => `${n.container} (${n.state})`).join(', ')}\n`,
    );
    if (status.api) {
      for (const node of status.api.nodes)
        io.stdout.write(`  node ${node.name}: ${node.ready ? 'Ready' : 'NotReady'} ${node.version}\n`);
      io.stdout.write(`  resource metrics: ${status.api.metrics ? 'served' : 'not served'}\n`);
    }
    if (status.error) io.stdout.write(`  API not reachable: ${status.error}\n`);
  }
  return status.nodes.length > 0 ? EXIT.ok : EXIT.failed;
}

export async function imagesBuildCommand(images: ImageSource, io: IO): Promise<number> {
  return withEnv(io, 'images-build', async (env) => {
    const built = {};
    await runSteps(imageSteps(env, images, built), env.out, env.signal);
    io.stdout.write(`${JSON.stringify(built, null, 2)}\n`);
    return EXIT.ok;
  });
}

export interface CleanFlags {
  name: string;
  runId?: string;
  dryRun: boolean;
}

/** `probelab clean`: remove what runs left in the kind cluster, found by probelab's labels. */
export async function cleanCommand(flags: CleanFlags, io: IO): Promise<number> {
  const paths = pathsFor(io.cwd, io.env);
  const kubeconfig = paths.kubeconfig(flags.name);
  await kindAt(join(paths.bin, 'kind')).writeKubeconfig(flags.name, kubeconfig, io.signal);
  const removed = await cleanLeftovers(
    connectKube(kubeconfig),
    { dryRun: flags.dryRun, ...(flags.runId ? { runId: flags.runId } : {}) },
    {
      signal: io.signal,
      note: (text) => io.stderr.write(`    ${text}\n`),
    },
  );
  const verb = flags.dryRun ? 'would remove' : 'removed';
  io.stdout.write(
    removed.length ? `${verb} ${removed.length} object(s): ${removed.join(', ')}\n` : 'nothing to clean\n',
  );
  return EXIT.ok;
}

export interface FaultFlags {
  name: string;
  entry: number;
  runId: string;
  hold?: number;
  keep: boolean;
  images: ImageSource;
}

/**
 * `probelab fault <file> --entry <n>`: try one chaos entry of a scenario on the cluster (brought up or
 * reused first). Exit 0 when it was injected, recovered and nothing remains; 1 when it could not be
 * injected here or left something behind (each reason printed); 130/143 when interrupted (the fault is
 * removed all the same, and the leftover check still runs and prints).
 */
export async function faultCommand(file: string, flags: FaultFlags, io: IO): Promise<number> {
  const { readScenario } = await import('./scenario-file.ts');
  const { tryFault, faultVerdict, chaosEntriesOf } = await import('../../runtime/fault.ts');
  const { NODE_PORTS } = await import('./defaults.ts');
  const { model } = await readScenario(file, io);
  const entry = model.scenario.timeline[flags.entry];
  if (!entry || !('mode' in entry)) {
    io.stderr.write(
      `--entry ${flags.entry}: not a chaos entry of ${file}; chaos entries: ${chaosEntriesOf(model)}\n`,
    );
    return EXIT.usage;
  }
  return withEnv(io, 'fault', async (env) => {
    const handle = await clusterUp(env, {
      name: flags.name,
      config: resolve(io.cwd, 'kind-config.yaml'),
      images: flags.images,
      reuse: true,
      keepOnFailure: false,
    });
    const outcome = await tryFault(
      handle.kube,
      model,
      {
        runId: flags.runId,
        entry: flags.entry,
        image: handle.sampleImage,
        nodePorts: NODE_PORTS,
        keep: flags.keep,
        ...(flags.hold !== undefined ? { holdMs: flags.hold } : {}),
      },
      io.stderr,
      io.signal,
    );
    const verdict = faultVerdict(outcome);
    io.stdout.write(
      `${outcome.interrupted ? 'interrupted; ' : ''}${outcome.action}: ${verdict.ok ? 'injected, recovered, nothing left behind' : 'FAILED'}\n`,
    );
    for (const reason of verdict.reasons) io.stdout.write(`  - ${reason}\n`);
    io.stdout.write(`leftover chaos resources of run ${flags.runId}: ${outcome.leftovers.length}\n`);
    if (outcome.gaugesBefore && outcome.gaugesAfter)
      io.stdout.write(
        `network rules in its pods (chaos-daemon gauges): before ${JSON.stringify(outcome.gaugesBefore)}, after ${JSON.stringify(outcome.gaugesAfter)}\n`,
      );
    return verdict.ok || outcome.interrupted ? EXIT.ok : EXIT.failed;
  });
}
