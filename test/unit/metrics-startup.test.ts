/** Pod startup phases: server and arrival times, nearest-rank quantiles, n and errored. */
import assert from 'node:assert/strict';
import {
  computeMetrics,
  timeToReadyQuantile,
  type VariantMetrics,
} from '../../harness/core/metrics/index.ts';
import { at, input, type PodSpec, Recorder } from './metrics-builders.ts';

describe('metrics: pod startup phases', () => {
  const r = new Recorder();
  // A pod from before the run: left out of the population.
  r.pod('SYNCED', 0.1, {
    name: 'web-0',
    created: -100,
    scheduled: -100,
    ready: -90,
    containers: [{ runningSince: -95 }],
  });
  r.listed('Pod', 0.2);
  const phases = (
    name: string,
    created: number,
    scheduled: number,
    running: number,
    ready: number | undefined,
    arrivals: number[],
  ) => {
    const base: PodSpec = { name, created };
    r.pod('ADDED', arrivals[0] as number, base);
    r.pod('MODIFIED', arrivals[1] as number, { ...base, scheduled });
    r.pod('MODIFIED', arrivals[2] as number, { ...base, scheduled, containers: [{ runningSince: running }] });
    if (ready !== undefined)
      r.pod('MODIFIED', arrivals[3] as number, {
        ...base,
        scheduled,
        ready,
        containers: [{ runningSince: running }],
      });
  };
  phases('web-1', 10, 10, 12, 14, [10.2, 10.4, 12.3, 14.5]);
  phases('web-2', 20, 21, 23, 27, [20.1, 21.2, 23.1, 27.9]);
  phases('web-3', 30, 30, 31, undefined, [30.05, 30.3, 31.5]); // never Ready: errored
  const v = computeMetrics(input({ observations: r.list })).variants[0] as VariantMetrics;
  const edges = v.startup.edges;

  it('counts the population, the pre-existing pods and the errored ones', () => {
    assert.equal(v.startup.population, 3);
    assert.equal(v.startup.preexisting, 1);
    assert.equal(v.startup.errored, 1);
    assert.equal(v.startup.pods[2]?.errored, 'never Ready by the end of the run');
    assert.deepEqual(v.startup.pods[0]?.server, {
      created: at(10),
      scheduled: at(10),
      started: at(12),
      ready: at(14),
    });
    assert.deepEqual(v.startup.pods[0]?.arrival, {
      created: at(10.2),
      scheduled: at(10.4),
      started: at(12.3),
      ready: at(14.5),
    });
  });

  const cases = [
    { edge: 'createdToScheduled', basis: 'server', n: 3, errored: 0, p50: 0, p90: 1000, max: 1000 },
    { edge: 'createdToScheduled', basis: 'arrival', n: 3, errored: 0, p50: 250, p90: 1100, max: 1100 },
    { edge: 'createdToStarted', basis: 'server', n: 3, errored: 0, p50: 2000, p90: 3000, max: 3000 },
    { edge: 'probeDelay', basis: 'server', n: 2, errored: 1, p50: 2000, p90: 4000, max: 4000 },
    { edge: 'probeDelay', basis: 'arrival', n: 2, errored: 1, p50: 2200, p90: 4800, max: 4800 },
    { edge: 'createdToReady', basis: 'server', n: 2, errored: 1, p50: 4000, p90: 7000, max: 7000 },
    { edge: 'createdToReady', basis: 'arrival', n: 2, errored: 1, p50: 4300, p90: 7800, max: 7800 },
  ] as const;
  for (const c of cases)
    it(`${c.edge} (${c.basis}): n ${c.n}, errored ${c.errored}, p50 ${c.p50} ms`, () => {
      const q = edges[c.edge][c.basis];
      assert.equal(q.method, 'nearest-rank');
      assert.equal(q.n, c.n);
      assert.equal(q.errored, c.errored);
      assert.equal(q.p50, c.p50);
      assert.equal(q.p90, c.p90);
      assert.equal(q.p99, c.max);
      assert.equal(q.max, c.max);
    });

  it('names the timestamp source of each basis', () => {
    assert.equal(edges.createdToReady.server.source, 'server (metav1.Time, 1 s truncated)');
    assert.equal(edges.createdToReady.arrival.source, 'arrival (host wall clock, 1 ms)');
  });

  it('gives the verdict a time-to-ready quantile with n and errored', () => {
    assert.deepEqual(timeToReadyQuantile(v, 0.99), {
      q: 0.99,
      n: 2,
      errored: 1,
      source: 'arrival (host wall clock, 1 ms)',
      ms: 7800,
    });
    assert.equal(timeToReadyQuantile(v, 0.5, 'server').ms, 4000);
    assert.equal(v.validity.erroredFraction, 1 / 3);
  });

  it('leaves a phase first seen in a relist out of the arrival basis', () => {
    const g = new Recorder();
    g.listed('Pod', 0.2);
    g.pod('ADDED', 10, { name: 'web-9', created: 10 });
    g.gap('Pod', 11, 20);
    g.pod('SYNCED', 20, {
      name: 'web-9',
      created: 10,
      scheduled: 10,
      ready: 13,
      containers: [{ runningSince: 11 }],
    });
    const w = computeMetrics(input({ observations: g.list })).variants[0] as VariantMetrics;
    assert.deepEqual(w.startup.pods[0]?.relisted, ['scheduled', 'started', 'ready']);
    assert.equal(w.startup.edges.createdToReady.server.p50, 3000);
    assert.equal(w.startup.edges.createdToReady.arrival.n, 0);
    assert.equal(w.startup.edges.createdToReady.unmeasured.arrival, 1);
    assert.equal(w.validity.startupUnmeasured, 1);
    assert.equal(timeToReadyQuantile(w, 0.5).ms, null);
  });
});
