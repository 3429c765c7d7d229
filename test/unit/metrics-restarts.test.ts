/** Restarts by cause and the probable false kill rule, on hand-made pod and event sequences. */
import assert from 'node:assert/strict';
import { computeMetrics, restartCountsOf, type VariantMetrics } from '../../harness/core/metrics/index.ts';
import { at, input, Recorder, seriesOf, T0, window } from './metrics-builders.ts';

const liveness = (name: string, pod: string, atS: number, count = 1) =>
  ({
    name,
    reason: 'Killing',
    message: 'Container app failed liveness probe, will be restarted',
    pod,
    container: 'app',
    count,
    created: atS,
  }) as const;

function scenario(): VariantMetrics {
  const r = new Recorder();
  // web-a existed before the run with 2 restarts: only the increment seen in the run counts.
  r.pod('SYNCED', 0.1, {
    name: 'web-a',
    created: -100,
    scheduled: -100,
    ready: -95,
    containers: [{ restartCount: 2, runningSince: -50 }],
  });
  r.listed('Pod', 0.2, 1).listed('Event', 0.2, 0);
  // Liveness kill at 58 s of web-a, which answered requests in 45-59 s: probable false kill (traffic).
  r.event('ADDED', 58, liveness('web-a.kill', 'web-a', 58));
  r.pod('MODIFIED', 60, {
    name: 'web-a',
    created: -100,
    scheduled: -100,
    ready: -95,
    containers: [
      {
        restartCount: 3,
        runningSince: 59,
        lastTerminated: { reason: 'Error', exitCode: 137, startedAt: -50, finishedAt: 59 },
      },
    ],
  });
  // web-b: created in the run, killed by liveness at 98 s without traffic and long after its start: not flagged.
  r.pod('ADDED', 10, { name: 'web-b', created: 10 });
  r.pod('MODIFIED', 14, {
    name: 'web-b',
    created: 10,
    scheduled: 10,
    ready: 14,
    containers: [{ runningSince: 12 }],
  });
  r.event('ADDED', 98, liveness('web-b.kill', 'web-b', 98));
  r.pod('MODIFIED', 100, {
    name: 'web-b',
    created: 10,
    scheduled: 10,
    ready: 14,
    containers: [
      {
        restartCount: 1,
        runningSince: 100,
        lastTerminated: { reason: 'Completed', exitCode: 0, startedAt: 12, finishedAt: 99 },
      },
    ],
  });
  // web-c: killed 5 s after it started, inside its startup allowance (0 + 5 × 3 = 15 s): flagged.
  r.pod('ADDED', 200, { name: 'web-c', created: 200, scheduled: 200, containers: [{ runningSince: 200 }] });
  r.event('ADDED', 205, liveness('web-c.kill', 'web-c', 205));
  r.pod('MODIFIED', 207, {
    name: 'web-c',
    created: 200,
    scheduled: 200,
    containers: [
      {
        restartCount: 1,
        runningSince: 207,
        lastTerminated: { reason: 'Error', exitCode: 137, startedAt: 200, finishedAt: 206 },
      },
    ],
  });
  // web-d: OOMKilled; later deleted by a relist's synthesised DELETED (which adds nothing).
  r.pod('ADDED', 250, {
    name: 'web-d',
    created: 250,
    scheduled: 250,
    ready: 252,
    containers: [{ runningSince: 251 }],
  });
  r.pod('MODIFIED', 300, {
    name: 'web-d',
    created: 250,
    scheduled: 250,
    ready: 252,
    containers: [
      { restartCount: 1, runningSince: 300, lastTerminated: { reason: 'OOMKilled', exitCode: 137 } },
    ],
  });
  // web-e: two error exits (codes 2 and 1); a relist repeats its last state.
  const e = { name: 'web-e', created: 250, scheduled: 250, ready: 252 };
  r.pod('ADDED', 250.5, { ...e, containers: [{ runningSince: 251 }] });
  r.pod('MODIFIED', 310, {
    ...e,
    containers: [{ restartCount: 1, runningSince: 310, lastTerminated: { reason: 'Error', exitCode: 2 } }],
  });
  r.pod(
    'MODIFIED',
    330,
    {
      ...e,
      containers: [{ restartCount: 2, runningSince: 330, lastTerminated: { reason: 'Error', exitCode: 1 } }],
    },
    '900',
  );
  r.gap('Pod', 340, 360);
  r.pod(
    'SYNCED',
    360,
    {
      ...e,
      containers: [{ restartCount: 2, runningSince: 330, lastTerminated: { reason: 'Error', exitCode: 1 } }],
    },
    '900',
  );
  r.pod(
    'DELETED',
    360,
    {
      name: 'web-d',
      created: 250,
      scheduled: 250,
      ready: 252,
      containers: [{ restartCount: 1, runningSince: 300 }],
    },
    '901',
    true,
  );
  r.listed('Pod', 360.1, 4);
  // web-f: a restart inside the container-kill window at 400 s.
  r.pod('ADDED', 390, {
    name: 'web-f',
    created: 390,
    scheduled: 390,
    ready: 392,
    containers: [{ runningSince: 391 }],
  });
  r.pod('MODIFIED', 405, {
    name: 'web-f',
    created: 390,
    scheduled: 390,
    ready: 392,
    containers: [{ restartCount: 1, runningSince: 404, lastTerminated: { reason: 'Error', exitCode: 137 } }],
  });
  // web-g: evicted.
  r.pod('ADDED', 450, {
    name: 'web-g',
    created: 450,
    scheduled: 450,
    ready: 452,
    containers: [{ runningSince: 451 }],
  });
  r.pod('MODIFIED', 500, {
    name: 'web-g',
    created: 450,
    scheduled: 450,
    phase: 'Failed',
    reason: 'Evicted',
    containers: [{}],
  });

  const windows = Array.from({ length: 600 }, (_, s) =>
    window(s, { pods: s >= 45 && s < 60 ? { 'web-a': 5 } : {} }),
  );
  const m = computeMetrics(
    input({
      observations: r.list,
      series: seriesOf('web', windows),
      variants: [
        {
          name: 'web',
          loaded: true,
          probes: {
            liveness: { httpGet: { path: '/livez', port: 'http' }, periodSeconds: 5, failureThreshold: 3 },
          },
        },
      ],
      faults: [
        { name: 't3-container-kill-web', action: 'container-kill', variant: 'web', injectedAtMs: at(400) },
      ],
      chaosWindows: [{ label: 'container-kill at 6m40s', variant: 'web', fromMs: at(400), toMs: at(430) }],
    }),
  );
  return m.variants[0] as VariantMetrics;
}

describe('metrics: restarts', () => {
  const v = scenario();

  it('counts increments in the run window only, by cause', () => {
    assert.deepEqual(v.restarts.byCause, {
      liveness: 3,
      oom: 1,
      error: 2,
      chaos: 1,
      eviction: 1,
      unknown: 0,
    });
    assert.equal(v.restarts.total, 8);
    assert.deepEqual(restartCountsOf(v), {
      variant: 'web',
      total: 8,
      byCause: { liveness: 3, oom: 1, error: 2, chaos: 1, eviction: 1 },
    });
  });

  const cases: {
    pod: string;
    cause: string;
    atS: number;
    exitCode?: number;
    terminationReason?: string;
    container?: string | null;
  }[] = [
    { pod: 'web-a', cause: 'liveness', atS: 60, exitCode: 137, terminationReason: 'Error' },
    { pod: 'web-b', cause: 'liveness', atS: 100, exitCode: 0, terminationReason: 'Completed' },
    { pod: 'web-c', cause: 'liveness', atS: 207, exitCode: 137 },
    { pod: 'web-d', cause: 'oom', atS: 300, exitCode: 137, terminationReason: 'OOMKilled' },
    { pod: 'web-e', cause: 'error', atS: 310, exitCode: 2 },
    { pod: 'web-e', cause: 'error', atS: 330, exitCode: 1 },
    { pod: 'web-f', cause: 'chaos', atS: 405, exitCode: 137 },
    { pod: 'web-g', cause: 'eviction', atS: 500, container: null },
  ];
  for (const [i, c] of cases.entries())
    it(`restart ${i}: ${c.pod} at ${c.atS} s is ${c.cause}`, () => {
      const r = v.restarts.restarts[i];
      assert.ok(r);
      assert.equal(r.pod, c.pod);
      assert.equal(r.cause, c.cause);
      assert.equal(r.atMs - T0, c.atS * 1000);
      assert.equal(r.container, c.container === undefined ? 'app' : c.container);
      if (c.exitCode !== undefined) assert.equal(r.exitCode, c.exitCode);
      if (c.terminationReason) assert.equal(r.terminationReason, c.terminationReason);
    });

  it('gives the exit code in the reason of an error restart', () => {
    assert.equal(v.restarts.restarts[4]?.reason, 'terminated (Error) with exit code 2');
    assert.equal(v.restarts.restarts[6]?.reason, 'inside the chaos window of container-kill at 6m40s');
  });

  it('flags a liveness kill of a pod that served traffic, with the reason', () => {
    const a = v.restarts.restarts[0]?.liveness;
    assert.ok(a);
    assert.equal(a.probableFalseKill, true);
    assert.equal(a.requestsBefore, 50); // 5 requests in each of the 1 s windows 48-57 overlapping [48 s, 58 s)
    assert.equal(a.killedAtMs, at(58));
    assert.equal(a.sinceStartMs, 108_000);
    assert.equal(a.startupAllowanceMs, 15_000);
    assert.deepEqual(a.reasons, [
      'the pod answered 50 request(s) in the 10 s before the kill (1 s windows overlapping [kill − 10 s, kill))',
    ]);
  });

  it('does not flag a liveness kill without traffic after the startup window', () => {
    const b = v.restarts.restarts[1]?.liveness;
    assert.ok(b);
    assert.equal(b.probableFalseKill, false);
    assert.equal(b.requestsBefore, 0);
    assert.deepEqual(b.reasons, []);
    assert.deepEqual(b.unchecked, []);
  });

  it('flags a liveness kill inside the startup allowance', () => {
    const c = v.restarts.restarts[2]?.liveness;
    assert.ok(c);
    assert.equal(c.probableFalseKill, true);
    assert.equal(c.sinceStartMs, 5_000);
    assert.match(
      c.reasons[0] ?? '',
      /started 5\.0 s before the kill, inside its startup allowance of 15 s \(liveness probe/,
    );
    assert.equal(v.restarts.probableFalseKills, 2);
  });

  it('summarises per container', () => {
    const e = v.restarts.byContainer.find((c) => c.pod === 'web-e');
    assert.equal(e?.total, 2);
    assert.equal(e?.byCause.error, 2);
  });

  it('leaves the probable false kill unchecked for traffic without a series', () => {
    const r = new Recorder();
    r.pod('ADDED', 10, {
      name: 'web-x',
      created: 10,
      scheduled: 10,
      ready: 12,
      containers: [{ runningSince: 11 }],
    });
    r.event('ADDED', 99, liveness('web-x.kill', 'web-x', 99));
    r.pod('MODIFIED', 100, {
      name: 'web-x',
      created: 10,
      scheduled: 10,
      ready: 12,
      containers: [{ restartCount: 1, runningSince: 100, lastTerminated: { exitCode: 137, startedAt: 11 } }],
    });
    const m = computeMetrics(input({ observations: r.list }));
    const l = m.variants[0]?.restarts.restarts[0]?.liveness;
    assert.equal(l?.probableFalseKill, false);
    assert.deepEqual(l?.unchecked, ['traffic: no load series for this variant']);
    assert.equal(l?.requestsBefore, null);
  });
});
