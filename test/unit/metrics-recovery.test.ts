/** Chaos recovery per fault and config propagation per update. */
import assert from 'node:assert/strict';
import { computeMetrics, type VariantMetrics } from '../../harness/core/metrics/index.ts';
import { at, input, Recorder, seriesOf, window } from './metrics-builders.ts';

describe('metrics: chaos recovery', () => {
  const r = new Recorder();
  const up = { scheduled: -100, ready: -95, containers: [{ runningSince: -99 }] };
  r.pod('SYNCED', 0.1, { name: 'web-1', created: -100, ...up });
  r.pod('SYNCED', 0.1, { name: 'web-2', created: -100, ...up });
  r.listed('Pod', 0.2);
  // pod-kill at 200 s: web-1 deleted (200.3, DELETED 201), web-5 added 200.4 and Ready at 206.
  r.pod('MODIFIED', 200.3, { name: 'web-1', created: -100, deleting: 200, ...up });
  r.pod('DELETED', 201, { name: 'web-1', created: -100, deleting: 200, ...up });
  r.pod('ADDED', 200.4, { name: 'web-5', created: 200 });
  r.pod('MODIFIED', 206, {
    name: 'web-5',
    created: 200,
    scheduled: 200,
    ready: 206,
    containers: [{ runningSince: 201 }],
  });
  // container-kill at 300 s: web-2 restarts, not ready at 300.5, ready again at 304.
  r.pod('MODIFIED', 300.5, {
    name: 'web-2',
    created: -100,
    scheduled: -100,
    containers: [
      {
        restartCount: 1,
        ready: false,
        runningSince: 300,
        lastTerminated: { reason: 'Error', exitCode: 137 },
      },
    ],
  });
  r.pod('MODIFIED', 304, {
    name: 'web-2',
    created: -100,
    scheduled: -100,
    ready: 304,
    containers: [{ restartCount: 1, runningSince: 300, lastTerminated: { reason: 'Error', exitCode: 137 } }],
  });
  // pod-kill at 400 s: web-5 deleted; its replacement web-6 never gets Ready.
  r.pod('MODIFIED', 400.2, {
    name: 'web-5',
    created: 200,
    deleting: 400,
    scheduled: 200,
    ready: 206,
    containers: [{ runningSince: 201 }],
  });
  r.pod('ADDED', 400.3, { name: 'web-6', created: 400 });

  // p95 over 200 ms in 200-209 s and 450-459 s (the network delay 440-450 s, recovering after it ends).
  const windows = Array.from({ length: 600 }, (_, s) =>
    window(s, { p95: (s >= 200 && s < 210) || (s >= 440 && s < 459) ? 400 : 20 }),
  );
  const faults = [
    { name: 'f-pod-kill', action: 'pod-kill', variant: 'web', injectedAtMs: at(200) },
    { name: 'f-container-kill', action: 'container-kill', variant: 'web', injectedAtMs: at(300) },
    { name: 'f-pod-kill-2', action: 'pod-kill', variant: 'web', injectedAtMs: at(400) },
    { name: 'f-delay', action: 'network-delay', variant: 'web', injectedAtMs: at(440) },
    { name: 'f-never', action: 'pod-kill', variant: 'web' },
  ];
  const v = computeMetrics(
    input({
      observations: r.list,
      series: seriesOf('web', windows),
      faults,
      chaosWindows: [{ label: 'network-delay at 7m20s', variant: 'web', fromMs: at(440), toMs: at(450) }],
      slos: { latency: { p95: '200ms' } },
    }),
  ).variants[0] as VariantMetrics;
  const [kill, container, kill2, delay, never] = v.chaosRecovery;

  it('follows a pod-kill to its replacement Ready (rescheduling, readiness, total)', () => {
    assert.equal(kill?.kind, 'pod-replacement');
    const p = kill?.replaced[0];
    assert.equal(p?.killed, 'web-1');
    assert.equal(p?.replacement, 'web-5');
    assert.equal(p?.rescheduling.ms, 100);
    assert.equal(p?.serverRescheduling.ms, 0);
    assert.equal(p?.readiness.ms, 5_600);
    assert.equal(kill?.total.ms, 6_000);
    assert.deepEqual(kill?.unrecovered, []);
    assert.equal(kill?.sloRecovery.ms, 10_000);
  });

  it('follows a container-kill in place', () => {
    assert.equal(container?.kind, 'in-place');
    assert.deepEqual(container?.inPlace, [
      {
        pod: 'web-2',
        notReadyAtMs: at(300.5),
        readyAgainAtMs: at(304),
        downtime: { ms: 3_500, source: 'arrival (host wall clock, 1 ms)' },
      },
    ]);
    assert.equal(container?.total.ms, 4_000);
    assert.equal(container?.sloRecovery.ms, 0);
  });

  it('lists what never recovered', () => {
    assert.deepEqual(kill2?.unrecovered, ['web-5: its replacement web-6 never became Ready']);
    assert.deepEqual(kill2?.total, {
      ms: null,
      reason: '1 of 1 killed pod(s) not recovered by the end of the run',
    });
  });

  it('measures a timed fault’s SLO recovery from the end of its window', () => {
    assert.equal(delay?.kind, 'none');
    assert.equal(delay?.sloRecovery.ms, 9_000);
    assert.equal(never?.total.ms, null);
    assert.equal(never?.reason, 'the fault was never injected');
  });
});

describe('metrics: config propagation', () => {
  const r = new Recorder();
  r.pod('SYNCED', 0.1, { name: 'web-3', created: -100, scheduled: -100, ready: -95 });
  r.listed('Pod', 0.2);
  r.pod('MODIFIED', 104, { name: 'web-3', created: -100, deleting: 104, scheduled: -100, ready: -95 });
  r.pod('ADDED', 105, { name: 'web-4', created: 105 });
  const update = (samples: [string, string, number][]) => ({
    variant: 'web',
    atMs: at(100),
    version: 'v2',
    samples: samples.map(([pod, version, s]) => ({ pod, version, atMs: at(s) })),
  });
  const cases = [
    {
      name: 'every pod reports the new version: the last one sets the time',
      samples: [
        ['web-1', 'v1', 95],
        ['web-1', 'v1', 101],
        ['web-1', 'v2', 103],
        ['web-2', 'v1', 100.5],
        ['web-2', 'v2', 106],
        ['web-3', 'v1', 101], // deleted at 104 before reporting: not waited for
        ['web-4', 'v2', 107], // created after the update: flagged
      ] as [string, string, number][],
      outcome: 'propagated',
      ms: 6_000 as number | null,
      never: [] as string[],
      sampling: 5_500,
    },
    {
      name: '"never" when a pod still reports the old version at the end',
      samples: [
        ['web-1', 'v2', 102],
        ['web-2', 'v1', 101],
        ['web-2', 'v1', 110],
      ] as [string, string, number][],
      outcome: 'never',
      ms: null,
      never: ['web-2'],
      sampling: 9_000,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const v = computeMetrics(input({ observations: r.list, configUpdates: [update(c.samples)] }))
        .variants[0] as VariantMetrics;
      const p = v.configPropagation[0];
      assert.equal(p?.outcome, c.outcome);
      assert.equal(p?.propagation.ms, c.ms);
      assert.deepEqual(p?.never, c.never);
      assert.equal(p?.samplingIntervalMs, c.sampling);
      if (c.outcome === 'never')
        assert.deepEqual(p?.propagation, {
          ms: null,
          reason: 'never: web-2 did not report version v2 by the end of the run',
        });
      else {
        assert.deepEqual(
          p?.pods.map((x) => [x.pod, x.delay.ms, x.gone, x.createdAfterUpdate]),
          [
            ['web-1', 3_000, false, false],
            ['web-2', 6_000, false, false],
            ['web-3', null, true, false],
            ['web-4', 7_000, false, true],
          ],
        );
      }
    });
});
