/** metrics: the Ready pods of a variant over time, from the pods' watch states. */
import assert from 'node:assert/strict';
import { computeMetrics, type VariantMetrics } from '../../harness/core/metrics/index.ts';
import { input, Recorder, T0 } from './metrics-builders.ts';

describe('metrics: ready pods over time', () => {
  it('counts Ready pods after every change: up on Ready, down on readiness loss, deletion request and delete', () => {
    const r = new Recorder();
    r.listed('Pod', 0);
    r.pod('ADDED', 1, { name: 'web-a', created: 1 });
    r.pod('MODIFIED', 3, { name: 'web-a', created: 1, ready: 3 });
    r.pod('ADDED', 4, { name: 'web-b', created: 4 });
    r.pod('MODIFIED', 6, { name: 'web-b', created: 4, ready: 6 });
    r.pod('MODIFIED', 8, { name: 'web-a', created: 1 }); // readiness lost
    r.pod('MODIFIED', 9, { name: 'web-a', created: 1, ready: 9 });
    r.pod('MODIFIED', 10, { name: 'web-b', created: 4, ready: 6, deleting: 10 });
    r.pod('DELETED', 12, { name: 'web-b', created: 4, ready: 6, deleting: 10 });
    const m = computeMetrics(input({ observations: r.list }));
    const v = m.variants[0] as VariantMetrics;
    assert.deepEqual(
      v.readyPods?.points.map((p) => [(p.atMs - T0) / 1000, p.ready]),
      [
        [1, 0],
        [3, 1],
        [6, 2],
        [8, 1],
        [9, 2],
        [10, 1],
      ],
    );
    assert.equal(v.readyPods?.source, 'arrival (host wall clock, 1 ms)');
  });
});
