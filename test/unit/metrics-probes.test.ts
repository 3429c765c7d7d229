/** Probe failures from Unhealthy events: aggregation by count increments, relists, pre-run events. */
import assert from 'node:assert/strict';
import { computeMetrics } from '../../harness/core/metrics/index.ts';
import { probeTypeOf } from '../../harness/core/metrics/probes.ts';
import { at, type EventSpec, input, Recorder } from './metrics-builders.ts';

const unhealthy = (
  name: string,
  pod: string,
  message: string,
  count: number,
  created: number,
): EventSpec => ({
  name,
  reason: 'Unhealthy',
  message,
  pod,
  count,
  created,
});

describe('metrics: probe failures', () => {
  const r = new Recorder();
  r.pod('SYNCED', 0.1, { name: 'web-a', created: -100, scheduled: -100, ready: -90 });
  r.pod('SYNCED', 0.1, { name: 'api-x', variant: 'api', created: -100, scheduled: -100, ready: -90 });
  // An aggregated liveness event from before the run, first seen with count 4: only increments count.
  const live = unhealthy(
    'web-a.live',
    'web-a',
    'Liveness probe failed: Get "http://10.0.0.5:8080/livez": context deadline exceeded',
    4,
    -30,
  );
  r.event('SYNCED', 0.1, live);
  r.listed('Pod', 0.2).listed('Event', 0.2);
  r.event('MODIFIED', 20, { ...live, count: 6 }); // +2
  r.gap('Event', 30, 40);
  r.event('SYNCED', 40, { ...live, count: 6 }); // relisted, same count: +0
  r.listed('Event', 40.1);
  r.event('MODIFIED', 50, { ...live, count: 7 }); // +1
  // A readiness event created in the run: 1, then 3; a repeated record (same resourceVersion) and the TTL deletion add nothing.
  const ready = unhealthy(
    'web-a.ready',
    'web-a',
    'Readiness probe failed: HTTP probe failed with statuscode: 503',
    1,
    30,
  );
  r.event('ADDED', 30, ready);
  r.event('MODIFIED', 31, { ...ready, count: 3 }, '500');
  r.event('MODIFIED', 31.5, { ...ready, count: 3 }, '500');
  r.event('DELETED', 90, { ...ready, count: 3 });
  // Startup probe, first seen with count 2 (created in the run): 2.
  r.event(
    'ADDED',
    35,
    unhealthy(
      'web-a.start',
      'web-a',
      'Startup probe failed: dial tcp 10.0.0.5:8080: connect: connection refused',
      2,
      35,
    ),
  );
  // The kubelet's combined message: still a readiness failure.
  r.event(
    'ADDED',
    60,
    unhealthy(
      'web-a.comb',
      'web-a',
      '(combined from similar events): Readiness probe errored: rpc error',
      1,
      60,
    ),
  );
  // An Unhealthy event without a probe type; one of another variant's pod.
  r.event('ADDED', 61, unhealthy('web-a.other', 'web-a', 'something odd', 1, 61));
  r.event('ADDED', 62, unhealthy('api-x.live', 'api-x', 'Liveness probe failed: timeout', 5, 62));
  // Created during a gap, first seen in the relist: its 2 occurrences count, flagged as relisted.
  r.gap('Event', 70, 80);
  r.event('SYNCED', 80, unhealthy('web-a.live2', 'web-a', 'Liveness probe failed: EOF', 2, 72));
  r.listed('Event', 80.1);

  const m = computeMetrics(
    input({
      observations: r.list,
      variants: [
        { name: 'web', loaded: true },
        { name: 'api', loaded: false },
      ],
    }),
  );
  const web = m.variants[0]?.probeFailures;
  const api = m.variants[1]?.probeFailures;

  const cases = [
    { type: 'liveness', failures: 5, events: 2, first: 20, last: 80 },
    { type: 'readiness', failures: 4, events: 2, first: 30, last: 60 },
    { type: 'startup', failures: 2, events: 1, first: 35, last: 35 },
  ] as const;
  for (const c of cases)
    it(`counts ${c.type} failures by increment`, () => {
      const t = web?.byType[c.type];
      assert.equal(t?.failures, c.failures);
      assert.equal(t?.events, c.events);
      assert.equal(t?.firstAtMs, at(c.first));
      assert.equal(t?.lastAtMs, at(c.last));
      assert.deepEqual(t?.byPod, { 'web-a': c.failures });
    });

  it('keeps pre-run occurrences, relisted ones and unclassified ones apart', () => {
    assert.equal(web?.preRunOccurrences, 4);
    assert.equal(web?.relistedOccurrences, 2);
    assert.equal(web?.unclassified, 1);
  });

  it("attributes events to the involved pod's variant", () => {
    assert.equal(api?.byType.liveness.failures, 5);
    assert.equal(api?.byType.readiness.failures, 0);
  });

  const messages: [string, string | undefined][] = [
    ['Liveness probe failed: EOF', 'liveness'],
    ['Readiness probe errored: rpc error: code = Unknown', 'readiness'],
    ['Startup probe failed: HTTP probe failed with statuscode: 500', 'startup'],
    ['(combined from similar events): Liveness probe failed: x', 'liveness'],
    ['Liveness probe warning: y', undefined],
  ];
  for (const [message, type] of messages)
    it(`classifies "${message}"`, () => assert.equal(probeTypeOf(message), type));
});
