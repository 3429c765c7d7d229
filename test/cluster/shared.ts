/**
 * The one cluster every cluster test file uses, brought up once per mocha process through the same
 * library `probelab cluster up` uses. When no container engine can be had (not root and none running)
 * the suites are skipped with the reason — except under CI=true, where that is a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineInfo } from '../../harness/adapters/docker.ts';
import { pathsFor } from '../../harness/adapters/paths.ts';
import { clusterUp, type ClusterHandle } from '../../harness/runtime/cluster.ts';
import type { StepContext } from '../../harness/runtime/steps.ts';

export const root = join(import.meta.dirname, '..', '..');
export const CLUSTER = process.env.PROBELAB_TEST_CLUSTER ?? 'probelab';
export const ctx: StepContext = { signal: new AbortController().signal, note: () => {} };

let shared: Promise<ClusterHandle> | undefined;

/** sharedCluster returns the test cluster, or undefined when the suite must be skipped. */
export async function sharedCluster(): Promise<ClusterHandle | undefined> {
  if (!(await engineInfo()) && process.getuid?.() !== 0) {
    if (process.env.CI === 'true')
      throw new Error('CI=true but no container engine answers and this is not root, so none can be started');
    return undefined;
  }
  shared ??= (async () => {
    const paths = pathsFor(root, process.env);
    mkdirSync(paths.logs, { recursive: true });
    const log = createWriteStream(join(paths.logs, `cluster-test-${Date.now().toString(36)}.log`));
    return clusterUp(
      { paths, out: process.stderr, signal: ctx.signal, log: { write: (t) => void log.write(t) } },
      {
        name: CLUSTER,
        config: join(root, 'kind-config.yaml'),
        images: (process.env.PROBELAB_IMAGES as 'local' | 'upstream') ?? 'local',
        reuse: true,
        keepOnFailure: false,
      },
    );
  })();
  return shared;
}

export interface CliRun {
  child: ChildProcess;
  /** out collects the command's output as it comes. */
  out: { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

/** probelab starts the CLI as a user runs it (node harness/cli/main.ts …) in the checkout. */
export function probelab(args: string[]): CliRun {
  const child = spawn(process.execPath, ['harness/cli/main.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (d: Buffer) => (out.stdout += d));
  child.stderr?.on('data', (d: Buffer) => (out.stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out, exited };
}

/** writeScenario puts scenario text in a file of its own, for the CLI. */
export function writeScenario(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'probelab-scenario-')), 'scenario.yaml');
  writeFileSync(file, text);
  return file;
}
