/**
 * Chaos Mesh on the real cluster: every fault kind probelab renders is applied to the sample service,
 * its injection judged from Chaos Mesh's status, its effect observed from outside (pods replaced,
 * restart counts, dependency errors, latency), and its removal verified (no resource left, the daemon's
 * rule gauges back to zero). On this kernel (no sch_netem) network delay must come back as
 * "not injected: kernel lacks sch_netem".
 */
import assert from 'node:assert/strict';
import { get as httpGet } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { loadScenario } from '../../harness/config/load.ts';
import type { Kube } from '../../harness/adapters/kube.ts';
import { LABELS, namespaceFor, renderManifests, type Rendered } from '../../harness/core/render.ts';
import {
  daemonRuleGauges,
  injectChaos,
  installChaosMesh,
  listChaos,
  readChaos,
  refOf,
  removeChaos,
} from '../../harness/runtime/chaos-mesh.ts';
import { deleteNamespaceAndWait, waitFor } from '../../harness/runtime/cluster.ts';
import { cleanLeftovers } from '../../harness/runtime/clean.ts';
import { startLoad, steppedLoadScript } from '../../harness/adapters/k6.ts';
import { scenarioSchema } from '../../harness/config/v1alpha1.ts';
import { planLoad } from '../../harness/core/load/plan.ts';
import { leftoverRules } from '../../harness/core/chaos-status.ts';
import { CLUSTER, ctx, probelab, root, sharedCluster, writeScenario } from './shared.ts';

const runId = `cx-${Date.now().toString(36)}`;
const namespace = namespaceFor(runId);
const NODE_PORT = 30081;

const scenarioText = `
apiVersion: probelab.dev/v1alpha1
kind: Scenario
metadata: { name: chaos-basics }
workloads:
  - name: db
    replicas: 1
    resources: { requests: { cpu: 20m, memory: 16Mi } }
    probes:
      readiness: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
  - name: api
    replicas: 2
    behaviour: { dependency: db, dependencyTimeout: 300ms, work: { cpu: 5ms } }
    resources: { requests: { cpu: 50m, memory: 16Mi }, limits: { cpu: 200m } }
    probes:
      readiness: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
load:
  workload: api
  stages: [{ rps: 1, duration: 10m }]
timeline:
  - { at: 10s, action: pod-kill, target: api, mode: one }
  - { at: 20s, action: container-kill, target: api, mode: one }
  - { at: 30s, action: network-partition, target: api, from: db, direction: both, mode: all, duration: 5m }
  - { at: 40s, action: network-delay, target: api, mode: all, duration: 5m, latency: 100ms }
  - { at: 50s, action: cpu-stress, target: api, mode: all, duration: 5m, workers: 2 }
  - { at: 60s, action: bandwidth, target: api, mode: all, duration: 5m, rate: 100kbps }
  - { at: 70s, action: pod-failure, target: api, mode: one, duration: 5m }
`;

describe('Chaos Mesh faults (real)', function () {
  this.timeout(20 * 60_000);
  let kube: Kube;
  let k6Bin: string;
  let rendered: Rendered;

  before(async function () {
    const cluster = await sharedCluster();
    if (!cluster) return this.skip();
    kube = cluster.kube;
    k6Bin = cluster.k6Bin;
    const { model, problems } = loadScenario(scenarioText);
    assert.ok(model, JSON.stringify(problems));
    rendered = renderManifests(model, { runId, image: cluster.sampleImage, nodePorts: [NODE_PORT] });
    await kube.apply(rendered.objects);
    await waitFor(
      ctx,
      120_000,
      async () =>
        (await readyPods('api')).length === 2 && (await readyPods('db')).length === 1 ? true : undefined,
      async () =>
        `pods not ready: ${(await pods('api')).map((p) => `${p.metadata?.name} ${p.status?.phase}`).join(', ')}`,
    );
  });

  after(async function () {
    if (!kube) return;
    for (const ref of await listChaos(kube, runId)) await removeChaos(kube, ref);
    if (!process.env.PROBELAB_KEEP_TEST_NAMESPACE) await deleteNamespace(namespace);
  });

  /** deleteNamespace waits until it is gone, so its NodePorts are free for the next suite. */
  const deleteNamespace = (name: string) => deleteNamespaceAndWait(kube, name);
  const pods = async (workload: string): Promise<V1Pod[]> =>
    (await kube.core.listNamespacedPod({ namespace, labelSelector: `${LABELS.workload}=${workload}` })).items;
  const readyPods = async (workload: string) =>
    (await pods(workload)).filter(
      (p) =>
        !p.metadata?.deletionTimestamp &&
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
  const timelineObject = (action: string) => {
    const entry = rendered.timeline.find((t) => t.description.startsWith(`${action} `));
    assert.ok(entry?.objects[0], `the scenario renders ${action}`);
    return entry.objects[0];
  };
  /**
   * get sends one request on a new connection (no keep-alive): a connection opened before a fault would
   * otherwise carry state across it (e.g. a socket reset by the qdisc change).
   */
  const get = (path: string) =>
    new Promise<{ status: number; ms: number; error?: string }>((resolve) => {
      const started = performance.now();
      const request = httpGet(
        `http://127.0.0.1:${NODE_PORT}${path}`,
        { agent: false, timeout: 15_000 },
        (response) => {
          response.resume();
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, ms: performance.now() - started }),
          );
          response.on('error', (error) =>
            resolve({ status: 0, ms: performance.now() - started, error: String(error) }),
          );
        },
      );
      request.on('timeout', () => request.destroy(new Error('timed out after 15 s')));
      request.on('error', (error) =>
        resolve({ status: 0, ms: performance.now() - started, error: String(error) }),
      );
    });
  /**
   * withFault injects one timeline entry, runs `during` while it is in place, and always removes it;
   * then it checks the removal was not forced and that no rule acts on traffic any more (chaos-daemon's
   * gauges against the baseline read before the injection).
   */
  const withFault = async (
    action: Parameters<typeof injectChaos>[2],
    during: (outcome: Awaited<ReturnType<typeof injectChaos>>) => Promise<void>,
  ) => {
    const object = timelineObject(action);
    const before = await daemonRuleGauges(kube, namespace);
    let removal: Awaited<ReturnType<typeof removeChaos>> | undefined;
    try {
      await during(await injectChaos(kube, object, action, ctx));
    } finally {
      removal = await removeChaos(kube, refOf(object));
    }
    assert.equal(removal.forced, false, 'Chaos Mesh recovered the fault without forcing');
    assert.equal(await readChaos(kube, refOf(object)), undefined);
    const source = `${namespace}/${refOf(object).name}`;
    const perPod = (await kube.custom.listNamespacedCustomObject({
      group: 'chaos-mesh.org',
      version: 'v1alpha1',
      namespace,
      plural: 'podnetworkchaos',
    })) as { items: { spec?: Record<string, { source?: string }[]> }[] };
    assert.deepEqual(
      perPod.items.flatMap((i) =>
        Object.values(i.spec ?? {})
          .flat()
          .filter((e) => e.source === source),
      ),
      [],
      'no per-pod entry of the fault remains',
    );
    assert.deepEqual(leftoverRules(before, await daemonRuleGauges(kube, namespace)), []);
    return removal;
  };
  const injected = (outcome: Awaited<ReturnType<typeof injectChaos>>) =>
    assert.equal(outcome.injection.state, 'injected', JSON.stringify(outcome.injection));

  it('pod-kill: the selected pod is replaced by one with a new UID', async () => {
    const before = new Map((await pods('api')).map((p) => [p.metadata?.name, p.metadata?.uid]));
    await withFault('pod-kill', async (outcome) => {
      injected(outcome);
      if (outcome.injection.state !== 'injected') return;
      const killed = outcome.injection.targets.map((t) => t.split('/')[1]);
      assert.equal(killed.length, 1);
      await waitFor(
        ctx,
        60_000,
        async () => {
          const now = await readyPods('api');
          const gone = !now.some(
            (p) => p.metadata?.name === killed[0] && p.metadata?.uid === before.get(killed[0]),
          );
          const replaced = now.filter((p) => !before.has(p.metadata?.name)).length >= 1;
          return gone && replaced && now.length === 2 ? true : undefined;
        },
        async () => `api pods: ${(await pods('api')).map((p) => p.metadata?.name).join(', ')}`,
      );
    });
  });

  it('container-kill: the container restart count rises', async () => {
    const restarts = async () =>
      new Map(
        (await pods('api')).map((p) => [
          p.metadata?.name,
          p.status?.containerStatuses?.[0]?.restartCount ?? 0,
        ]),
      );
    const before = await restarts();
    await withFault('container-kill', async (outcome) => {
      injected(outcome);
      if (outcome.injection.state !== 'injected') return;
      const target = outcome.injection.targets[0]?.split('/')[1];
      await waitFor(
        ctx,
        60_000,
        async () => (((await restarts()).get(target) ?? 0) > (before.get(target) ?? 0) ? true : undefined),
        async () => `restart count of ${target} still ${(await restarts()).get(target)}`,
      );
    });
  });

  it('network-partition: calls to the dependency fail while it lasts, and no rule acts after', async () => {
    await waitFor(
      ctx,
      60_000,
      async () => ((await get('/dependency')).status === 200 ? true : undefined),
      async () => 'the dependency does not answer before the partition',
    );
    await withFault('network-partition', async (outcome) => {
      injected(outcome);
      const during = await Promise.all(Array.from({ length: 10 }, () => get('/dependency')));
      assert.ok(
        during.every((r) => r.status === 502),
        `every call to the dependency fails with 502: ${during.map((r) => r.status).join(',')}`,
      );
      assert.equal((await get('/work')).status, 200, 'requests that do not use the dependency succeed');
      const gauges = await daemonRuleGauges(kube, namespace);
      assert.ok(gauges.activeIptablesRules > 0, `DROP rules act on traffic: ${JSON.stringify(gauges)}`);
    });
    await waitFor(
      ctx,
      30_000,
      async () => ((await get('/dependency')).status === 200 ? true : undefined),
      async () => 'the dependency still fails after the partition was removed',
    );
  });

  it('network-delay: reported as not injected because the kernel lacks sch_netem', async () => {
    const removal = await withFault('network-delay', async (outcome) => {
      assert.equal(outcome.injection.state, 'failing', JSON.stringify(outcome.injection));
      if (outcome.injection.state !== 'failing') return;
      assert.equal(outcome.injection.reason, 'not injected: kernel lacks sch_netem');
      assert.match(outcome.injection.detail, /qdisc kind is unknown/);
    });
    assert.equal(removal.neverInjected, true);
  });

  it('cpu-stress: latency of CPU-bound requests rises while it lasts', async () => {
    const median = async () => {
      const samples: number[] = [];
      for (let i = 0; i < 21; i++) samples.push((await get('/work')).ms);
      return samples.sort((a, b) => a - b)[10] as number;
    };
    const baseline = await median();
    await withFault('cpu-stress', async (outcome) => {
      injected(outcome);
      await new Promise((r) => setTimeout(r, 3_000));
      const stressed = await median();
      assert.ok(
        stressed > baseline * 2,
        `median /work latency ${baseline.toFixed(1)} ms → ${stressed.toFixed(1)} ms under stress`,
      );
    });
  });

  it('bandwidth: injected with sch_tbf and responses slow to the rate, or reported as not injectable', async () => {
    // 256 KiB at 100kbps (tc units: 100 kB/s) takes about 2.6 s; unshaped it takes milliseconds.
    const download = '/work?payload=256Ki';
    const before = await get(download);
    assert.equal(before.status, 200);
    await withFault('bandwidth', async (outcome) => {
      if (outcome.injection.state === 'failing') {
        assert.equal(outcome.injection.reason, 'not injected: kernel lacks sch_tbf');
        return;
      }
      injected(outcome);
      const shaped = await get(download);
      assert.equal(shaped.status, 200, JSON.stringify(shaped));
      assert.ok(
        shaped.ms > 1_500 && shaped.ms > before.ms * 5,
        `256 KiB took ${before.ms.toFixed(0)} ms before, ${shaped.ms.toFixed(0)} ms at 100 kB/s`,
      );
    });
    const after = await get(download);
    assert.ok(after.ms < 1_000, `unshaped again after removal: ${after.ms.toFixed(0)} ms`);
  });

  it('pod-failure: the pod runs the pause image and turns unready while it lasts, and recovers after', async () => {
    let target = '';
    await withFault('pod-failure', async (outcome) => {
      injected(outcome);
      if (outcome.injection.state !== 'injected') return;
      target = outcome.injection.targets[0]?.split('/')[1] ?? '';
      await waitFor(
        ctx,
        60_000,
        async () => {
          const pod = (await pods('api')).find((p) => p.metadata?.name === target);
          const paused = pod?.spec?.containers.some((c) => c.image?.includes('pause'));
          const ready = pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
          return paused && !ready ? true : undefined;
        },
        async () => `pod ${target} still runs its own image or is still ready`,
      );
    });
    await waitFor(
      ctx,
      120_000,
      async () => {
        const pod = (await readyPods('api')).find((p) => p.metadata?.name === target);
        return pod && !pod.spec?.containers.some((c) => c.image?.includes('pause')) ? true : undefined;
      },
      async () => `pod ${target} did not get its image back and turn ready`,
    );
  });

  const loadOf = (stages: { rps: number; duration: string }[]) =>
    planLoad(
      scenarioSchema.shape.load.parse({
        workload: 'api',
        stages,
        requests: [{ path: '/work' }],
        timeout: '2s',
        vus: { preAllocated: 40, max: 200 },
        // Keep-alive: a killed pod breaks the connections open to it, which is what the kill test sees.
        // With a new connection per request the Service stops routing to it at once and k6 sees nothing.
        connections: 'reuse',
      }),
      [{ variant: 'api', baseUrl: `http://127.0.0.1:${NODE_PORT}` }],
      {},
    );

  it('k6 through the NodePort: the achieved rate follows the stages, across both pods', async () => {
    const result = await startLoad({
      k6Bin,
      script: steppedLoadScript(root),
      plan: loadOf([
        { rps: 10, duration: '8s' },
        { rps: 30, duration: '8s' },
      ]),
      outDir: mkdtempSync(join(tmpdir(), 'probelab-k6-')),
    }).done;
    assert.equal(result.outcome, 'completed');
    const [api] = result.series.variants;
    assert.ok(api);
    for (const step of api.steps) {
      const target = step.targetRps as number;
      assert.ok(
        Math.abs(step.achievedRps - target) <= target * 0.05,
        `step ${step.step}: achieved ${step.achievedRps.toFixed(1)} rps, target ${target}`,
      );
      assert.equal(step.droppedIterations, 0, `step ${step.step} dropped no iteration`);
    }
    assert.equal(api.total.errors.total, 0);
    assert.equal(Object.keys(api.total.requestsByPod).length, 2, JSON.stringify(api.total.requestsByPod));
  });

  it('pod-kill under load: k6 sees errors in the kill window and none before it', async () => {
    const run = startLoad({
      k6Bin,
      script: steppedLoadScript(root),
      plan: loadOf([{ rps: 40, duration: '25s' }]),
      outDir: mkdtempSync(join(tmpdir(), 'probelab-k6-')),
    });
    await new Promise((r) => setTimeout(r, 8_000));
    let killedAtMs = 0;
    await withFault('pod-kill', async (outcome) => {
      injected(outcome);
      killedAtMs = outcome.appliedAt;
    });
    const result = await run.done;
    const [api] = result.series.variants;
    assert.ok(api);
    // Windows are whole seconds of the load generator's clock (this host's, like appliedAt).
    const before = api.windows.filter((w) => w.toUs / 1000 <= killedAtMs - 1_000);
    const killWindow = api.windows.filter(
      (w) => w.fromUs / 1000 >= killedAtMs - 1_000 && w.fromUs / 1000 <= killedAtMs + 15_000,
    );
    assert.equal(
      before.reduce((n, w) => n + w.errors.total, 0),
      0,
      'no error before the kill',
    );
    const errors = killWindow.reduce((n, w) => n + w.errors.total, 0);
    assert.ok(
      errors > 0,
      `errors in the 15 s after the kill: ${errors} of ${killWindow.reduce((n, w) => n + w.requests, 0)}`,
    );
  });

  it('a crashed run (SIGKILL mid-fault) leaves a chaos resource that `clean` removes by label', async () => {
    const crashRun = `${runId}-crash`;
    const { child, out, exited } = probelab([
      'fault',
      writeScenario(scenarioText),
      '--entry',
      '2',
      '--run-id',
      crashRun,
      '--hold',
      '600',
      '--name',
      CLUSTER,
    ]);
    try {
      await waitFor(
        ctx,
        300_000,
        async () => (/• Hold the fault/.test(out.stderr) ? true : undefined),
        async () => `the fault was not held: ${out.stderr.slice(-2000)}`,
      );
      child.kill('SIGKILL');
      await exited;
      assert.equal((await listChaos(kube, crashRun)).length, 1, 'the crash left the NetworkChaos behind');
      const removed = await cleanLeftovers(kube, { runId: crashRun, dryRun: false }, ctx);
      assert.deepEqual(removed, [
        `NetworkChaos ${namespaceFor(crashRun)}/t2-network-partition-api`,
        `namespace ${namespaceFor(crashRun)}`,
      ]);
      assert.deepEqual(await listChaos(kube, crashRun), []);
      assert.deepEqual(await cleanLeftovers(kube, { runId: crashRun, dryRun: false }, ctx), [], 'idempotent');
    } finally {
      child.kill('SIGKILL');
      await deleteNamespace(namespaceFor(crashRun));
    }
  });

  it('SIGINT in the middle of a partition: `probelab fault` removes it, no resource and no rule remain', async () => {
    const faultRun = `${runId}-int`;
    const faultNamespace = namespaceFor(faultRun);
    const { child, out, exited } = probelab([
      'fault',
      writeScenario(scenarioText),
      '--entry',
      '2',
      '--run-id',
      faultRun,
      '--hold',
      '600',
      '--keep',
      '--name',
      CLUSTER,
    ]);
    try {
      await waitFor(
        ctx,
        300_000,
        async () => (/• Hold the fault/.test(out.stderr) ? true : undefined),
        async () => `the fault was not held: ${out.stderr.slice(-2000)}`,
      );
      assert.equal((await listChaos(kube, faultRun)).length, 1, 'one NetworkChaos: api has no variants');
      const during = await daemonRuleGauges(kube, faultNamespace);
      assert.ok(during.activeIptablesRules > 0, `rules act before the interrupt: ${JSON.stringify(during)}`);
      child.kill('SIGINT');
      assert.equal(await exited, 130, `exit code after SIGINT; stderr: ${out.stderr.slice(-2000)}`);
      assert.deepEqual(await listChaos(kube, faultRun), [], 'no chaos resource of the run remains');
      const after = await daemonRuleGauges(kube, faultNamespace);
      assert.equal(after.activeIptablesRules, 0, `no rule acts on traffic: ${JSON.stringify(after)}`);
      assert.equal(
        after.tcRules,
        2 * (await kube.core.listNamespacedPod({ namespace: faultNamespace })).items.length,
      );
      assert.match(out.stdout, new RegExp(`leftover chaos resources of run ${faultRun}: 0`));
      assert.match(out.stdout, /interrupted; network-partition: injected, recovered, nothing left behind/);
    } finally {
      child.kill('SIGKILL');
      await deleteNamespace(faultNamespace);
    }
  });
});

describe('Chaos Mesh install on a reused cluster (real)', function () {
  this.timeout(10 * 60_000);
  const CRD = 'awschaos'; // a kind probelab never creates, so removing it disturbs no other test

  it('applies the CRDs only when they changed or one went missing, and leaves the add-on ready', async function () {
    const cluster = await sharedCluster();
    if (!cluster) return this.skip();
    const kube = cluster.kube;
    const options = cluster.chaosMesh;
    assert.ok(options, 'the shared kind cluster records how Chaos Mesh was installed');
    const notes: string[] = [];
    const noting = { signal: ctx.signal, note: (n: string) => void notes.push(n) };
    const served = async () =>
      new Set(
        (await kube.custom.getAPIResources({ group: 'chaos-mesh.org', version: 'v1alpha1' })).resources.map(
          (r) => r.name,
        ),
      );

    // The shared cluster's own install ran just before: the same CRDs are served.
    assert.match(await installChaosMesh(kube, options, noting), /controller and daemons ready/);
    assert.deepEqual(notes, ['23 CRDs unchanged since they were applied']);

    await kube.objects.delete({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${CRD}.chaos-mesh.org` },
    });
    await waitFor(
      ctx,
      60_000,
      async () => (!(await served()).has(CRD) ? true : undefined),
      async () => `${CRD} still served`,
    );
    notes.length = 0;
    await installChaosMesh(kube, options, noting);
    assert.deepEqual(notes, ['23 CRDs applied']);
    await waitFor(
      ctx,
      60_000,
      async () => ((await served()).has(CRD) ? true : undefined),
      async () => `${CRD} not served again`,
    );
  });
});
