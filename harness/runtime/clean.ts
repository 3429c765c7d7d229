/**
 * Removing what runs left behind, found by label alone (no state kept elsewhere): first every Chaos Mesh
 * resource labelled app.kubernetes.io/managed-by=probelab (so Chaos Mesh recovers each fault before its
 * pods go; a resource whose recovery does not finish is forced and reported), then every namespace with
 * that label, or only those of one run id. Deleting a run's namespace deletes everything in it.
 * Contract: idempotent; waits until the namespaces are gone, so a second call finds nothing; nothing
 * without probelab's label is ever touched.
 */
import { LABELS, MANAGED_BY } from '../core/render.ts';
import type { Kube } from '../adapters/kube.ts';
import { waitFor } from './cluster.ts';
import { listChaos, removeChaos } from './chaos-mesh.ts';
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
  const chaos = await listChaos(kube, options.runId);
  const namespaces = (await kube.core.listNamespace({ labelSelector })).items.map(
    (ns) => ns.metadata?.name as string,
  );
  const found = [
    ...chaos.map((c) => `${c.kind} ${c.namespace}/${c.name}`),
    ...namespaces.map((n) => `namespace ${n}`),
  ];
  if (options.dryRun || found.length === 0) return found;
  for (const ref of chaos) {
    const removed = await removeChaos(kube, ref, { signal: ctx.signal });
    ctx.note(
      `removed ${ref.kind} ${ref.namespace}/${ref.name}${removed.forced ? ' (forced: Chaos Mesh did not finish its recovery; check the target pods)' : removed.neverInjected ? ' (never injected)' : ''}`,
    );
  }
  for (const name of namespaces) {
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
