/** The k6 NDJSON parser and its series, on hand-written lines in k6's `--out json` format. */
import assert from 'node:assert/strict';
import type { StageWindow } from '../../harness/core/load-shape.ts';
import {
  errorKind,
  expectedRequests,
  K6SeriesParser,
  nearestRank,
  parseK6Time,
  TIMESTAMP_SOURCE,
  type VariantSeries,
} from '../../harness/core/load/series.ts';

// Two steps: 10 rps for 2 s, then a 1 s ramp to 20 rps held for 1 s. Load start: 12:00:00.500Z.
const stages: StageWindow[] = [
  { index: 0, rps: 10, startMs: 0, holdStartMs: 0, endMs: 2000 },
  { index: 1, rps: 20, startMs: 2000, holdStartMs: 3000, endMs: 4000 },
];
const START = '2026-11-23T12:00:00.5Z';
const startUs = Date.parse(START) * 1000;

/** at renders k6's time for an offset in ms from the load start, with nanosecond digits as k6 writes them. */
function at(offsetMs: number): string {
  const us = startUs + Math.round(offsetMs * 1000);
  const iso = new Date(Math.floor(us / 1000)).toISOString().slice(0, 19);
  return `${iso}.${String(us % 1_000_000).padStart(6, '0')}123Z`;
}

function point(metric: string, offsetMs: number, value: number, tags: Record<string, string>): string {
  return JSON.stringify({ metric, type: 'Point', data: { time: at(offsetMs), value, tags } });
}

/** request renders the lines k6 writes for one request: http_reqs, http_req_duration, http_req_failed, the pod sample and iterations. */
function request(
  offsetMs: number,
  o: { variant?: string; step: number; ms?: number; status?: string; errorCode?: string; pod?: string },
): string[] {
  const status = o.status ?? '200';
  const failed = status === '0' || Number(status) >= 400;
  const tags: Record<string, string> = {
    variant: o.variant ?? 'web',
    scenario: o.variant ?? 'web',
    step: String(o.step),
    status,
    expected_response: String(!failed),
    ...(o.errorCode ? { error_code: o.errorCode } : {}),
  };
  return [
    point('http_reqs', offsetMs, 1, tags),
    point('http_req_duration', offsetMs, o.ms ?? 5, tags),
    point('http_req_blocked', offsetMs, 0.01, tags),
    point('http_req_failed', offsetMs, failed ? 1 : 0, tags),
    point('probelab_pod_requests', offsetMs, 1, {
      variant: tags.variant as string,
      step: tags.step as string,
      status,
      pod: o.pod ?? (status === '0' ? 'none' : 'web-0'),
    }),
    point('iterations', offsetMs, 1, { variant: tags.variant as string, step: tags.step as string }),
  ];
}

const startMarker = (variant = 'web') =>
  `{"metric":"probelab_scenario_start_ms","type":"Point","data":{"time":"${at(50)}","value":${startUs / 1000},"tags":{"scenario":"${variant}","variant":"${variant}"}}}`;

function parse(lines: string[], complete = true): VariantSeries[] {
  const parser = new K6SeriesParser(stages);
  for (const line of lines) parser.addLine(line);
  return parser.summarize({ complete }).variants;
}

describe('parseK6Time', () => {
  const cases: [string, number | undefined][] = [
    ['2026-11-23T12:00:00.123456789Z', Date.parse('2026-11-23T12:00:00Z') * 1000 + 123456],
    ['2026-11-23T12:00:00.5Z', Date.parse('2026-11-23T12:00:00Z') * 1000 + 500000],
    ['2026-11-23T12:00:00Z', Date.parse('2026-11-23T12:00:00Z') * 1000],
    ['2026-11-23T13:00:00.000001+01:00', Date.parse('2026-11-23T12:00:00Z') * 1000 + 1],
    ['2026-11-23 12:00:00Z', undefined],
    ['yesterday', undefined],
  ];
  for (const [text, us] of cases) it(`${text} → ${us}`, () => assert.equal(parseK6Time(text), us));
});

describe('nearestRank', () => {
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const cases: [number[], number, number][] = [
    [ten, 0.5, 5],
    [ten, 0.95, 10],
    [ten, 0.9, 9],
    [ten, 0.11, 2],
    [[7], 0.99, 7],
    [[1, 2], 0.5, 1],
  ];
  for (const [values, q, expected] of cases)
    it(`q=${q} of ${values.length} values is ${expected}`, () =>
      assert.equal(nearestRank(values, q), expected));
});

describe('errorKind', () => {
  const cases: [string | undefined, string][] = [
    ['1212', 'refused'],
    ['1220', 'reset'],
    ['1201', 'reset'],
    ['1050', 'timeout'],
    ['1211', 'timeout'],
    ['1000', 'other'],
    [undefined, 'other'],
  ];
  for (const [code, kind] of cases) it(`${code} → ${kind}`, () => assert.equal(errorKind(code), kind));
});

describe('expectedRequests', () => {
  const cases: [number, number, number][] = [
    [0, 2000, 20], // 10 rps for 2 s
    [2000, 3000, 15], // ramp 10 → 20 over 1 s
    [3000, 4000, 20],
    [2500, 3500, 8.75 + 10], // half the ramp (15 → 20) and half the hold
    [-1000, 500, 5], // before the load counts nothing
    [3500, 9000, 10], // nor after it
  ];
  for (const [from, to, expected] of cases)
    it(`[${from}, ${to}) ms → ${expected}`, () => assert.equal(expectedRequests(stages, from, to), expected));
});

describe('K6SeriesParser', () => {
  it('counts requests per step against the plan and says where its times come from', () => {
    const lines = [startMarker()];
    for (let i = 0; i < 20; i++) lines.push(...request(50 + i * 100, { step: 0 }));
    for (let i = 0; i < 33; i++) lines.push(...request(2010 + i * 60, { step: 1 }));
    const parser = new K6SeriesParser(stages);
    for (const line of lines) parser.addLine(line);
    const series = parser.summarize({ complete: true });
    assert.equal(series.timestampSource, TIMESTAMP_SOURCE);
    assert.equal(series.quantileMethod, 'nearest-rank');
    const [web] = series.variants;
    assert.ok(web);
    assert.equal(web.loadStartSource, 'k6 scenario start');
    assert.equal(web.loadStartUs, startUs);
    assert.deepEqual(
      web.steps.map((s) => [s.step, s.requests, s.achievedRps, s.targetRps, s.expectedRequests, s.complete]),
      [
        [0, 20, 10, 10, 20, true],
        [1, 33, 16.5, 17.5, 35, true],
      ],
    );
    assert.equal(web.total.requests, 53);
    assert.equal(web.total.iterations, 53);
    assert.deepEqual(web.total.requestsByPod, { 'web-0': 53 });
    assert.deepEqual(web.total.responses, { '2xx': 53 });
    assert.equal(series.lines.skipped, 53, 'http_req_blocked is skipped');
    assert.equal(series.lines.malformed, 0);
  });

  it('computes nearest-rank latency per step and per window', () => {
    const lines = [startMarker()];
    for (let i = 1; i <= 10; i++) lines.push(...request(100 * i, { step: 0, ms: i }));
    const [web] = parse(lines);
    assert.deepEqual(web?.steps[0]?.latencyMs, { count: 10, p50: 5, p95: 10, p99: 10, max: 10 });
    // The load started at .5 s: offsets 100–400 ms fall in the first whole second, 500–1000 ms in the next.
    assert.deepEqual(
      web?.windows.map((w) => [w.fromMs, w.requests, w.latencyMs?.p50]),
      [
        [-500, 4, 2],
        [500, 6, 7],
      ],
    );
  });

  it('splits errors into status classes and, without an answer, refused / reset / timeout / other', () => {
    const lines = [startMarker()];
    const cases: [string, string | undefined][] = [
      ['200', undefined],
      ['503', undefined],
      ['503', undefined],
      ['404', undefined],
      ['0', '1212'],
      ['0', '1220'],
      ['0', '1050'],
      ['0', '1000'],
    ];
    cases.forEach(([status, errorCode], i) =>
      lines.push(...request(100 + i * 100, { step: 0, status, ...(errorCode ? { errorCode } : {}) })),
    );
    const [web] = parse(lines);
    assert.deepEqual(web?.total.errors, {
      total: 7,
      byStatusClass: { '5xx': 2, '4xx': 1 },
      byKind: { refused: 1, reset: 1, timeout: 1, other: 1 },
    });
    assert.deepEqual(web?.total.responses, { '2xx': 1, '5xx': 2, '4xx': 1, none: 4 });
    assert.equal(web?.total.errorRate, 7 / 8);
    assert.deepEqual(web?.total.requestsByPod, { 'web-0': 4, none: 4 });
  });

  it('keeps variants apart and places dropped iterations (which carry no step) by time', () => {
    const lines = [startMarker('a'), startMarker('b')];
    lines.push(...request(100, { variant: 'a', step: 0, pod: 'a-1' }));
    lines.push(...request(2100, { variant: 'b', step: 1, pod: 'b-1' }));
    lines.push(...request(2200, { variant: 'b', step: 1, pod: 'b-2' }));
    lines.push(point('dropped_iterations', 1500, 1, { scenario: 'a', variant: 'a' }));
    lines.push(point('dropped_iterations', 2500, 2, { scenario: 'a', variant: 'a' }));
    const [a, b] = parse(lines);
    assert.equal(a?.variant, 'a');
    assert.deepEqual(
      a?.steps.map((s) => [s.step, s.droppedIterations]),
      [
        [0, 1],
        [1, 2],
      ],
    );
    assert.equal(a?.total.droppedIterations, 3);
    assert.deepEqual(a?.total.requestsByPod, { 'a-1': 1 });
    assert.deepEqual(b?.total.requestsByPod, { 'b-1': 1, 'b-2': 1 });
  });

  it('a partial run cuts the steps at the newest sample', () => {
    const lines = [startMarker()];
    for (let i = 0; i < 20; i++) lines.push(...request(50 + i * 100, { step: 0 }));
    for (let i = 0; i < 10; i++) lines.push(...request(2050 + i * 100, { step: 1 }));
    const [web] = parse(lines, false);
    const last = web?.steps.at(-1);
    assert.equal(web?.steps.length, 2);
    assert.equal(last?.complete, false);
    assert.equal(last?.toMs, 2950);
    assert.equal(last?.requests, 10);
    assert.ok(Math.abs((last?.achievedRps ?? 0) - 10 / 0.95) < 1e-9);
    assert.ok(Math.abs((last?.targetRps ?? 0) - 14.75) < 1e-9, String(last?.targetRps)); // mean of 10 → 19.5
    assert.equal(web?.steps[0]?.complete, true);
  });

  it('takes lines in any order and split across calls, and falls back to the first sample as load start', () => {
    const lines = [...request(300, { step: 0 }), ...request(100, { step: 0 })].reverse();
    const parser = new K6SeriesParser(stages);
    for (const line of lines) parser.addLine(line);
    const live = parser.live();
    assert.deepEqual(
      live.map((l) => [l.variant, l.requests, l.failed, l.lastPointUs]),
      [['web', 2, 0, startUs + 300_000]],
    );
    const [web] = parser.summarize({ complete: false }).variants;
    assert.equal(web?.loadStartSource, 'first sample');
    assert.equal(web?.loadStartUs, startUs + 100_000);
  });

  it('counts metric definitions, foreign metrics, unattributed points and malformed lines without failing', () => {
    const parser = new K6SeriesParser(stages);
    for (const line of [
      '{"type":"Metric","data":{"name":"http_reqs","type":"counter","contains":"default","thresholds":[],"submetrics":null},"metric":"http_reqs"}',
      '{"metric":"vus","type":"Point","data":{"time":"2026-11-23T12:00:01.000000000Z","value":3,"tags":{}}}',
      '{"metric":"http_reqs","type":"Point","data":{"time":"2026-11-23T12:00:01.000000000Z","value":1,"tags":{"status":"200"}}}',
      '{"metric":"http_reqs","type":"Point","data":{"time":"not a time","value":1,"tags":{"variant":"web"}}}',
      '{"metric":"http_reqs","type":"Poi',
      '',
      'time="2026-11-23T12:00:01Z" level=info msg="not json"',
    ])
      parser.addLine(line);
    const { lines, variants } = parser.summarize({ complete: true });
    assert.deepEqual(variants, []);
    assert.equal(lines.points, 0);
    assert.equal(lines.skipped, 2);
    assert.equal(lines.unattributed, 1);
    assert.equal(lines.malformed, 3);
    assert.equal(lines.malformedExamples.length, 3);
  });
});
