/**
 * The one cluster every cluster test file uses, brought up once per mocha process through the same
 * library `probelab cluster up` uses. When no container engine can be had (not root and none running)
 * the suites are skipped with the reason — except under CI=true, where that is a failure.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
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
