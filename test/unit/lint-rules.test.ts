/**
 * The lint rules one by one: the minimal scenario is clean, and each case changes one thing that must
 * trigger exactly its rule (and, for some, a near miss that must not).
 */
import assert from 'node:assert/strict';
import { lintObjects } from '../../harness/core/lint/lint.ts';
import { lintRules } from '../../harness/core/lint/rules.ts';
import { renderManifests, timelineObjects } from '../../harness/core/render.ts';
import { parseManifests } from '../../harness/config/manifests.ts';
import { PREVIEW_RENDER_OPTIONS } from '../../harness/cli/commands/defaults.ts';
import { modelOf, scenarioWith, workloadWith } from './builders.ts';

function findings(text: string) {
  const rendered = renderManifests(modelOf(text), PREVIEW_RENDER_OPTIONS);
  return lintObjects([...rendered.objects, ...timelineObjects(rendered)]);
}

const db = { name: 'db', probes: { readiness: { httpGet: { path: '/readyz', port: 'http' } } } };

interface Case {
  rule: string;
  name: string;
  text: string;
  field?: string;
}

const cases: Case[] = [
  {
    rule: 'liveness-same-as-readiness',
    name: 'liveness probes /readyz with readiness timings',
    text: workloadWith({
      probes: {
        liveness: {
          httpGet: { path: '/readyz' },
          periodSeconds: 2,
          timeoutSeconds: null,
          failureThreshold: null,
        },
      },
    }),
    field: 'probes.liveness',
  },
  {
    rule: 'liveness-checks-dependency',
    name: 'the service runs /livez in dependency mode',
    text: scenarioWith({
      workloads: [
        {
          name: 'web',
          resources: { requests: { cpu: '100m' } },
          behaviour: { livenessMode: 'dependency', dependency: 'db' },
          probes: {
            readiness: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2 },
            liveness: { httpGet: { path: '/livez', port: 'http' }, periodSeconds: 10, timeoutSeconds: 2 },
          },
        },
        db,
      ],
    }),
    field: 'behaviour.livenessMode',
  },
  {
    rule: 'liveness-checks-dependency',
    name: 'liveness probes a path that looks like a dependency check',
    text: workloadWith({ probes: { liveness: { httpGet: { path: '/health/deep' } } } }),
    field: 'probes.liveness.httpGet.path',
  },
  {
    rule: 'startup-allowance-too-short',
    name: 'a 20s listen delay against a 15s liveness allowance',
    text: workloadWith({ behaviour: { listenDelay: '20s' } }),
    field: 'probes.liveness',
  },
  {
    rule: 'startup-allowance-too-short',
    name: 'a startup probe on /startupz shorter than the sync phase',
    text: workloadWith({
      behaviour: { syncDuration: '30s' },
      probes: {
        startup: { httpGet: { path: '/startupz', port: 'http' }, periodSeconds: 2, failureThreshold: 5 },
      },
    }),
    field: 'probes.startup',
  },
  {
    rule: 'probe-timeout-under-cpu-limit',
    name: 'a 1s liveness timeout with a 200m CPU limit',
    text: workloadWith({
      resources: { limits: { cpu: '200m' } },
      probes: { liveness: { timeoutSeconds: 1 }, readiness: { timeoutSeconds: 3, periodSeconds: 4 } },
    }),
    field: 'probes.liveness.timeoutSeconds',
  },
  {
    rule: 'probe-timeout-not-below-period',
    name: 'a readiness timeout equal to its period',
    text: workloadWith({ probes: { readiness: { timeoutSeconds: 2 } } }),
    field: 'probes.readiness.timeoutSeconds',
  },
  {
    rule: 'liveness-fails-before-readiness',
    name: 'liveness acts after 2s, readiness after 6s',
    text: workloadWith({
      probes: { liveness: { periodSeconds: 2, failureThreshold: 1, timeoutSeconds: 1 } },
    }),
    field: 'probes.liveness.failureThreshold',
  },
  {
    rule: 'no-readiness-probe',
    name: 'no readiness probe',
    text: workloadWith({ probes: { readiness: null } }),
    field: 'probes.readiness',
  },
  {
    rule: 'grace-period-shorter-than-shutdown',
    name: 'a 10s grace period for a 5s drain and a 10s shutdown',
    text: workloadWith({ terminationGracePeriodSeconds: 10 }),
    field: 'terminationGracePeriodSeconds',
  },
  {
    rule: 'no-drain-before-shutdown',
    name: 'abrupt shutdown without preStop',
    text: workloadWith({ behaviour: { shutdown: { mode: 'abrupt' } } }),
    field: 'behaviour.shutdown.mode',
  },
  {
    rule: 'shutdown-ignores-sigterm',
    name: 'the service ignores SIGTERM',
    text: workloadWith({ behaviour: { shutdown: { mode: 'ignore' } } }),
    field: 'behaviour.shutdown.mode',
  },
  {
    rule: 'hpa-without-resource-request',
    name: 'a CPU HPA without a CPU request',
    text: workloadWith({ resources: null, hpa: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 60 } }),
    field: 'resources.requests.cpu',
  },
  {
    rule: 'hpa-cannot-scale',
    name: 'minReplicas equals maxReplicas',
    text: workloadWith({ hpa: { minReplicas: 2, maxReplicas: 2, cpuUtilization: 60 } }),
    field: 'hpa.maxReplicas',
  },
  {
    rule: 'slow-scale-up-policy',
    name: 'a 120s scale-up stabilization window',
    text: workloadWith({
      hpa: {
        minReplicas: 2,
        maxReplicas: 4,
        cpuUtilization: 60,
        behavior: { scaleUp: { stabilizationWindowSeconds: 120 } },
      },
    }),
    field: 'hpa.behavior.scaleUp.stabilizationWindowSeconds',
  },
  {
    rule: 'single-replica-under-pod-chaos',
    name: 'one replica and a pod-kill',
    text: workloadWith({ replicas: 1 }, { timeline: [{ at: '10s', action: 'pod-kill', target: 'web' }] }),
    field: 'replicas',
  },
  {
    rule: 'memory-limit-without-gomemlimit',
    name: 'a memory limit without GOMEMLIMIT',
    text: workloadWith({ resources: { limits: { memory: '128Mi' } } }),
    field: 'env.GOMEMLIMIT',
  },
  {
    rule: 'config-subpath-never-updates',
    name: 'a subPath config mount',
    text: workloadWith({ config: { data: { version: 'v1' }, mount: 'subPath' } }),
    field: 'config.mount',
  },
  {
    rule: 'config-watch-misses-symlink-swap',
    name: 'a file watch on a directory mount',
    text: workloadWith({ config: { data: { version: 'v1' }, reload: 'watch-file' } }),
    field: 'config.reload',
  },
  {
    rule: 'config-never-reloaded',
    name: 'no reload and a config update in the timeline',
    text: workloadWith(
      { config: { data: { version: 'v1' }, reload: 'none' } },
      { timeline: [{ at: '10s', action: 'config-update', target: 'web', data: { version: 'v2' } }] },
    ),
    field: 'config.reload',
  },
];

const nearMisses: { name: string; text: string }[] = [
  {
    name: 'a long sync phase does not matter to a liveness probe on /livez',
    text: workloadWith({ behaviour: { syncDuration: '60s' } }),
  },
  {
    name: 'a 3s timeout under a small CPU limit is fine',
    text: workloadWith({
      resources: { limits: { cpu: '200m' } },
      probes: { liveness: { timeoutSeconds: 3 }, readiness: { timeoutSeconds: 3, periodSeconds: 4 } },
    }),
  },
  {
    name: 'two replicas under pod-kill',
    text: workloadWith({ replicas: 2 }, { timeline: [{ at: '10s', action: 'pod-kill', target: 'web' }] }),
  },
  {
    name: 'a memory limit with GOMEMLIMIT',
    text: workloadWith({ resources: { limits: { memory: '128Mi' } }, env: { GOMEMLIMIT: '115MiB' } }),
  },
  {
    name: 'a directory mount watched as a directory',
    text: workloadWith({ config: { data: { version: 'v1' }, reload: 'watch-directory' } }),
  },
  {
    name: 'a grace period that covers preStop, drain and shutdown',
    text: workloadWith({
      terminationGracePeriodSeconds: 25,
      lifecycle: { preStop: { sleep: { seconds: 5 } } },
    }),
  },
];

describe('lint rules', () => {
  it('find nothing in the minimal scenario', () => assert.deepEqual(findings(workloadWith({})), []));

  for (const c of cases) {
    it(`${c.rule}: ${c.name}`, () => {
      const found = findings(c.text);
      assert.deepEqual(
        found.map((f) => f.rule),
        [c.rule],
        JSON.stringify(found.map((f) => f.detail)),
      );
      if (c.field) assert.equal(found[0]?.field.join('.'), c.field);
      assert.ok(found[0]?.why && found[0].fix, 'every finding says why and how to fix it');
    });
  }

  for (const c of nearMisses)
    it(`near miss: ${c.name}`, () =>
      assert.deepEqual(
        findings(c.text).map((f) => f.rule),
        [],
      ));

  it('every rule has a triggering case', () => {
    const tested = new Set(cases.map((c) => c.rule));
    assert.deepEqual(
      lintRules.map((r) => r.id).filter((id) => !tested.has(id)),
      [],
    );
  });

  it('lints plain manifests the same way, without the scenario', () => {
    const { objects, problems } = parseManifests(`
apiVersion: apps/v1
kind: Deployment
metadata: { name: shop, annotations: { probelab.dev/startup-time: 40s } }
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: app
          image: shop:1
          resources: { limits: { cpu: 250m, memory: 256Mi } }
          livenessProbe: { httpGet: { path: /healthz, port: 8080 }, initialDelaySeconds: 10 }
`);
    assert.deepEqual(problems, []);
    const rules = lintObjects(objects.map((o) => o.object)).map((f) => f.rule);
    assert.deepEqual(rules, [
      'startup-allowance-too-short',
      'probe-timeout-under-cpu-limit',
      'no-readiness-probe',
      'memory-limit-without-gomemlimit',
    ]);
  });
});
