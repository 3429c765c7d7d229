/** Relists, synthesised deletions and repeats counted once; watch health; the run's metrics as JSON. */
import assert from 'node:assert/strict';
import { buildHistories, existedAtStart } from '../../harness/core/metrics/history.ts';
import { computeMetrics, METRICS_VERSION, type VariantMetrics } from '../../harness/core/metrics/index.ts';
import { at, input, Recorder, seriesOf, T0, window } from './metrics-builders.ts';

function relisted(): Recorder {
  const r = new Recorder();
  r.listed('Pod', 0.2).listed('Event', 0.2);
  const base = { name: 'web-1', created: 10, scheduled: 10, ready: 12 };
  r.pod('ADDED', 10, { ...base, containers: [{ runningSince: 11 }] });
  r.pod(
    'MODIFIED',
    20,
    {
      ...base,
      containers: [{ restartCount: 1, runningSince: 20, lastTerminated: { reason: 'Error', exitCode: 1 } }],
    },
    '300',
  );
  r.gap('Pod', 30, 40);
  // The relist repeats the last state (same resourceVersion), then a changed one with the same restart count.
  r.pod(
    'SYNCED',
    40,
    {
      ...base,
      containers: [{ restartCount: 1, runningSince: 20, lastTerminated: { reason: 'Error', exitCode: 1 } }],
    },
    '300',
  );
  r.pod(
    'SYNCED',
    40,
    {
      ...base,
      ready: 39,
      containers: [{ restartCount: 1, runningSince: 20, lastTerminated: { reason: 'Error', exitCode: 1 } }],
    },
    '301',
  );
  r.pod('DELETED', 40, { ...base, containers: [{ restartCount: 1, runningSince: 20 }] }, '301', true);
  r.listed('Pod', 40.1);
  // A watch DELETED after the synthesised one: ignored.
  r.pod('DELETED', 42, { ...base, containers: [{ restartCount: 2, runningSince: 41 }] }, '302');
  // web-2: a watch DELETED, then a relist's synthesised one: the first stands.
  r.pod('ADDED', 45, { name: 'web-2', created: 45 });
  r.pod('DELETED', 50, { name: 'web-2', created: 45 });
  r.gap('Event', 35, 45);
  r.pod('DELETED', 60, { name: 'web-2', created: 45 }, undefined, true);
  return r;
}

describe('metrics: histories', () => {
  const h = buildHistories(relisted().list, ['web'], T0);

  it('drops repeated states, and flags relisted ones', () => {
    const web1 = h.pods.find((p) => p.name === 'web-1');
    assert.deepEqual(
      web1?.states.map((s) => [s.type, s.arrivalMs - T0, s.relisted]),
      [
        ['ADDED', 10_000, false],
        ['MODIFIED', 20_000, false],
        ['SYNCED', 40_000, true],
      ],
    );
    assert.equal(web1?.deletedAtMs, at(40));
    assert.equal(web1?.synthesizedDelete, true);
    const web2 = h.pods.find((p) => p.name === 'web-2');
    assert.equal(web2?.deletedAtMs, at(50));
    assert.equal(web2?.synthesizedDelete, false);
  });

  it('counts a restart once across a relist and deletions', () => {
    const v = computeMetrics(input({ observations: relisted().list })).variants[0] as VariantMetrics;
    assert.equal(v.restarts.total, 1);
    assert.equal(v.restarts.restarts[0]?.atMs, at(20));
    assert.equal(v.validity.restartsSeenInRelist, 0);
  });

  it('reports watch health: gaps, their union, relists and synthesised deletions', () => {
    const m = computeMetrics(input({ observations: relisted().list }));
    assert.deepEqual(m.watch.gaps, [
      { kind: 'Pod', fromMs: at(30), toMs: at(40), durationMs: 10_000, reason: 'stream closed' },
      { kind: 'Event', fromMs: at(35), toMs: at(45), durationMs: 10_000, reason: 'stream closed' },
    ]);
    assert.equal(m.watch.totalGapMs, 20_000);
    assert.deepEqual(m.watch.gapMsByKind, { Pod: 10_000, Event: 10_000 });
    assert.equal(m.watch.unionGapMs, 15_000);
    assert.equal(m.watch.relists, 1);
    assert.equal(m.watch.synthesizedDeletes, 1);
    assert.equal(m.watch.relistedStates, 1);
  });

  const existed: [string, number | undefined, boolean, boolean][] = [
    ['created 1 s before the run', -1000, false, true],
    ['created in the run', 0, true, false],
    ['created in the second the run started, came in the initial list', -500, true, true],
    ['created in the second the run started, added by the watch', -500, false, false],
    ['no creation time, initial list', undefined, true, true],
    ['no creation time, added', undefined, false, false],
  ];
  for (const [name, created, initialList, expected] of existed)
    it(`existed at start: ${name}`, () =>
      assert.equal(
        existedAtStart(created === undefined ? undefined : T0 + created, initialList, T0),
        expected,
      ));
});

describe('metrics: the whole run', () => {
  it('is JSON-serialisable without loss, with every variant and the sources', () => {
    const r = relisted();
    r.hpa('SYNCED', 0.1, 'web', 1);
    r.hpa('MODIFIED', 30, 'web', 2);
    r.pod('ADDED', 30.5, { name: 'web-7', created: 30 });
    r.pod('MODIFIED', 33, {
      name: 'web-7',
      created: 30,
      scheduled: 30,
      ready: 33,
      containers: [{ runningSince: 31 }],
    });
    r.slice('MODIFIED', 33.2, 'web', ['web-7']);
    const m = computeMetrics(
      input({
        observations: r.list,
        series: seriesOf(
          'web',
          Array.from({ length: 60 }, (_, s) => window(s)),
        ),
        stages: [{ index: 0, rps: 10, startMs: 0, holdStartMs: 0, endMs: 60_000 }],
        variants: [
          { name: 'web', loaded: true, hpa: { minReplicas: 1, maxReplicas: 3 } },
          { name: 'idle', loaded: false },
        ],
        faults: [{ name: 'f', action: 'pod-kill', variant: 'web', injectedAtMs: at(45) }],
        configUpdates: [{ variant: 'web', atMs: at(50), version: 'v2', samples: [] }],
        slos: { errorRate: { max: 0.01 } },
      }),
    );
    assert.equal(m.version, METRICS_VERSION);
    assert.equal(m.recoveryWindows, 5);
    assert.equal(m.falseKillTrafficSeconds, 10);
    assert.deepEqual(
      m.variants.map((v) => v.variant),
      ['web', 'idle'],
    );
    const web = m.variants[0] as VariantMetrics;
    assert.ok(web.scaling.defined);
    assert.equal(web.scaling.scaleUp[0]?.scaleUpLatency.ms, 33_200);
    assert.deepEqual(web.chaosRecovery[0]?.unrecovered, ['web-2: no replacement pod was created']);
    assert.equal(web.configPropagation[0]?.outcome, 'no-samples');
    assert.deepStrictEqual(JSON.parse(JSON.stringify(m)), m);
  });
});
