/**
 * Watchers against the real apiserver: what a Deployment's life looks like in the observations, and the
 * two ways a watch breaks — a stream that dies (resumed from the last resourceVersion, gap recorded) and
 * a resource version too old (410: relist, SYNCED records, gap recorded) — without losing the objects
 * that changed meanwhile.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kube } from '../../harness/adapters/kube.ts';
import { startWatchers } from '../../harness/adapters/watch.ts';
import {
  isObjectRecord,
  type ObjectRecord,
  type Observation,
  type TrimmedEndpointSlice,
  type TrimmedPod,
  type WatchMarker,
} from '../../harness/core/observations.ts';
import { LABELS, MANAGED_BY } from '../../harness/core/render.ts';
import { deleteNamespaceAndWait, waitFor } from '../../harness/runtime/cluster.ts';
import { ctx, sharedCluster } from './shared.ts';

const namespace = `probelab-watch-${Date.now().toString(36)}`;

describe('watchers (real cluster)', function () {
  let kube: Kube;
  let image: string;

  before(async function () {
    const handle = await sharedCluster();
    if (!handle) return this.skip();
    kube = handle.kube;
    image = handle.sampleImage;
    await kube.core.createNamespace({
      body: { metadata: { name: namespace, labels: { [LABELS.managedBy]: MANAGED_BY } } },
    });
  });

  after(async function () {
    if (kube) await deleteNamespaceAndWait(kube, namespace);
  });

  const deployment = (name: string, replicas: number) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { [LABELS.managedBy]: MANAGED_BY } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'sample',
              image,
              imagePullPolicy: 'Never',
              ports: [{ name: 'http', containerPort: 8080 }],
              env: [{ name: 'SAMPLE_GRPC_PORT', value: '0' }],
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  });
  const service = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { [LABELS.managedBy]: MANAGED_BY } },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 'http' }] },
  });

  const records = (obs: readonly Observation[], kind: string) =>
    obs.filter((o): o is ObjectRecord => isObjectRecord(o) && o.kind === kind);
  const markers = (obs: readonly Observation[], marker: string) =>
    obs.filter((o): o is WatchMarker => !isObjectRecord(o) && o.marker === marker);
  const readyPodsSeen = (obs: readonly Observation[], app: string) =>
    new Set(
      records(obs, 'Pod')
        .filter((r) => r.object.metadata.name.startsWith(`${app}-`))
        .filter((r) =>
          (r.object as TrimmedPod).status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        )
        .map((r) => r.object.metadata.name),
    );

  it('records a Deployment becoming available: pods, events, replica sets, endpoint slices, in arrival order, to NDJSON', async function () {
    const file = join(mkdtempSync(join(tmpdir(), 'probelab-watch-')), 'observations.ndjson');
    const watchers = await startWatchers(kube, namespace, file);
    await kube.apply([deployment('alpha', 2), service('alpha')]);
    // Waiting on the watchers' own view, woken at each change: no API call.
    const settled = () =>
      records(watchers.observations, 'EndpointSlice').some(
        (r) => (r.object as TrimmedEndpointSlice).endpoints.filter((e) => e.ready).length === 2,
      ) &&
      watchers.current('Deployment').find((d) => d.metadata.name === 'alpha')?.status.availableReplicas === 2;
    const deadline = Date.now() + 120_000;
    while (!settled() && Date.now() < deadline) await watchers.changed(5_000);
    assert.ok(settled(), 'alpha never had 2 ready endpoints and 2 available replicas in the observations');
    assert.deepEqual(
      watchers
        .current('Pod')
        .map((p) => p.metadata.name)
        .filter((n) => n.startsWith('alpha-')).length,
      2,
      'the current view holds the two pods',
    );
    const summary = await watchers.stop();
    const waited = Date.now();
    await watchers.changed(10_000);
    assert.ok(Date.now() - waited < 100, 'changed() returns at once once stopped');
    const obs = summary.observations;
    assert.equal(summary.gaps, 0, JSON.stringify(markers(obs, 'gap')));
    assert.deepEqual(summary.errors, []);
    assert.equal(readyPodsSeen(obs, 'alpha').size, 2);
    const podAdds = records(obs, 'Pod').filter((r) => r.type === 'ADDED');
    assert.equal(podAdds.length, 2);
    assert.ok(records(obs, 'ReplicaSet').length > 0 && records(obs, 'Deployment').length > 0);
    assert.ok(
      records(obs, 'Event').some((r) => (r.object as { reason?: string }).reason === 'Scheduled'),
      'the scheduler events arrive',
    );
    // Arrival order: seq and both clocks never go backwards; the server's time is never after arrival
    // by more than its truncation allows (1 s; same host clock).
    for (let i = 1; i < obs.length; i++) {
      assert.equal(obs[i]!.seq, obs[i - 1]!.seq + 1);
      assert.ok(obs[i]!.monoMs >= obs[i - 1]!.monoMs);
    }
    for (const r of records(obs, 'Pod')) if (r.serverMs) assert.ok(r.arrivalMs - r.serverMs > -1_000);
    // The file holds a header and then exactly what was kept in memory.
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.match(lines[0]!, /"version":"probelab.dev\/observations\/v1"/);
    assert.equal(lines.length, obs.length + 1);
    assert.deepEqual(JSON.parse(lines.at(-1)!), obs.at(-1));
  });

  it('survives a broken stream and a too-old resource version without losing objects', async function () {
    const file = join(mkdtempSync(join(tmpdir(), 'probelab-watch-')), 'observations.ndjson');
    // resourceVersion "1" is long compacted: every first watch gets 410 Gone and must relist.
    const watchers = await startWatchers(kube, namespace, file, {
      kinds: ['Pod', 'EndpointSlice'],
      startResourceVersion: '1',
    });
    await waitFor(
      ctx,
      30_000,
      async () =>
        ['Pod', 'EndpointSlice'].every((kind) =>
          markers(watchers.observations, 'gap').some((m) => m.kind === kind && /410/.test(m.reason ?? '')),
        ) || undefined,
      async () => `no 410 gap for both kinds: ${JSON.stringify(markers(watchers.observations, 'gap'))}`,
    );
    // Give the resumed watches a moment to be established before one is broken.
    await new Promise((r) => setTimeout(r, 1_000));
    // The relist found nothing new (the objects were recorded by the first list): no duplicates.
    const syncedBefore = records(watchers.observations, 'Pod').length;
    assert.equal(syncedBefore, 2, 'the two alpha pods, once each');

    watchers.interrupt('Pod');
    await kube.apply([deployment('beta', 1)]);
    await waitFor(
      ctx,
      120_000,
      async () => (readyPodsSeen(watchers.observations, 'beta').size === 1 ? true : undefined),
      async () => 'beta never seen ready through the resumed watch',
    );
    await kube.apps.deleteNamespacedDeployment({ name: 'beta', namespace });
    await waitFor(
      ctx,
      60_000,
      async () =>
        records(watchers.observations, 'Pod').some(
          (r) => r.type === 'DELETED' && r.object.metadata.name.startsWith('beta-'),
        ) || undefined,
      async () => 'the beta pod deletion was never seen',
    );
    const summary = await watchers.stop();
    const gaps = markers(summary.observations, 'gap');
    const broken = gaps.filter((g) => g.kind === 'Pod' && !/410/.test(g.reason ?? ''));
    assert.equal(broken.length, 1, JSON.stringify(gaps));
    assert.ok(broken[0]!.toMs! >= broken[0]!.fromMs!);
    assert.equal(summary.gaps, gaps.length);
  });
});
