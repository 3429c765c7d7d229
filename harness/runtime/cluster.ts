/**
 * The cluster lifecycle as ordered steps: `cluster up` (engine, images, kind cluster, sample image,
 * metrics-server, readiness of nodes and resource metrics), `cluster down` and `cluster status`.
 * Used by the CLI, by the cluster tests and by runs. Everything created is found again by name or label.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifests } from '../config/manifests.ts';
import type { Output } from '../core/ports.ts';
import { UserError } from '../core/errors.ts';
import { containersByLabel, containerTimes, engineInfo } from '../adapters/docker.ts';
import { KIND_CLUSTER_LABEL, kindAt, type Kind } from '../adapters/kind.ts';
import { connectKube, type Kube } from '../adapters/kube.ts';
import type { Paths } from '../adapters/paths.ts';
import { runCommand } from '../adapters/process.ts';
import { runSteps, sleep, type Step, type StepContext, type StepReport } from './steps.ts';
import { TeardownStack } from './teardown.ts';
import { imagesOf, installChaosMesh, readChaosMeshManifest, type InstallOptions } from './chaos-mesh.ts';

export type ImageSource = 'local' | 'upstream';

export interface ClusterOptions {
  name: string;
  /** config is the kind config file (absolute path). */
  config: string;
  images: ImageSource;
  /** reuse an existing cluster of this name (otherwise it is deleted and created fresh). */
  reuse: boolean;
  /** keepOnFailure leaves a cluster whose creation failed, for debugging. */
  keepOnFailure: boolean;
}

export interface ClusterHandle {
  name: string;
  kubeconfig: string;
  created: boolean;
  sampleImage: string;
  /** k6Bin is the k6 binary runs drive load with (clusters/images/k6/build.sh). */
  k6Bin: string;
  kube: Kube;
  steps: StepReport[];
  /** chaosMesh is what Chaos Mesh was installed with (kind clusters); installing again with it changes nothing. */
  chaosMesh?: InstallOptions;
}

export interface Env {
  paths: Paths;
  out: Output;
  signal: AbortSignal;
  /** log receives the full output of build scripts (a file), so the terminal shows only status. */
  log: Output;
}

const READY_TIMEOUT_MS = 240_000;
/** RESTART_TOLERANCE_MS: a node container started this long after its creation was restarted. */
const RESTART_TOLERANCE_MS = 60_000;
const METRICS_TIMEOUT_MS = 240_000;

/** buildScript runs one of the clusters/ build scripts, streaming its output to the log, and returns its last stdout line. */
async function buildScript(env: Env, ctx: StepContext, script: string, args: string[] = []): Promise<string> {
  const path = join(env.paths.repo, 'clusters', script);
  const { stdout } = await runCommand(path, args, {
    signal: ctx.signal,
    timeoutMs: 75 * 60_000,
    env: { PROBELAB_CACHE_DIR: env.paths.cache },
    onStderrLine: (line) => env.log.write(`[${script}] ${line}\n`),
  });
  return stdout.trim().split('\n').at(-1) ?? '';
}

export interface BuiltImages {
  kindBin: string;
  k6Bin: string;
  nodeImage?: string;
  /** chaosMeshCrds is the directory of Chaos Mesh's CRD files from its module. */
  chaosMeshCrds: string;
  sampleImage: string;
}

/** imageSteps builds (or finds cached) everything a cluster needs; the results land in `built`. */
export function imageSteps(env: Env, source: ImageSource, built: Partial<BuiltImages>): Step[] {
  const steps: Step[] = [
    {
      name: 'Ensure a container engine',
      run: async (ctx) => {
        const info = await engineInfo(ctx.signal);
        if (info) return `Docker ${info.serverVersion}, runtime ${info.defaultRuntime}`;
        if (process.getuid?.() !== 0)
          throw new UserError(
            'no Docker engine answers; start one, or run `sudo clusters/engine/ensure-engine.sh` to install and start Debian docker.io with the runc wrapper',
          );
        await buildScript(env, ctx, 'engine/ensure-engine.sh');
        const started = await engineInfo(ctx.signal);
        if (!started)
          throw new UserError('clusters/engine/ensure-engine.sh finished but no engine answers; see its log');
        return `started Docker ${started.serverVersion}, runtime ${started.defaultRuntime}`;
      },
    },
    {
      name: 'Install kind',
      run: async (ctx) => {
        built.kindBin = await buildScript(env, ctx, 'engine/install-kind.sh');
        return built.kindBin;
      },
    },
  ];
  if (source === 'local') {
    steps.push(
      {
        name: 'Build Kubernetes components',
        run: async (ctx) => void (await buildScript(env, ctx, 'images/kubernetes/build.sh')),
      },
      {
        name: 'Build the node image',
        run: async (ctx) => {
          built.nodeImage = await buildScript(env, ctx, 'images/node/build.sh');
          return built.nodeImage;
        },
      },
    );
  }
  steps.push(k6Step(env, built));
  steps.push({
    // Offline: both images and the CRDs; with upstream images only the CRDs (read from the Go module).
    name: 'Build Chaos Mesh',
    run: async (ctx) => {
      built.chaosMeshCrds = await buildScript(
        env,
        ctx,
        'images/chaos-mesh/build.sh',
        source === 'local' ? [] : ['--crds-only'],
      );
      return built.chaosMeshCrds;
    },
  });
  steps.push({
    name: 'Build the sample service image',
    run: async (ctx) => {
      built.sampleImage = await buildScript(env, ctx, 'images/sample/build.sh');
      return built.sampleImage;
    },
  });
  return steps;
}

/** k6Step builds (or finds cached) the k6 binary runs drive load with; the kind and existing paths share it. */
function k6Step(env: Env, built: Partial<BuiltImages>): Step {
  return {
    name: 'Build k6',
    run: async (ctx) => {
      built.k6Bin = await buildScript(env, ctx, 'images/k6/build.sh');
      return built.k6Bin;
    },
  };
}

export async function clusterUp(env: Env, options: ClusterOptions): Promise<ClusterHandle> {
  const built: Partial<BuiltImages> = {};
  const kubeconfig = env.paths.kubeconfig(options.name);
  const teardown = new TeardownStack();
  let kind: Kind | undefined;
  let kube: Kube | undefined;
  let created = false;
  let chaosMesh: InstallOptions | undefined;
  const steps: Step[] = [
    ...imageSteps(env, options.images, built),
    {
      name: `Create or reuse cluster ${options.name}`,
      run: async (ctx) => {
        kind = kindAt(built.kindBin as string);
        const existing = (await kind.listClusters(ctx.signal)).includes(options.name);
        if (existing) {
          const unusable = options.reuse
            ? await whyNotReusable(kind, options.name, kubeconfig, ctx)
            : 'reuse is off';
          if (!unusable) return 'reused';
          ctx.note(`deleting the existing cluster ${options.name}: ${unusable}`);
          await kind.delete(options.name, kubeconfig, ctx.signal);
        }
        const k = kind;
        if (!options.keepOnFailure)
          teardown.defer('delete the half-created cluster', () => k.delete(options.name, kubeconfig));
        await kind.create({
          name: options.name,
          config: options.config,
          ...(built.nodeImage ? { image: built.nodeImage } : {}),
          kubeconfig,
          signal: ctx.signal,
          onLine: (line) => env.log.write(`[kind] ${line}\n`),
        });
        created = true;
        return `created${built.nodeImage ? ` from ${built.nodeImage}` : ''}`;
      },
    },
    {
      // One check for all: a node is asked once whatever the number of images.
      name: 'Load the images',
      run: async (ctx) => {
        const images = [
          built.sampleImage as string,
          ...(options.images === 'local' ? imagesOf(await readChaosMeshManifest(env.paths.repo)) : []),
        ];
        const loaded = await (kind as Kind).loadImages(options.name, images, ctx.signal);
        return loaded.map((l) => `${l.image} (${l.result})`).join(', ');
      },
    },
    {
      name: 'Wait for nodes to be Ready',
      run: async (ctx) => {
        kube = connectKube(kubeconfig);
        const nodes = await waitFor(
          ctx,
          READY_TIMEOUT_MS,
          async () => {
            const list = await (kube as Kube).listNodes();
            return list.length > 0 && list.every((n) => n.ready) ? list : undefined;
          },
          async () =>
            `nodes not Ready: ${(await (kube as Kube).listNodes())
              .filter((n) => !n.ready)
              .map((n) => `${n.name} (${n.readyReason})`)
              .join(', ')}`,
        );
        return nodes.map((n) => `${n.name} ${n.kubeletVersion}`).join(', ');
      },
    },
    {
      name: 'Install metrics-server',
      run: async () => {
        kube = connectKube(kubeconfig);
        const objects = await readAddon(env.paths.repo, 'metrics-server');
        await kube.apply(objects);
        return `${objects.length} objects applied`;
      },
    },
    {
      name: 'Wait for resource metrics',
      run: (ctx) => waitForResourceMetrics(env, ctx, kube as Kube, options.name),
    },
    {
      name: 'Install Chaos Mesh',
      run: async (ctx) => {
        chaosMesh = {
          repo: env.paths.repo,
          crdsDir: built.chaosMeshCrds as string,
          version: await readVersion(env.paths.repo, 'CHAOS_MESH_VERSION'),
          ...(options.images === 'local'
            ? { imageIds: await imageIdsOf(imagesOf(await readChaosMeshManifest(env.paths.repo))) }
            : {}),
        };
        return installChaosMesh(kube as Kube, chaosMesh, ctx);
      },
    },
  ];
  try {
    const reports = await runSteps(steps, env.out, env.signal);
    teardown.release('delete the half-created cluster');
    return {
      name: options.name,
      kubeconfig,
      created,
      sampleImage: built.sampleImage as string,
      k6Bin: built.k6Bin as string,
      kube: kube as Kube,
      steps: reports,
      ...(chaosMesh ? { chaosMesh } : {}),
    };
  } catch (error) {
    const failures = await teardown.run((name, err) =>
      env.out.write(err ? `✗ teardown: ${name}: ${String(err)}\n` : `✓ teardown: ${name}\n`),
    );
    for (const f of failures) env.log.write(`error during teardown (${f.name}): ${String(f.error)}\n`);
    throw error;
  }
}

/** metricsState classifies one read of the node metrics API. */
async function readNodeMetrics(kube: Kube) {
  try {
    const nodes = await kube.listNodes();
    const usage = await kube.nodeUsage();
    return usage.length >= nodes.length && usage.length > 0
      ? { state: 'served' as const, usage }
      : { state: 'partial' as const, detail: `metrics for ${usage.length} of ${nodes.length} nodes` };
  } catch (error) {
    const message = String(error);
    const code = (error as { code?: number }).code ?? Number(/HTTP-Code: (\d+)/.exec(message)?.[1]);
    const body = /Body: (.*)/.exec(message)?.[1]?.slice(0, 300) ?? message.split('\n')[0];
    // 404 and 500 come from the aggregator itself (see waitForResourceMetrics); 503 means metrics-server
    // is not answering yet, which only waiting cures.
    return {
      state: code === 404 || code === 500 ? ('aggregator-broken' as const) : ('error' as const),
      detail: `${code ?? '?'} ${body}`.trim(),
    };
  }
}

/**
 * waitForResourceMetrics waits until metrics.k8s.io serves every node's usage.
 *
 * It also works around a defect of the locally built kube-apiserver v1.34.10: an APIService added after
 * the API server started is marked Available, yet the aggregator may answer 404 (empty body) or 500 for
 * its group version without contacting the backing service; one loaded at start-up is served. In
 * kube-aggregator both answers come from a proxy handler whose transport could not be built, which
 * suggests the front-proxy client certificate was not loaded yet when the APIService arrived. Whenever
 * the metrics API has answered 404 or 500 for NOT_FOUND_RESTART_MS in a row (at any point of the wait, since metrics-server may
 * first answer 503 while it starts), the API server of each control-plane node is restarted (the kubelet
 * restarts the static pod, which then loads the APIService at start), at most MAX_APISERVER_RESTARTS
 * times. Clusters that serve the API already (upstream images) never restart. See
 * clusters/addons/metrics-server/README.md.
 */
async function waitForResourceMetrics(env: Env, ctx: StepContext, kube: Kube, cluster: string) {
  const NOT_FOUND_RESTART_MS = 30_000;
  const MAX_APISERVER_RESTARTS = 2;
  let restarts = 0;
  let notFoundSince: number | undefined;
  let last = 'no answer yet';
  const usage = await waitFor(
    ctx,
    METRICS_TIMEOUT_MS,
    async () => {
      const read = await readNodeMetrics(kube);
      if (read.state === 'served') return read.usage;
      last = `${read.state}: ${read.detail}`;
      notFoundSince = read.state === 'aggregator-broken' ? (notFoundSince ?? performance.now()) : undefined;
      if (
        notFoundSince !== undefined &&
        performance.now() - notFoundSince >= NOT_FOUND_RESTART_MS &&
        restarts < MAX_APISERVER_RESTARTS
      ) {
        restarts++;
        notFoundSince = undefined;
        await restartApiServers(env, ctx, kube, cluster);
      }
      return undefined;
    },
    async () =>
      `the metrics API (metrics.k8s.io) serves no node metrics (last answer: ${last}; kube-apiserver restarted ${restarts} time(s)); check the metrics-server pod and \`kubectl get apiservice v1beta1.metrics.k8s.io\``,
  );
  const summary = usage.map((u) => `${u.name} ${Math.round(u.cpuMillicores)}m`).join(', ');
  return restarts ? `${summary} (after ${restarts} kube-apiserver restart(s))` : summary;
}

async function restartApiServers(env: Env, ctx: StepContext, kube: Kube, cluster: string) {
  const nodes = (await containersByLabel(KIND_CLUSTER_LABEL, cluster)).filter(
    (c) => c.labels['io.x-k8s.kind.role'] === 'control-plane',
  );
  ctx.note(
    `metrics.k8s.io answers 404/500 from the aggregator although registered; restarting kube-apiserver on ${nodes.map((n) => n.name).join(', ')}`,
  );
  env.log.write(`[cluster] restarting kube-apiserver to load APIService v1beta1.metrics.k8s.io\n`);
  for (const node of nodes)
    await runCommand('docker', ['exec', node.name, 'pkill', '-x', 'kube-apiserver'], { timeoutMs: 30_000 });
  await waitFor(
    ctx,
    120_000,
    async () => ((await kube.listNodes()).length > 0 ? true : undefined),
    async () => 'kube-apiserver did not come back after the restart',
  );
}

/**
 * whyNotReusable says why an existing cluster cannot be reused (its node containers stopped, for example
 * after the engine restarted, or its API server not answering), or undefined when it can.
 */
async function whyNotReusable(
  kind: Kind,
  name: string,
  kubeconfig: string,
  ctx: StepContext,
): Promise<string | undefined> {
  const nodes = await containersByLabel(KIND_CLUSTER_LABEL, name);
  const stopped = nodes.filter((n) => n.state !== 'running');
  if (stopped.length > 0)
    return `node container(s) ${stopped.map((n) => `${n.name} (${n.state})`).join(', ')} not running`;
  // A node container restarted after its creation (an engine restart, a reboot) may come back with
  // another IP address, which a multi-node kind cluster does not survive reliably; start fresh instead.
  const times = await containerTimes(nodes.map((n) => n.id));
  for (const [i, node] of nodes.entries()) {
    const { created = '', started = '' } = times[i] ?? {};
    if (Date.parse(started) - Date.parse(created) > RESTART_TOLERANCE_MS)
      return `node container ${node.name} was restarted at ${started}`;
  }
  // The kubeconfig written when the cluster was made is used as it is while it answers; kind writes it
  // again when it does not (missing, or another port or certificate since).
  const nodesOf = async () => {
    const notReady = (await connectKube(kubeconfig).listNodes()).filter((n) => !n.ready);
    return notReady.length ? `node(s) ${notReady.map((n) => n.name).join(', ')} not Ready` : undefined;
  };
  try {
    return await nodesOf();
  } catch {
    await kind.writeKubeconfig(name, kubeconfig, ctx.signal);
  }
  try {
    return await nodesOf();
  } catch (error) {
    return `its API server does not answer (${String(error).split('\n')[0]})`;
  }
}

async function imageIdsOf(images: readonly string[]): Promise<Record<string, string>> {
  if (images.length === 0) return {};
  const { stdout } = await runCommand('docker', ['image', 'inspect', '-f', '{{.Id}}', ...images], {
    timeoutMs: 30_000,
  });
  const lines = stdout.trim().split('\n');
  return Object.fromEntries(
    images.map((image, i) => [
      image,
      (lines[i] ?? '')
        .trim()
        .replace(/^sha256:/, '')
        .slice(0, 12),
    ]),
  );
}

/** waitForDeploymentsAvailable waits until every Deployment of the namespace has all its replicas available. */
export async function waitForDeploymentsAvailable(
  kube: Kube,
  namespace: string,
  ctx: StepContext,
  timeoutMs: number,
): Promise<string> {
  const unavailable = async () => {
    const list = await kube.apps.listNamespacedDeployment({ namespace });
    return {
      count: list.items.length,
      waiting: list.items.filter((d) => (d.status?.availableReplicas ?? 0) < (d.spec?.replicas ?? 1)),
    };
  };
  return waitFor(
    ctx,
    timeoutMs,
    async () => {
      const { count, waiting } = await unavailable();
      return count > 0 && waiting.length === 0 ? `${count} available` : undefined;
    },
    async () =>
      `not available: ${(await unavailable()).waiting
        .map((d) => `${d.metadata?.name} ${d.status?.availableReplicas ?? 0}/${d.spec?.replicas}`)
        .join(', ')}`,
  );
}

/**
 * deleteNamespaceAndWait deletes a run namespace and waits (up to 3 minutes) until it is gone: its
 * NodePorts (fixed by kind-config.yaml) are only free for the next run then. Its pods go at once (grace
 * period 0) once the namespace is terminating and no new pod can be made in it: the run is over, how they
 * shut down is no longer measured, and a workload that drains for 30 s on SIGTERM would otherwise hold the
 * namespace, and the next run, that long. Never takes a signal: it runs in teardown, after an abort too.
 */
export async function deleteNamespaceAndWait(kube: Kube, name: string): Promise<void> {
  await kube.core.deleteNamespace({ name }).catch((error: unknown) => {
    if ((error as { code?: number }).code !== 404) throw error;
  });
  // Best effort: the namespace controller deletes the pods anyway, only slower.
  await kube.core
    .deleteCollectionNamespacedPod({ namespace: name, gracePeriodSeconds: 0 })
    .catch(() => undefined);
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const exists = await kube.core.readNamespace({ name }).then(
      () => true,
      (error: unknown) => ((error as { code?: number }).code === 404 ? false : true),
    );
    if (!exists) return;
    await sleep(500);
  }
  throw new Error(`namespace ${name} is still terminating after 3 minutes`);
}

/** ExistingCluster: a cluster probelab did not create, addressed only through a kubeconfig. */
export interface ExistingCluster {
  /** kubeconfig: absolute path; its content is never logged or reported, only the context and server. */
  kubeconfig: string;
  context?: string;
  /** image: the sample service image as this cluster's nodes can pull it (the user's registry). */
  image: string;
  /** loadAddress: where this machine reaches the cluster's NodePorts. */
  loadAddress: string;
  /** needsMetrics / needsChaos: what the scenario uses (an HPA; chaos in the timeline). */
  needsMetrics: boolean;
  needsChaos: boolean;
}

/**
 * connectExisting: the steps of a run's "Ensure the cluster" against a cluster probelab did not create.
 * Nothing is installed there and no container engine is touched: k6 is built (or found cached) here,
 * the cluster must have its nodes Ready, metrics-server when the scenario has an HPA, and Chaos Mesh when
 * the timeline has chaos; each missing piece is an error that says how to fix it.
 */
export async function connectExisting(env: Env, options: ExistingCluster): Promise<ClusterHandle> {
  const built: Partial<BuiltImages> = {};
  let kube: Kube | undefined;
  const steps: Step[] = [
    k6Step(env, built),
    {
      name: 'Connect to the cluster',
      run: async () => {
        try {
          kube = connectKube(options.kubeconfig, options.context);
        } catch (error) {
          throw new UserError(
            `cluster.existing.kubeconfig: cannot load ${options.kubeconfig}${options.context ? ` (context ${options.context})` : ''}: ${(error as Error).message}; give a readable kubeconfig and one of its contexts`,
          );
        }
        const version = await kube.core.getAPIResources().then(
          () => 'answers',
          (error: unknown) => {
            throw new UserError(
              `cluster.existing: the API server of context ${kube?.context} (${kube?.server}) does not answer: ${(error as Error).message}`,
            );
          },
        );
        return `context ${kube.context} at ${kube.server}: ${version}`;
      },
    },
    {
      name: 'Check the nodes',
      run: async () => {
        const nodes = await (kube as Kube).listNodes();
        const notReady = nodes.filter((n) => !n.ready);
        if (!nodes.length || notReady.length)
          throw new UserError(
            `cluster.existing: ${nodes.length ? `node(s) not Ready: ${notReady.map((n) => `${n.name} (${n.readyReason})`).join(', ')}` : 'no node'}; a run needs every node Ready`,
          );
        return nodes.map((n) => `${n.name} ${n.kubeletVersion}`).join(', ');
      },
    },
    {
      name: 'Check the add-ons the scenario needs',
      run: async () => {
        const k = kube as Kube;
        const found: string[] = [];
        if (options.needsMetrics) {
          await k.nodeUsage().catch((error: unknown) => {
            throw new UserError(
              `cluster.existing: the scenario has an HPA but metrics.k8s.io does not answer (${(error as Error).message}); install metrics-server in that cluster`,
            );
          });
          found.push('metrics-server');
        }
        if (options.needsChaos) {
          await k.custom
            .listClusterCustomObject({ group: 'chaos-mesh.org', version: 'v1alpha1', plural: 'podchaos' })
            .catch((error: unknown) => {
              throw new UserError(
                `cluster.existing: the timeline has chaos but Chaos Mesh's CRDs do not answer (${(error as Error).message}); install Chaos Mesh in that cluster or remove the chaos entries`,
              );
            });
          found.push('Chaos Mesh');
        }
        return found.length ? found.join(', ') : 'none needed';
      },
    },
  ];
  const reports = await runSteps(steps, env.out, env.signal);
  return {
    name: (kube as Kube).context,
    kubeconfig: options.kubeconfig,
    created: false,
    sampleImage: options.image,
    k6Bin: built.k6Bin as string,
    kube: kube as Kube,
    steps: reports,
  };
}

/** readVersion reads KEY from clusters/versions.env, the one place versions are pinned. */
export async function readVersion(repo: string, key: string): Promise<string> {
  const text = await readFile(join(repo, 'clusters', 'versions.env'), 'utf8');
  const value = new RegExp(`^${key}=(\\S+)$`, 'm').exec(text)?.[1];
  if (!value) throw new Error(`internal: ${key} is not set in clusters/versions.env`);
  return value;
}

/** readAddon reads clusters/addons/<name>/*.yaml in file-name order. */
export async function readAddon(repo: string, name: string) {
  const dir = join(repo, 'clusters', 'addons', name);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  const objects = [];
  for (const file of files) {
    const { objects: parsed, problems } = parseManifests(await readFile(join(dir, file), 'utf8'));
    if (problems.length) throw new Error(`internal: ${dir}/${file} does not parse: ${problems[0]?.message}`);
    objects.push(...parsed.map((p) => p.object));
  }
  return objects;
}

/** waitFor polls check every 2 s until it returns a value, or fails with describe()'s text at the deadline. */
export async function waitFor<T>(
  ctx: StepContext,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  describe: () => Promise<string>,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline)
      throw new UserError(
        `timed out after ${timeoutMs / 1000}s: ${await describe().catch((e) => String(e))}`,
      );
    await sleep(2_000, ctx.signal);
  }
}

export async function clusterDown(env: Env, name: string): Promise<string> {
  const kindBin = join(env.paths.bin, 'kind');
  const kind = kindAt(kindBin);
  const before = await containersByLabel(KIND_CLUSTER_LABEL, name);
  if (before.length === 0) return `no cluster named ${name}`;
  await kind.delete(name, env.paths.kubeconfig(name), env.signal);
  return `deleted ${before.length} node container(s)`;
}

export interface ClusterStatus {
  name: string;
  nodes: { container: string; state: string }[];
  api?: { nodes: { name: string; ready: boolean; version: string }[]; metrics: boolean };
  error?: string;
}

export async function clusterStatus(env: Env, name: string): Promise<ClusterStatus> {
  const containers = await containersByLabel(KIND_CLUSTER_LABEL, name);
  const status: ClusterStatus = {
    name,
    nodes: containers.map((c) => ({ container: c.name, state: c.state })),
  };
  if (containers.length === 0) return status;
  try {
    await kindAt(join(env.paths.bin, 'kind')).writeKubeconfig(name, env.paths.kubeconfig(name), env.signal);
    const kube = connectKube(env.paths.kubeconfig(name));
    const nodes = await kube.listNodes();
    const metrics = (await kube.nodeUsage().catch(() => [])).length > 0;
    status.api = {
      nodes: nodes.map((n) => ({ name: n.name, ready: n.ready, version: n.kubeletVersion })),
      metrics,
    };
  } catch (error) {
    status.error = error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
  return status;
}
