import assert from 'node:assert/strict';
import { formatPlan, injectabilityOf, planRun, type KernelFeature } from '../../harness/core/plan.ts';
import type { HostFacts } from '../../harness/core/doctor.ts';
import { PREVIEW_RENDER_OPTIONS } from '../../harness/cli/commands/defaults.ts';
import { modelOf, scenarioWith } from './builders.ts';

type KernelFacts = Pick<HostFacts, 'qdiscs' | 'ipset'>;

/** hostWith: a host with every chaos kernel feature present, except the ones named false or unknown. */
function hostWith(absent: KernelFeature[] = [], unknown: KernelFeature[] = []): KernelFacts {
  const has = (f: KernelFeature) => (absent.includes(f) ? false : unknown.includes(f) ? undefined : true);
  return {
    qdiscs: { netem: has('netem'), tbf: has('tbf'), prio: true, sfq: true },
    ipset: has('ipset'),
  };
}

// This VM: no sch_netem, tbf and ipset present.
const thisVm = hostWith(['netem']);

describe('plan: injectabilityOf', () => {
  const cases: {
    action: Parameters<typeof injectabilityOf>[0];
    host: KernelFacts | undefined;
    injectable: boolean | undefined;
    reason?: RegExp;
  }[] = [
    { action: 'pod-kill', host: thisVm, injectable: true },
    { action: 'pod-failure', host: undefined, injectable: true },
    { action: 'container-kill', host: hostWith(['netem', 'tbf', 'ipset']), injectable: true },
    { action: 'cpu-stress', host: thisVm, injectable: true },
    {
      action: 'network-delay',
      host: thisVm,
      injectable: false,
      reason: /^not injectable here: kernel lacks sch_netem$/,
    },
    { action: 'network-loss', host: thisVm, injectable: false, reason: /kernel lacks sch_netem/ },
    { action: 'network-delay', host: hostWith(), injectable: true },
    { action: 'bandwidth', host: thisVm, injectable: true },
    { action: 'bandwidth', host: hostWith(['tbf']), injectable: false, reason: /kernel lacks sch_tbf/ },
    { action: 'network-partition', host: thisVm, injectable: true },
    { action: 'network-partition', host: hostWith(['ipset']), injectable: false, reason: /lacks ipset/ },
    { action: 'network-delay', host: undefined, injectable: undefined, reason: /host was not checked/ },
    {
      action: 'bandwidth',
      host: hostWith([], ['tbf']),
      injectable: undefined,
      reason: /could not check sch_tbf/,
    },
  ];
  for (const c of cases) {
    const hostName = c.host === undefined ? 'an unchecked host' : JSON.stringify(c.host);
    it(`${c.action} on ${hostName} → ${String(c.injectable)}`, () => {
      const result = injectabilityOf(c.action, c.host);
      assert.equal(result.injectable, c.injectable);
      if (c.reason) assert.match(result.reason ?? '', c.reason);
    });
  }
});

describe('plan: planRun', () => {
  const withVariants = {
    variants: [
      { name: 'web-a', workload: 'web' },
      { name: 'web-b', workload: 'web', overrides: { replicas: 3 } },
    ],
  };
  const options = { ...PREVIEW_RENDER_OPTIONS, cluster: 'probelab' };

  it('orders the steps: cluster, namespace, deployments, load, timeline by offset, stop, judge, report', () => {
    const model = modelOf(
      scenarioWith({
        ...withVariants,
        timeline: [{ at: '20s', action: 'pod-kill', target: 'web', mode: 'one' }],
      }),
    );
    const plan = planRun(model, options, thisVm);
    assert.deepEqual(
      plan.steps.map((s) => s.name),
      [
        'ensure cluster',
        'create namespace',
        'deploy web-a',
        'deploy web-b',
        'wait until ready',
        'start load',
        'at 20s: pod-kill',
        'stop load',
        'collect and judge',
        'render reports',
      ],
    );
    assert.equal(plan.steps.find((s) => s.name === 'at 20s: pod-kill')?.atMs, 20_000);
    assert.equal(plan.loadDurationMs, 60_000);
    assert.deepEqual(plan.invalidReasons, []);
  });

  it('names one chaos resource per targeted variant', () => {
    const model = modelOf(
      scenarioWith({
        ...withVariants,
        timeline: [{ at: '20s', action: 'container-kill', target: 'web', mode: 'one' }],
      }),
    );
    const step = planRun(model, options, thisVm).steps.find((s) => s.name === 'at 20s: container-kill');
    assert.match(
      step?.detail ?? '',
      /one of each of web-a, web-b .*t0-container-kill-web-a, t0-container-kill-web-b/,
    );
  });

  it('makes a run with network delay invalid on a host without sch_netem, and says why', () => {
    const model = modelOf(
      scenarioWith({
        timeline: [
          { at: '10s', action: 'network-delay', target: 'web', duration: '10s', latency: '100ms' },
          { at: '30s', action: 'bandwidth', target: 'web', duration: '10s', rate: '1mbps' },
        ],
      }),
    );
    const plan = planRun(model, options, thisVm);
    assert.deepEqual(plan.invalidReasons, [
      'at 10s: network-delay on web is not injectable here: kernel lacks sch_netem',
    ]);
    const text = formatPlan(plan, 'unit');
    assert.match(text, /✗ not injectable here: kernel lacks sch_netem/);
    assert.match(text, /a run of this plan on this host would be INVALID/);
  });

  it('keeps the same scenario valid on a host with netem, and unknown without a host check', () => {
    const model = modelOf(
      scenarioWith({
        timeline: [{ at: '10s', action: 'network-loss', target: 'web', duration: '10s', loss: 20 }],
      }),
    );
    assert.deepEqual(planRun(model, options, hostWith()).invalidReasons, []);
    const unchecked = planRun(model, options, undefined);
    assert.deepEqual(unchecked.invalidReasons, []);
    assert.match(formatPlan(unchecked, 'unit'), /\? needs sch_netem; the host was not checked/);
  });
});
