/**
 * Removing what runs left behind, found by label alone (no state kept elsewhere): every namespace
 * labelled app.kubernetes.io/managed-by=probelab, or only those of one run id. Deleting a run's
 * namespace deletes everything in it. Contract: idempotent; waits until the namespaces are gone, so a
 * second call finds nothing; a namespace without probelab's label is never touched.
 */
import { LABELS, MANAGED_BY } from '../core/render.ts';
import type { Kube } from '../adapters/kube.ts';
import { waitFor } from './cluster.ts';
import type { StepContext } from './steps.ts';

export interface CleanOptions {
  /** runId limits the clean-up to one run. */
  runId?: string;
  dryRun: boolean;
}

export function leftoverSelector(runId?: string): string {
  return [`${LABELS.managedBy}=${MANAGED_BY}`, ...(runId ? [`${LABELS.runId}=${runId}`] : [])].join(',');
}

export async function cleanLeftovers(kube: Kube, options: CleanOptions, ctx: StepContext): Promise<string[]> {
  const labelSelector = leftoverSelector(options.runId);
  const found = (await kube.core.listNamespace({ labelSelector })).items.map(
    (ns) => ns.metadata?.name as string,
  );
  if (options.dryRun || found.length === 0) return found;
  for (const name of found) {
    ctx.note(`deleting namespace ${name}`);
    await kube.core.deleteNamespace({ name }).catch((error: unknown) => {
      if ((error as { code?: number }).code !== 404) throw error;
    });
  }
  await waitFor(
    ctx,
    180_000,
    async () => ((await kube.core.listNamespace({ labelSelector })).items.length === 0 ? true : undefined),
    async () =>
      `namespaces still terminating: ${(await kube.core.listNamespace({ labelSelector })).items.map((n) => n.metadata?.name).join(', ')}`,
  );
  return found;
}
