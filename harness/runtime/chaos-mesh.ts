/**
 * Chaos Mesh in a probelab cluster: installing it (CRDs from the build, our own manifest, certificates
 * made at install time), and the life of one fault — apply, wait until it is injected or failing, remove
 * it and wait for Chaos Mesh to recover it, force only as a last resort. Everything probelab creates
 * carries app.kubernetes.io/managed-by=probelab and is found again by that label.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifests } from '../config/manifests.ts';
import { generateChaosMeshCerts } from '../adapters/certs.ts';
import { PatchStrategy } from '@kubernetes/client-node';
import type { Kube } from '../adapters/kube.ts';
import {
  failureReason,
  judgeInjection,
  lastDaemonError,
  ruleGaugesOf,
  type ChaosStatus,
  type Injection,
  type RuleGauges,
} from '../core/chaos-status.ts';
import type { ChaosAction } from '../config/v1alpha1.ts';
import { LABELS, MANAGED_BY, type KubernetesObject } from '../core/render.ts';
import { UserError } from '../core/errors.ts';
import { waitFor } from './cluster.ts';
import { sleep, type StepContext } from './steps.ts';

export const CHAOS_NAMESPACE = 'chaos-mesh';
export const CHAOS_GROUP = 'chaos-mesh.org';
export const CHAOS_VERSION = 'v1alpha1';
/** The kinds probelab creates, with their resource names. */
export const CHAOS_KINDS = [
  { kind: 'PodChaos', plural: 'podchaos' },
  { kind: 'NetworkChaos', plural: 'networkchaos' },
  { kind: 'StressChaos', plural: 'stresschaos' },
] as const;

export interface ChaosRef {
  kind: string;
  plural: string;
  namespace: string;
  name: string;
}

export function refOf(object: KubernetesObject): ChaosRef {
  const kind = CHAOS_KINDS.find((k) => k.kind === object.kind);
  if (!kind) throw new Error(`internal: ${object.kind} is not a chaos kind probelab creates`);
  return {
    kind: kind.kind,
    plural: kind.plural,
    namespace: object.metadata?.namespace as string,
    name: object.metadata?.name as string,
  };
}

const describeRef = (ref: ChaosRef) => `${ref.kind} ${ref.namespace}/${ref.name}`;

// ---- install ---------------------------------------------------------------------------------------------

export interface InstallOptions {
  repo: string;
  /** crdsDir holds Chaos Mesh's CRD files, extracted from its module by clusters/images/chaos-mesh/build.sh. */
  crdsDir: string;
  /** version is CHAOS_MESH_VERSION; the manifest's image tags must carry it. */
  version: string;
  /**
   * imageIds: the engine's image ID of each locally built image. They go into the pod templates, so that
   * a rebuilt image (same tag, new content) rolls the pods out; without them the tag alone decides.
   */
  imageIds?: Record<string, string>;
}

export async function readChaosMeshManifest(repo: string): Promise<KubernetesObject[]> {
  const file = join(repo, 'clusters', 'addons', 'chaos-mesh', 'chaos-mesh.yaml');
  const { objects, problems } = parseManifests(await readFile(file, 'utf8'));
  if (problems.length) throw new Error(`internal: ${file} does not parse: ${problems[0]?.message}`);
  return objects.map((o) => o.object);
}

/** imagesOf lists the container images of the manifest's workloads. */
export function imagesOf(objects: readonly KubernetesObject[]): string[] {
  return objects.flatMap((o) => {
    const spec = (o as { spec?: { template?: { spec?: { containers?: { image: string }[] } } } }).spec;
    return (spec?.template?.spec?.containers ?? []).map((c) => c.image);
  });
}

function annotateImageIds(object: KubernetesObject, ids: Record<string, string>): void {
  const template = (
    object as {
      spec?: {
        template?: {
          metadata?: { annotations?: Record<string, string> };
          spec?: { containers?: { image: string }[] };
        };
      };
    }
  ).spec?.template;
  if (!template?.spec?.containers) return;
  const used = template.spec.containers.map((c) => ids[c.image]).filter(Boolean);
  if (used.length === 0) return;
  template.metadata ??= {};
  template.metadata.annotations = {
    ...template.metadata.annotations,
    'probelab.dev/image-ids': used.join(','),
  };
}

/**
 * Annotations on the chaos-mesh Namespace that let a reused cluster skip re-applying the CRDs (3 MB of YAML:
 * parsing and applying them cost about 0.7 s of CPU and 150 MB of the harness's memory per run):
 * the fingerprint of the CRD files last applied, and the resources they define.
 */
const CRDS_FINGERPRINT_ANNOTATION = 'probelab.dev/crds-fingerprint';
const CRDS_PLURALS_ANNOTATION = 'probelab.dev/crds-plurals';

/** crdFiles lists the CRD files of a build, sorted; an empty directory is a broken build. */
async function crdFiles(crdsDir: string): Promise<string[]> {
  const files = (await readdir(crdsDir)).filter((f) => f.endsWith('.yaml')).sort();
  if (files.length === 0)
    throw new Error(`no CRD files in ${crdsDir}; rebuild with clusters/images/chaos-mesh/build.sh`);
  return files;
}

/** crdsFingerprint is a sha256 over the CRD files' names and bytes (no parsing: that is what it saves). */
async function crdsFingerprint(crdsDir: string, files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files)
    hash
      .update(`${file}\0`)
      .update(await readFile(join(crdsDir, file)))
      .update('\0');
  return hash.digest('hex');
}

async function readCrds(crdsDir: string, files: readonly string[]): Promise<KubernetesObject[]> {
  const crds: KubernetesObject[] = [];
  for (const file of files) {
    const { objects, problems } = parseManifests(await readFile(join(crdsDir, file), 'utf8'));
    if (problems.length) throw new Error(`${crdsDir}/${file} does not parse: ${problems[0]?.message}`);
    crds.push(...objects.map((o) => o.object).filter((o) => o.kind === 'CustomResourceDefinition'));
  }
  return crds;
}

/**
 * installedCrds returns the resources the CRDs of this fingerprint define when the cluster serves them
 * already: the chaos-mesh Namespace carries the fingerprint, and discovery of chaos-mesh.org/v1alpha1 lists
 * every one of them (so a CRD deleted by hand since is noticed); undefined otherwise.
 */
async function installedCrds(kube: Kube, fingerprint: string): Promise<string[] | undefined> {
  const namespace = await kube.core.readNamespace({ name: CHAOS_NAMESPACE }).catch(() => undefined);
  const annotations = namespace?.metadata?.annotations ?? {};
  const plurals = (annotations[CRDS_PLURALS_ANNOTATION] ?? '').split(',').filter(Boolean);
  if (annotations[CRDS_FINGERPRINT_ANNOTATION] !== fingerprint || plurals.length === 0) return undefined;
  const served = await kube.custom
    .getAPIResources({ group: CHAOS_GROUP, version: CHAOS_VERSION })
    .then((list) => new Set(list.resources.map((r) => r.name)))
    .catch(() => new Set<string>());
  return plurals.every((p) => served.has(p)) ? plurals : undefined;
}

function withAnnotations(object: KubernetesObject, annotations: Record<string, string>): KubernetesObject {
  return {
    ...object,
    metadata: { ...object.metadata, annotations: { ...object.metadata?.annotations, ...annotations } },
  };
}

/**
 * installChaosMesh applies the CRDs (skipped when the cluster serves the same ones already), the
 * certificates (kept when they exist, so a re-install does not split controller and daemons across two
 * CAs), and the manifest; then waits until the controller and a daemon on every schedulable node are
 * ready. Idempotent.
 */
export async function installChaosMesh(
  kube: Kube,
  options: InstallOptions,
  ctx: StepContext,
): Promise<string> {
  const manifest = await readChaosMeshManifest(options.repo);
  const wrongTags = imagesOf(manifest).filter((image) => !image.endsWith(`:${options.version}`));
  if (wrongTags.length)
    throw new Error(
      `internal: clusters/addons/chaos-mesh/chaos-mesh.yaml uses ${wrongTags.join(', ')}, but CHAOS_MESH_VERSION is ${options.version}; make them equal`,
    );
  const files = await crdFiles(options.crdsDir);
  const fingerprint = await crdsFingerprint(options.crdsDir, files);
  const [namespace, ...rest] = manifest;
  let plurals = await installedCrds(kube, fingerprint);
  if (plurals) ctx.note(`${files.length} CRDs unchanged since they were applied`);
  else {
    const crds = await readCrds(options.crdsDir, files);
    await kube.apply(crds);
    ctx.note(`${crds.length} CRDs applied`);
    plurals = crds.flatMap(
      (c) => (c as { spec?: { names?: { plural?: string } } }).spec?.names?.plural ?? [],
    );
  }
  // Written only after every CRD was accepted, so a failed apply is retried next time; applied on every
  // install, since server-side apply removes the annotations this field manager no longer sends.
  await kube.apply([
    withAnnotations(namespace as KubernetesObject, {
      [CRDS_FINGERPRINT_ANNOTATION]: fingerprint,
      [CRDS_PLURALS_ANNOTATION]: plurals.join(','),
    }),
  ]);
  if (options.imageIds) for (const object of rest) annotateImageIds(object, options.imageIds);
  await ensureCertSecrets(kube, ctx);
  await kube.apply(rest);
  await waitFor(
    ctx,
    180_000,
    async () => {
      const deployment = await kube.apps.readNamespacedDeployment({
        name: 'chaos-controller-manager',
        namespace: CHAOS_NAMESPACE,
      });
      const daemons = await kube.apps.readNamespacedDaemonSet({
        name: 'chaos-daemon',
        namespace: CHAOS_NAMESPACE,
      });
      // Ready means the current spec rolled out everywhere, not that old pods still answer.
      const desired = daemons.status?.desiredNumberScheduled ?? 0;
      const deploymentCurrent =
        (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1) &&
        (deployment.status?.updatedReplicas ?? 0) >= 1 &&
        (deployment.status?.availableReplicas ?? 0) >= 1 &&
        (deployment.status?.replicas ?? 0) === (deployment.status?.updatedReplicas ?? 0);
      const daemonsCurrent =
        (daemons.status?.observedGeneration ?? 0) >= (daemons.metadata?.generation ?? 1) &&
        desired > 0 &&
        daemons.status?.updatedNumberScheduled === desired &&
        daemons.status?.numberAvailable === desired;
      return deploymentCurrent && daemonsCurrent ? `controller ready, ${desired} daemon(s) ready` : undefined;
    },
    async () => {
      const pods = await kube.core.listNamespacedPod({ namespace: CHAOS_NAMESPACE });
      return `Chaos Mesh not ready: ${pods.items
        .map(
          (p) =>
            `${p.metadata?.name} ${p.status?.phase}${p.status?.containerStatuses?.[0]?.state?.waiting ? ` (${p.status.containerStatuses[0].state.waiting.reason}: ${p.status.containerStatuses[0].state.waiting.message ?? ''})` : ''}`,
        )
        .join(', ')}`;
    },
  );
  return `Chaos Mesh ${options.version}: controller and daemons ready`;
}

async function ensureCertSecrets(kube: Kube, ctx: StepContext): Promise<void> {
  const names = ['chaos-mesh-webhook-certs', 'chaos-mesh-daemon-certs', 'chaos-mesh-daemon-client-certs'];
  const existing = await kube.core.listNamespacedSecret({ namespace: CHAOS_NAMESPACE });
  const have = new Set(existing.items.map((s) => s.metadata?.name));
  if (names.every((n) => have.has(n))) return;
  ctx.note('generating Chaos Mesh certificates');
  const certs = await generateChaosMeshCerts(ctx.signal);
  const secret = (name: string, data: Record<string, string>): KubernetesObject =>
    ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name,
        namespace: CHAOS_NAMESPACE,
        labels: { 'app.kubernetes.io/part-of': 'probelab-chaos' },
      },
      type: 'Opaque',
      stringData: data,
    }) as KubernetesObject;
  await kube.apply([
    secret('chaos-mesh-webhook-certs', { 'tls.crt': certs.webhook.cert, 'tls.key': certs.webhook.key }),
    secret('chaos-mesh-daemon-certs', {
      'ca.crt': certs.ca.cert,
      'tls.crt': certs.daemonServer.cert,
      'tls.key': certs.daemonServer.key,
    }),
    secret('chaos-mesh-daemon-client-certs', {
      'ca.crt': certs.ca.cert,
      'tls.crt': certs.controllerClient.cert,
      'tls.key': certs.controllerClient.key,
    }),
  ]);
}

// ---- one fault -------------------------------------------------------------------------------------------

export async function readChaos(
  kube: Kube,
  ref: ChaosRef,
): Promise<(KubernetesObject & { status?: ChaosStatus }) | undefined> {
  try {
    return (await kube.custom.getNamespacedCustomObject({
      group: CHAOS_GROUP,
      version: CHAOS_VERSION,
      namespace: ref.namespace,
      plural: ref.plural,
      name: ref.name,
    })) as KubernetesObject & { status?: ChaosStatus };
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

export interface InjectionOutcome {
  ref: ChaosRef;
  injection: Injection;
  /** appliedAt: when probelab's apply returned, host clock (Date.now(), 1 ms). */
  appliedAt: number;
  /** judgedAt: when the outcome was read, host clock (Date.now(), 1 ms). */
  judgedAt: number;
}

/**
 * injectChaos applies one chaos resource and waits until Chaos Mesh reports it injected, or failing
 * (a daemon error, checked for `failingForMs` so that a transient error is retried by Chaos Mesh), or
 * `timeoutMs` passes (then the last pending state is returned). It never throws for a fault that does not
 * take effect: that is an outcome, and the caller marks the run invalid with its reason.
 */
export async function injectChaos(
  kube: Kube,
  object: KubernetesObject,
  action: ChaosAction['action'],
  ctx: StepContext,
  opts: { timeoutMs?: number; failingForMs?: number } = {},
): Promise<InjectionOutcome> {
  const ref = refOf(object);
  await kube.apply([object]);
  const appliedAt = Date.now();
  const deadline = performance.now() + (opts.timeoutMs ?? 60_000);
  let failingSince: number | undefined;
  let injection: Injection = { state: 'pending', detail: 'not read yet' };
  for (;;) {
    const current = await readChaos(kube, ref);
    injection = judgeInjection(action, current?.status);
    if (injection.state === 'injected') break;
    if (injection.state === 'failing') {
      failingSince ??= performance.now();
      if (performance.now() - failingSince >= (opts.failingForMs ?? 6_000)) {
        injection = await withDaemonError(kube, action, injection);
        break;
      }
    } else failingSince = undefined;
    if (performance.now() > deadline) break;
    await sleep(1_000, ctx.signal);
  }
  return { ref, injection, appliedAt, judgedAt: Date.now() };
}

/**
 * withDaemonError replaces Chaos Mesh's generic failure ("unable to set tcs for pod …") by the daemon's
 * own error for the first failing target, read from the daemons' logs, and judges the reason again.
 */
async function withDaemonError(
  kube: Kube,
  action: ChaosAction['action'],
  injection: Extract<Injection, { state: 'failing' }>,
): Promise<Injection> {
  const target = /^([^/:\s]+\/[^/:\s]+)/.exec(injection.detail)?.[1];
  if (!target) return injection;
  const daemons = await kube.core.listNamespacedPod({
    namespace: CHAOS_NAMESPACE,
    labelSelector: 'app.kubernetes.io/component=chaos-daemon',
  });
  for (const pod of daemons.items) {
    const log = await kube.core
      .readNamespacedPodLog({
        name: pod.metadata?.name as string,
        namespace: CHAOS_NAMESPACE,
        sinceSeconds: 300,
        tailLines: 5000,
      })
      .catch(() => '');
    const error = lastDaemonError(String(log), target);
    if (error)
      return {
        ...injection,
        reason: failureReason(action, error),
        detail: `${target}: ${error.split('\n')[0]} (chaos-daemon ${pod.metadata?.name})`,
      };
  }
  return injection;
}

export interface RemovalOutcome {
  ref: ChaosRef;
  /**
   * forced: the fault had been injected, Chaos Mesh's recovery did not finish in time, and its finalizer
   * was removed: nothing proves the fault was undone, so the run is dirty.
   */
  forced: boolean;
  /**
   * neverInjected: no target was ever injected. Chaos Mesh keeps retrying the apply of such a fault and
   * never completes its finalizer, so the finalizer is removed (nothing was applied to undo) and the
   * fault's entries are dropped from the per-pod PodNetworkChaos objects, where they would otherwise
   * keep failing every later network fault on those pods.
   */
  neverInjected: boolean;
}

/**
 * removeChaos deletes a chaos resource and waits for Chaos Mesh's recovery finalizer to finish (the fault
 * undone in every target); only if that does not happen within `timeoutMs` are the finalizers removed,
 * and the outcome says `forced` so the run is reported dirty. A fault that was never injected is not
 * waited for (see RemovalOutcome.neverInjected). Idempotent: a missing resource is removed.
 */
export async function removeChaos(
  kube: Kube,
  ref: ChaosRef,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<RemovalOutcome> {
  const params = {
    group: CHAOS_GROUP,
    version: CHAOS_VERSION,
    namespace: ref.namespace,
    plural: ref.plural,
    name: ref.name,
  };
  const current = await readChaos(kube, ref);
  if (!current) return { ref, forced: false, neverInjected: false };
  const records = current.status?.experiment?.containerRecords ?? [];
  const neverInjected =
    records.length > 0 && records.every((r) => (r.injectedCount ?? 0) === 0 && r.phase !== 'Injected');
  try {
    await kube.custom.deleteNamespacedCustomObject(params);
  } catch (error) {
    if ((error as { code?: number }).code === 404) return { ref, forced: false, neverInjected };
    throw error;
  }
  const deadline = performance.now() + (neverInjected ? 5_000 : (opts.timeoutMs ?? 60_000));
  while (performance.now() < deadline) {
    if (!(await readChaos(kube, ref))) return { ref, forced: false, neverInjected };
    await sleep(1_000, opts.signal);
  }
  await kube.objects.patch(
    {
      apiVersion: `${CHAOS_GROUP}/${CHAOS_VERSION}`,
      kind: ref.kind,
      metadata: { name: ref.name, namespace: ref.namespace, finalizers: [] },
    },
    undefined,
    undefined,
    undefined,
    undefined,
    // A merge patch that empties the list; finalizers are not owned by probelab's field manager.
    PatchStrategy.MergePatch,
  );
  if (ref.kind === 'NetworkChaos') await dropPodNetworkChaosEntries(kube, ref);
  const forcedDeadline = performance.now() + 30_000;
  while (performance.now() < forcedDeadline) {
    if (!(await readChaos(kube, ref))) return { ref, forced: !neverInjected, neverInjected };
    await sleep(1_000, opts.signal);
  }
  throw new UserError(`${describeRef(ref)} is still present after its finalizers were removed`);
}

/**
 * dropPodNetworkChaosEntries removes a NetworkChaos's entries (source "<namespace>/<name>") from the
 * PodNetworkChaos objects Chaos Mesh keeps per pod; the controller then applies what remains.
 */
async function dropPodNetworkChaosEntries(kube: Kube, ref: ChaosRef): Promise<void> {
  const source = `${ref.namespace}/${ref.name}`;
  const list = (await kube.custom.listNamespacedCustomObject({
    group: CHAOS_GROUP,
    version: CHAOS_VERSION,
    namespace: ref.namespace,
    plural: 'podnetworkchaos',
  })) as { items?: (KubernetesObject & { spec?: Record<string, { source?: string }[] | undefined> })[] };
  for (const item of list.items ?? []) {
    const spec = item.spec ?? {};
    const kept: Record<string, { source?: string }[]> = {};
    let changed = false;
    for (const key of ['ipsets', 'iptables', 'tcs']) {
      const entries = spec[key] ?? [];
      kept[key] = entries.filter((e) => e.source !== source);
      changed ||= kept[key].length !== entries.length;
    }
    if (!changed) continue;
    await kube.objects.patch(
      {
        apiVersion: `${CHAOS_GROUP}/${CHAOS_VERSION}`,
        kind: 'PodNetworkChaos',
        metadata: { name: item.metadata?.name as string, namespace: ref.namespace },
        spec: kept,
      } as never,
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
  }
}

/** listChaos finds every chaos resource probelab created (optionally of one run), in every namespace. */
export async function listChaos(kube: Kube, runId?: string): Promise<ChaosRef[]> {
  const labelSelector = [
    `${LABELS.managedBy}=${MANAGED_BY}`,
    ...(runId ? [`${LABELS.runId}=${runId}`] : []),
  ].join(',');
  const found: ChaosRef[] = [];
  for (const { kind, plural } of CHAOS_KINDS) {
    let list: { items?: KubernetesObject[] };
    try {
      list = (await kube.custom.listClusterCustomObject({
        group: CHAOS_GROUP,
        version: CHAOS_VERSION,
        plural,
        labelSelector,
      })) as { items?: KubernetesObject[] };
    } catch (error) {
      // Chaos Mesh not installed: nothing of this kind can exist.
      if ((error as { code?: number }).code === 404) continue;
      throw error;
    }
    for (const item of list.items ?? [])
      found.push({
        kind,
        plural,
        namespace: item.metadata?.namespace as string,
        name: item.metadata?.name as string,
      });
  }
  return found;
}

/**
 * daemonRuleGauges reads every chaos-daemon's /metrics through the API server's pod proxy and sums the
 * network rules it sees in the pods of `namespace` (see ruleGaugesOf).
 */
export async function daemonRuleGauges(kube: Kube, namespace: string): Promise<RuleGauges> {
  const daemons = await kube.core.listNamespacedPod({
    namespace: CHAOS_NAMESPACE,
    labelSelector: 'app.kubernetes.io/component=chaos-daemon',
  });
  const total: RuleGauges = {
    activeIptablesRules: 0,
    inertIptablesRules: 0,
    ipsetMembers: 0,
    tcRules: 0,
    tcRulesByPod: {},
  };
  for (const pod of daemons.items) {
    const text = await kube.core.connectGetNamespacedPodProxyWithPath({
      name: `${pod.metadata?.name}:31766`,
      namespace: CHAOS_NAMESPACE,
      path: 'metrics',
    });
    const gauges = ruleGaugesOf(String(text), namespace);
    total.activeIptablesRules += gauges.activeIptablesRules;
    total.inertIptablesRules += gauges.inertIptablesRules;
    total.ipsetMembers += gauges.ipsetMembers;
    total.tcRules += gauges.tcRules;
    Object.assign(total.tcRulesByPod, gauges.tcRulesByPod);
  }
  return total;
}
