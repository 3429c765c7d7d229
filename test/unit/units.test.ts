import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../harness/core/duration.ts';
import { cpuMillicores, parseQuantity } from '../../harness/core/quantity.ts';
import { mergeOverrides } from '../../harness/core/merge.ts';
import { planStages } from '../../harness/core/load-shape.ts';

describe('parseDuration', () => {
  const cases: [string, number | undefined][] = [
    ['0', 0],
    ['0s', 0],
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['1.5s', 1_500],
    ['500ms', 500],
    ['2h', 7_200_000],
    ['1h2m3s4ms', 3_723_004],
    ['', undefined],
    ['30', undefined],
    ['s', undefined],
    ['30 s', undefined],
    ['-1s', undefined],
    ['1d', undefined],
    ['10sx', undefined],
  ];
  for (const [text, expected] of cases) {
    it(`parses ${JSON.stringify(text)} as ${expected}`, () => assert.equal(parseDuration(text), expected));
  }
  it('formats milliseconds back to a readable duration', () => {
    assert.deepEqual([0, 250, 1_500, 90_000, 3_723_000].map(formatDuration), [
      '0s',
      '250ms',
      '1.5s',
      '1m30s',
      '1h2m3s',
    ]);
  });
});

describe('parseQuantity', () => {
  const cases: [string | number, number | undefined][] = [
    ['250m', 0.25],
    ['2', 2],
    [0.5, 0.5],
    ['64Mi', 64 * 2 ** 20],
    ['1G', 1e9],
    ['1Gi', 2 ** 30],
    ['12x', undefined],
    ['-1', undefined],
    [-1, undefined],
  ];
  for (const [value, expected] of cases) {
    it(`parses ${JSON.stringify(value)} as ${expected}`, () => assert.equal(parseQuantity(value), expected));
  }
  it('converts CPU to millicores', () =>
    assert.deepEqual(['250m', '1', 0.5].map(cpuMillicores), [250, 1000, 500]));
});

describe('mergeOverrides', () => {
  it('merges objects deeply, replaces arrays and scalars, and deletes on null', () => {
    const base = { a: { b: 1, c: [1, 2], d: 'x' }, e: true };
    const merged = mergeOverrides(base, { a: { b: 2, c: [3], d: null }, f: 1 });
    assert.deepEqual(merged, { a: { b: 2, c: [3] }, e: true, f: 1 });
    assert.deepEqual(base, { a: { b: 1, c: [1, 2], d: 'x' }, e: true }, 'the base is not mutated');
  });
});

describe('planStages', () => {
  it('places each ramp before its hold, end to end', () => {
    const stages = planStages({
      workload: 'web',
      model: 'open',
      stages: [
        { rps: 10, duration: '30s', ramp: '0s' },
        { rps: 50, duration: '1m', ramp: '10s' },
      ],
      requests: [],
      vus: { preAllocated: 1, max: 1 },
      timeout: '10s',
      connections: 'new',
    });
    assert.deepEqual(
      stages.map((s) => [s.startMs, s.holdStartMs, s.endMs]),
      [
        [0, 0, 30_000],
        [30_000, 40_000, 100_000],
      ],
    );
  });
});
