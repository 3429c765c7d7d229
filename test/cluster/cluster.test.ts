/**
 * Cluster tests: a real kind cluster built from locally built images, with metrics-server, the sample
 * service and an HPA. Run by `npm run test:cluster` (part of `npm test`).
 *
 * The cluster is brought up through the same library `probelab cluster up` uses. When no container
 * engine can be had (not root and none running) the suite is skipped with the reason — except under
 * CI=true, where that is a failure.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Watch, type CoreV1Event, type V1Pod } from '@kubernetes/client-node';
import { loadScenario } from '../../harness/config/load.ts';
import { containersByLabel, engineInfo } from '../../harness/adapters/docker.ts';
import { KIND_CLUSTER_LABEL } from '../../harness/adapters/kind.ts';
import { connectKube, type Kube } from '../../harness/adapters/kube.ts';
import { pathsFor } from '../../harness/adapters/paths.ts';
import { LABELS, namespaceFor, renderManifests } from '../../harness/core/render.ts';
import { clusterUp, waitFor, type ClusterHandle } from '../../harness/runtime/cluster.ts';
import { cleanLeftovers } from '../../harness/runtime/clean.ts';
import { ctx, root, sharedCluster } from './shared.ts';

const runId = `ct-${Date.now().toString(36)}`;
const namespace = namespaceFor(runId);

/**
 * The test workloads, as a scenario: a backend; a CPU-scaled workload with an HPA that calls the backend
 * by Service name (DNS and Service routing) and is reached from the host through its NodePort; and a
 * workload whose liveness probe can never pass.
 */
const scenarioText = `
apiVersion: probelab.dev/v1alpha1
kind: Scenario
metadata: { name: cluster-basics }
workloads:
  - name: backend
    replicas: 1
    resources: { requests: { cpu: 20m, memory: 16Mi } }
    probes:
      readiness: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
  - name: doomed
    replicas: 1
    resources: { requests: { cpu: 20m, memory: 16Mi } }
    probes:
      liveness: { httpGet: { path: /no-such-endpoint, port: http }, periodSeconds: 2, failureThreshold: 1 }
  - name: scaled
    replicas: 1
    behaviour: { dependency: backend, work: { cpu: 20ms } }
    resources: { requests: { cpu: 50m, memory: 16Mi } }
    probes:
      readiness: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
    hpa:
      minReplicas: 1
      maxReplicas: 4
      cpuUtilization: 50
      behavior:
        scaleUp: { stabilizationWindowSeconds: 0 }
        scaleDown: { stabilizationWindowSeconds: 15, policies: [{ type: Percent, value: 100, periodSeconds: 15 }] }
load:
  workload: scaled
  stages: [{ rps: 1, duration: 10m }]
`;

const NODE_PORT = 30080; // the loaded workload gets the first NodePort kind-config.yaml maps to 127.0.0.1

describe('kind cluster (real)', function () {
  this.timeout(90 * 60_000);
  let cluster: ClusterHandle;
  let kube: Kube;

  before(async function () {
    const handle = await sharedCluster();
    if (!handle) return this.skip();
    cluster = handle;
    kube = cluster.kube;

    const { model, problems } = loadScenario(scenarioText);
    assert.ok(model, JSON.stringify(problems));
    const rendered = renderManifests(model, { runId, image: cluster.sampleImage, nodePorts: [NODE_PORT] });
    await kube.apply(rendered.objects);
  });

  after(async function () {
    if (!kube || process.env.PROBELAB_KEEP_TEST_NAMESPACE) return;
    await kube.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  const podsOf = async (workload: string): Promise<V1Pod[]> =>
    (await kube.core.listNamespacedPod({ namespace, labelSelector: `${LABELS.workload}=${workload}` })).items;
  const readyPods = async (workload: string) =>
    (await podsOf(workload)).filter(
      (p) =>
        !p.metadata?.deletionTimestamp &&
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );

  it('has every node of kind-config.yaml Ready', async () => {
    const nodes = await kube.listNodes();
    assert.equal(nodes.length, 2, nodes.map((n) => n.name).join(', '));
    assert.deepEqual(
      nodes.filter((n) => !n.ready),
      [],
    );
  });

  it('reuses its TLS connections: 20 API calls and a watch open at most 2 connections', async () => {
    // undici reports every connection it opens on this channel (client-node's undici and ours share it).
    const fresh = connectKube(cluster.kubeconfig);
    let connected = 0;
    const count = () => void connected++;
    diagnostics.subscribe('undici:client:connected', count);
    try {
      for (let i = 0; i < 20; i++) await fresh.listNodes();
      const watch = new Watch(fresh.config);
      const controller = await watch.watch(
        `/api/v1/namespaces/${namespace}/pods`,
        {},
        () => undefined,
        () => undefined,
      );
      for (let i = 0; i < 5; i++) await fresh.listNodes();
      controller.abort();
    } finally {
      diagnostics.unsubscribe('undici:client:connected', count);
    }
    // One for the requests, one held by the watch's stream.
    assert.ok(connected >= 1 && connected <= 2, `${connected} connections opened`);
  });

  it('routes a request from the host through a NodePort, and from pod to pod by Service name (CoreDNS)', async () => {
    await waitFor(
      ctx,
      180_000,
      async () =>
        (await readyPods('scaled')).length && (await readyPods('backend')).length ? true : undefined,
      async () => 'scaled/backend not ready',
    );
    const response = await waitFor(
      ctx,
      60_000,
      async () => {
        const r = await fetch(`http://127.0.0.1:${NODE_PORT}/dependency`).catch(() => undefined);
        return r?.status === 200 ? r : undefined;
      },
      async () => `GET /dependency never answered 200`,
    );
    const body = (await response.json()) as Record<string, unknown>;
    const backend = (await readyPods('backend'))[0]?.metadata?.name;
    assert.ok(backend);
    assert.match(
      JSON.stringify(body),
      new RegExp(backend),
      'the answer comes from the backend pod, reached as http://backend',
    );
    assert.match(response.headers.get('x-pod-name') ?? '', /^scaled-/);
  });

  it('restarts a container whose liveness probe fails, with the probe events', async () => {
    const restarted = await waitFor(
      ctx,
      180_000,
      async () => {
        const pod = (await podsOf('doomed'))[0];
        const restarts = pod?.status?.containerStatuses?.[0]?.restartCount ?? 0;
        return restarts >= 1 ? pod : undefined;
      },
      async () => 'the doomed pod never restarted',
    );
    const name = restarted.metadata?.name as string;
    const events: CoreV1Event[] = (
      await kube.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` })
    ).items;
    assert.ok(
      events.some((e) => e.reason === 'Unhealthy' && /Liveness probe failed/.test(e.message ?? '')),
      'an Unhealthy event names the liveness probe',
    );
    assert.ok(
      events.some((e) => e.reason === 'Killing' && /failed liveness probe/.test(e.message ?? '')),
      'a Killing event says why',
    );
    assert.equal(restarted.status?.containerStatuses?.[0]?.lastState?.terminated !== undefined, true);
  });

  it('serves resource metrics for the sample pods (metrics-server)', async () => {
    const usage = await waitFor(
      ctx,
      180_000,
      async () => {
        const pods = await kube.podUsage(namespace);
        return pods.some((p) => p.name.startsWith('backend-')) ? pods : undefined;
      },
      async () => 'no pod metrics for the test namespace',
    );
    const backend = usage.find((p) => p.name.startsWith('backend-'));
    assert.ok(backend && backend.memoryBytes > 0, 'memory usage is reported');
  });

  it('scales the sample service from 1 to at least 3 replicas under CPU load from the host, and back to 1 after', async () => {
    await waitFor(
      ctx,
      180_000,
      async () => ((await readyPods('scaled')).length === 1 ? true : undefined),
      async () => 'scaled not ready',
    );
    const stop = new AbortController();
    const load = driveLoad(`http://127.0.0.1:${NODE_PORT}/work`, 6, stop.signal);
    try {
      const replicas = await waitFor(
        ctx,
        300_000,
        async () => {
          const ready = (await readyPods('scaled')).length;
          return ready >= 3 ? ready : undefined;
        },
        async () =>
          `only ${(await readyPods('scaled')).length} ready replicas; HPA status: ${JSON.stringify((await hpaStatus()) ?? {})}`,
      );
      assert.ok(replicas >= 3);
    } finally {
      stop.abort();
      const sent = await load;
      assert.ok(sent.ok > 0, 'the load reached the service');
    }
    await waitFor(
      ctx,
      300_000,
      async () =>
        (await podsOf('scaled')).filter((p) => !p.metadata?.deletionTimestamp).length === 1
          ? true
          : undefined,
      async () =>
        `still ${(await podsOf('scaled')).length} pods; HPA status: ${JSON.stringify((await hpaStatus()) ?? {})}`,
    );
  });

  it('cleans up by label: removes the run namespace, leaves a namespace without the label', async () => {
    const bystander = `${runId}-bystander`;
    await kube.core.createNamespace({
      body: { metadata: { name: bystander, labels: { [LABELS.runId]: runId } } },
    });
    try {
      const removed = await cleanLeftovers(kube, { runId, dryRun: false }, ctx);
      assert.deepEqual(removed, [`namespace ${namespace}`]);
      const remaining = (await kube.core.listNamespace()).items.map((n) => n.metadata?.name);
      assert.ok(!remaining.includes(namespace), 'the run namespace is gone');
      assert.ok(remaining.includes(bystander), 'a namespace without the managed-by label is untouched');
      assert.deepEqual(
        await cleanLeftovers(kube, { runId, dryRun: false }, ctx),
        [],
        'a second clean finds nothing',
      );
    } finally {
      await kube.core.deleteNamespace({ name: bystander });
    }
  });

  it('reuses the cluster when its kubeconfig file is gone: kind writes it again', async () => {
    rmSync(cluster.kubeconfig);
    const paths = pathsFor(root, process.env);
    const again = await clusterUp(
      { paths, out: { write: () => undefined }, signal: ctx.signal, log: { write: () => undefined } },
      {
        name: cluster.name,
        config: join(root, 'kind-config.yaml'),
        images: (process.env.PROBELAB_IMAGES as 'local' | 'upstream') ?? 'local',
        reuse: true,
        keepOnFailure: true,
      },
    );
    assert.equal(again.created, false, 'reused, not created again');
    assert.ok(existsSync(cluster.kubeconfig), 'kind wrote the kubeconfig again');
    assert.equal((await connectKube(cluster.kubeconfig).listNodes()).length, 2);
  });

  async function hpaStatus() {
    const { AutoscalingV2Api } = await import('@kubernetes/client-node');
    const api = kube.config.makeApiClient(AutoscalingV2Api);
    return (await api.readNamespacedHorizontalPodAutoscaler({ name: 'scaled', namespace })).status;
  }
});

/** driveLoad keeps `concurrency` requests in flight until stopped (a closed loop, enough to load CPU). */
async function driveLoad(
  url: string,
  concurrency: number,
  signal: AbortSignal,
): Promise<{ ok: number; failed: number }> {
  const counts = { ok: 0, failed: 0 };
  const worker = async () => {
    while (!signal.aborted) {
      try {
        const r = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]) });
        await r.arrayBuffer();
        if (r.ok) counts.ok++;
        else counts.failed++;
      } catch {
        counts.failed++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
}

describe('cluster up, interrupted', function () {
  this.timeout(15 * 60_000);

  it('removes the half-created cluster when aborted during creation, leaving nothing behind', async function () {
    if (!(await engineInfo())) this.skip(); // the suite above has already failed or skipped for this reason
    const paths = pathsFor(root, process.env);
    const dir = mkdtempSync(join(tmpdir(), 'probelab-abort-'));
    // One node and no port mappings, so it cannot collide with the cluster the suite above uses.
    const config = join(dir, 'kind.yaml');
    writeFileSync(
      config,
      'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n',
    );
    const name = `probelab-abort-${Date.now().toString(36).slice(-4)}`;
    const controller = new AbortController();
    const out = {
      write: (text: string) => {
        if (text.startsWith('• Create or reuse cluster'))
          setTimeout(() => controller.abort(new Error('test interrupt')), 6_000);
      },
    };
    await assert.rejects(
      clusterUp(
        { paths, out, signal: controller.signal, log: { write: () => {} } },
        { name, config, images: 'local', reuse: false, keepOnFailure: false },
      ),
    );
    assert.equal(controller.signal.aborted, true, 'the abort happened during the run');
    assert.deepEqual(
      await containersByLabel(KIND_CLUSTER_LABEL, name),
      [],
      'no node container of the interrupted cluster remains',
    );
  });
});
