/** planLoad and k6Args: the plan the k6 script runs, from the scenario's load section and SLOs. */
import assert from 'node:assert/strict';
import { scenarioSchema, type Scenario, type Slos } from '../../harness/config/v1alpha1.ts';
import { UserError } from '../../harness/core/errors.ts';
import { K6_ENV, k6Args, planLoad, thresholdsFor, type LoadTarget } from '../../harness/core/load/plan.ts';

/** loadOf parses a load section the way a scenario file would be (defaults applied). */
const loadOf = (load: Record<string, unknown>): Scenario['load'] =>
  scenarioSchema.shape.load.parse({ workload: 'web', ...load });
const web: LoadTarget[] = [{ variant: 'web', baseUrl: 'http://127.0.0.1:30080' }];

function userError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof UserError, String(err));
    return err.message;
  }
  assert.fail('expected a UserError');
}

describe('planLoad', () => {
  const stageCases: { name: string; stages: unknown[]; k6Stages: [number, string][]; durationMs: number }[] =
    [
      {
        name: 'a step without ramp jumps to its rate (a 0 ms k6 stage), then holds it',
        stages: [{ rps: 20, duration: '5s' }],
        k6Stages: [
          [20, '0ms'],
          [20, '5000ms'],
        ],
        durationMs: 5000,
      },
      {
        name: 'a ramp is a k6 stage from the previous rate to the new one',
        stages: [
          { rps: 20, duration: '5s' },
          { rps: 50, duration: '1m', ramp: '2.5s' },
          { rps: 0, duration: '1s', ramp: '500ms' },
        ],
        k6Stages: [
          [20, '0ms'],
          [20, '5000ms'],
          [50, '2500ms'],
          [50, '60000ms'],
          [0, '500ms'],
          [0, '1000ms'],
        ],
        durationMs: 69_000,
      },
    ];
  for (const c of stageCases)
    it(c.name, () => {
      const plan = planLoad(loadOf({ stages: c.stages }), web, {});
      assert.deepEqual(
        plan.k6Stages.map((s) => [s.target, s.duration]),
        c.k6Stages,
      );
      assert.equal(plan.loadDurationMs, c.durationMs);
      assert.equal(plan.stages.length, c.stages.length);
    });

  it('carries the request mix with encoded queries, the VUs, the timeout and the model', () => {
    const plan = planLoad(
      loadOf({
        model: 'open',
        stages: [{ rps: 1, duration: '1s' }],
        requests: [
          { path: '/work', weight: 3, query: { cpu: '5ms', payload: 1024, note: 'a b&c' } },
          { path: '/hostname' },
        ],
        vus: { preAllocated: 5, max: 50 },
        timeout: '1.5s',
      }),
      web,
      {},
    );
    assert.deepEqual(plan.requests, [
      { path: '/work', pathWithQuery: '/work?cpu=5ms&payload=1024&note=a%20b%26c', weight: 3 },
      { path: '/hostname', pathWithQuery: '/hostname', weight: 1 },
    ]);
    assert.deepEqual(plan.vus, { preAllocated: 5, max: 50 });
    assert.equal(plan.timeoutMs, 1500);
    assert.equal(plan.model, 'open');
    assert.equal(plan.version, 'probelab.dev/k6-plan/v1');
  });

  it('normalizes base URLs and keeps targets in order', () => {
    const plan = planLoad(
      loadOf({ stages: [{ rps: 1, duration: '1s' }] }),
      [
        { variant: 'b', baseUrl: 'http://127.0.0.1:30081/' },
        { variant: 'a', baseUrl: 'http://127.0.0.1:30080' },
      ],
      {},
    );
    assert.deepEqual(plan.targets, [
      { variant: 'b', baseUrl: 'http://127.0.0.1:30081' },
      { variant: 'a', baseUrl: 'http://127.0.0.1:30080' },
    ]);
  });

  const badTargets: { name: string; targets: LoadTarget[]; message: RegExp }[] = [
    { name: 'no targets', targets: [], message: /no load targets/ },
    {
      name: 'a base URL that is not a URL',
      targets: [{ variant: 'web', baseUrl: '127.0.0.1:30080' }],
      message:
        /load target 0: baseUrl "127.0.0.1:30080" is not a URL; use a form like http:\/\/127.0.0.1:30080/,
    },
    {
      name: 'a base URL with a query',
      targets: [{ variant: 'web', baseUrl: 'http://127.0.0.1:30080/?x=1' }],
      message: /must be an http\(s\) URL without query or fragment/,
    },
    {
      name: 'a variant listed twice',
      targets: [web[0] as LoadTarget, web[0] as LoadTarget],
      message: /load target 1: variant "web" is listed twice/,
    },
    {
      name: 'a variant that is not a name',
      targets: [{ variant: 'Web A', baseUrl: 'http://127.0.0.1:30080' }],
      message: /variant "Web A" is not a lowercase name/,
    },
  ];
  for (const c of badTargets)
    it(`rejects ${c.name}`, () => {
      assert.match(
        userError(() => planLoad(loadOf({ stages: [{ rps: 1, duration: '1s' }] }), c.targets, {})),
        c.message,
      );
    });

  it('closed model: one VU per target rps, so the peak must fit vus.max', () => {
    const load = (max: number) =>
      loadOf({
        model: 'closed',
        stages: [
          { rps: 10, duration: '1s' },
          { rps: 40, duration: '1s' },
        ],
        vus: { preAllocated: 1, max },
      });
    assert.equal(planLoad(load(40), web, {}).model, 'closed');
    assert.equal(
      userError(() => planLoad(load(39), web, {})),
      'load.stages[1].rps: 40 needs 40 VUs in the closed model (one request per VU per second), above load.vus.max 39; raise load.vus.max or use model: open',
    );
  });
});

describe('thresholdsFor', () => {
  const cases: { name: string; slos: Slos; expected: Record<string, string[]> }[] = [
    { name: 'no SLOs, no thresholds', slos: {}, expected: {} },
    {
      name: 'latency quantiles in ms on http_req_duration, per variant',
      slos: { latency: { p50: '20ms', p99: '1.5s' } },
      expected: {
        'http_req_duration{variant:a}': ['p(50)<=20', 'p(99)<=1500'],
        'http_req_duration{variant:b}': ['p(50)<=20', 'p(99)<=1500'],
      },
    },
    {
      name: 'errorRate.max on http_req_failed; the other error rates are not k6 thresholds',
      slos: { errorRate: { max: 0.01, duringChaos: 0.2 } },
      expected: {
        'http_req_failed{variant:a}': ['rate<=0.01'],
        'http_req_failed{variant:b}': ['rate<=0.01'],
      },
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const thresholds = thresholdsFor(['a', 'b'], c.slos);
      assert.deepEqual(
        Object.fromEntries(Object.entries(thresholds).map(([k, v]) => [k, v.map((t) => t.threshold)])),
        c.expected,
      );
      for (const list of Object.values(thresholds))
        for (const t of list) assert.equal(t.abortOnFail, false, 'thresholds never abort the run');
    });
});

describe('k6Args', () => {
  it('runs the script quietly with JSON points, the plan and summary paths, and no usage report', () => {
    const args = k6Args({
      script: '/s/load.ts',
      plan: '/o/plan.json',
      points: '/o/p.ndjson',
      summary: '/o/s.json',
    });
    assert.equal(args[0], 'run');
    assert.equal(args.at(-1), '/s/load.ts');
    for (const flag of ['--quiet', '--no-color', '--no-usage-report']) assert.ok(args.includes(flag), flag);
    const after = (flag: string) => args.filter((_, i) => args[i - 1] === flag);
    assert.deepEqual(after('--out'), ['json=/o/p.ndjson']);
    assert.deepEqual(after('--env'), ['PROBELAB_PLAN=/o/plan.json', 'PROBELAB_SUMMARY=/o/s.json']);
  });

  it('K6_ENV turns off usage reports and automatic extension resolution', () => {
    assert.deepEqual(K6_ENV, { K6_NO_USAGE_REPORT: 'true', K6_AUTO_EXTENSION_RESOLUTION: 'false' });
  });
});
