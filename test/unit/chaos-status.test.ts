import assert from 'node:assert/strict';
import {
  failureReason,
  judgeInjection,
  lastDaemonError,
  leftoverRules,
  ruleGaugesOf,
  type ChaosStatus,
} from '../../harness/core/chaos-status.ts';

const record = (
  phase: string,
  events: { type: string; operation: string; message?: string; timestamp?: string }[],
) => ({
  id: 'probelab-r1/api-1',
  phase,
  events,
});

describe('chaos status: judgeInjection', () => {
  const cases: {
    name: string;
    action: Parameters<typeof judgeInjection>[0];
    status: ChaosStatus | undefined;
    expect: object;
  }[] = [
    {
      name: 'no status yet',
      action: 'pod-kill',
      status: undefined,
      expect: { state: 'pending', detail: 'the controller has not recorded targets yet' },
    },
    {
      name: 'nothing selected',
      action: 'pod-kill',
      status: { conditions: [{ type: 'Selected', status: 'False' }] },
      expect: { state: 'pending', detail: 'no target pod selected yet' },
    },
    {
      name: 'all injected, with the latest apply time',
      action: 'container-kill',
      status: {
        conditions: [{ type: 'AllInjected', status: 'True' }],
        experiment: {
          containerRecords: [
            record('Injected', [
              { type: 'Succeeded', operation: 'Apply', timestamp: '2026-11-23T10:00:01Z' },
            ]),
          ],
        },
      },
      expect: { state: 'injected', targets: ['probelab-r1/api-1'], at: '2026-11-23T10:00:01Z' },
    },
    {
      name: 'one of two injected',
      action: 'network-partition',
      status: {
        conditions: [{ type: 'AllInjected', status: 'False' }],
        experiment: {
          containerRecords: [record('Injected', []), { id: 'probelab-r1/api-2', phase: 'NotInjected' }],
        },
      },
      expect: { state: 'pending', detail: '1 of 2 target(s) injected' },
    },
    {
      name: 'netem missing: the daemon error becomes the kernel reason',
      action: 'network-delay',
      status: {
        experiment: {
          containerRecords: [
            record('NotInjected', [
              {
                type: 'Failed',
                operation: 'Apply',
                message:
                  'rpc error: code = Unknown desc = error code: exit status 2, msg: Error: Specified qdisc kind is unknown.\n',
              },
            ]),
          ],
        },
      },
      expect: {
        state: 'failing',
        reason: 'not injected: kernel lacks sch_netem',
        detail:
          'probelab-r1/api-1: rpc error: code = Unknown desc = error code: exit status 2, msg: Error: Specified qdisc kind is unknown.',
        targets: ['probelab-r1/api-1'],
      },
    },
    {
      name: 'a failure followed by success is injected',
      action: 'network-partition',
      status: {
        conditions: [{ type: 'AllInjected', status: 'True' }],
        experiment: {
          containerRecords: [
            record('Injected', [
              { type: 'Failed', operation: 'Apply', message: 'transient' },
              { type: 'Succeeded', operation: 'Apply', timestamp: '2026-11-23T10:00:05Z' },
            ]),
          ],
        },
      },
      expect: { state: 'injected', targets: ['probelab-r1/api-1'], at: '2026-11-23T10:00:05Z' },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(judgeInjection(c.action, c.status), c.expect));
});

describe('chaos status: failureReason', () => {
  const cases: [Parameters<typeof failureReason>[0], string, string][] = [
    ['network-loss', 'Error: Specified qdisc kind is unknown.', 'not injected: kernel lacks sch_netem'],
    ['network-delay', 'RTNETLINK answers: No such file or directory', 'not injected: kernel lacks sch_netem'],
    ['bandwidth', 'Error: Specified qdisc kind is unknown.', 'not injected: kernel lacks sch_tbf'],
    [
      'network-partition',
      'ipset v7.17: Kernel error received: set type not supported',
      'not injected: kernel lacks ipset support',
    ],
    [
      'container-kill',
      'cannot find daemonIP on node kind-worker',
      "not injected: no chaos-daemon runs on the target pod's node",
    ],
    ['pod-kill', 'pods "x" is forbidden\nmore', 'not injected: pods "x" is forbidden'],
  ];
  for (const [action, message, reason] of cases)
    it(`${action}: ${message.split('\n')[0]}`, () => assert.equal(failureReason(action, message), reason));
});

describe('chaos status: ruleGaugesOf', () => {
  const rule = (pod: string, chain: string, ruleText: string, ns = 'probelab-r1') =>
    `chaos_daemon_iptables_packets{chain="${chain}",container="sample",namespace="${ns}",pod="${pod}",policy="-",rule="${ruleText}",table="filter"} 0`;
  const during = [
    '# HELP chaos_daemon_ipset_members Total number of ipset members',
    'chaos_daemon_ipset_members{container="sample",namespace="probelab-r1",pod="api-1"} 3',
    'chaos_daemon_ipset_members{container="sample",namespace="other",pod="x"} 7',
    'chaos_daemon_tcs_rules{container="sample",namespace="probelab-r1",pod="api-1"} 2',
    rule('api-1', 'INPUT', '-j CHAOS-INPUT'),
    rule('api-1', 'OUTPUT', '-j CHAOS-OUTPUT'),
    rule('api-1', 'CHAOS-INPUT', '-j INPUT/t2-ne_9ad'),
    rule('api-1', 'INPUT/t2-ne_9ad', '-i eth0 -m set --match-set t2-ne_9ad_set_tgt src,dst -j DROP'),
    rule('api-1', 'OUTPUT/t2-ne_9ad', '-o eth0 -m set --match-set t2-ne_9ad_set_tgt dst,dst -j DROP'),
    rule('z', 'INPUT', '-j DROP', 'probelab-r10'),
  ];
  it('counts a DROP rule reached through CHAOS-INPUT as active, an unreferenced chain as inert', () =>
    assert.deepEqual(ruleGaugesOf(during.join('\n'), 'probelab-r1'), {
      activeIptablesRules: 1,
      inertIptablesRules: 1,
      ipsetMembers: 3,
      tcRules: 2,
      tcRulesByPod: { 'api-1': 2 },
    }));
  it('after recovery (CHAOS-INPUT emptied) nothing is active, the fault chains are inert', () => {
    const after = during.filter((l) => !l.includes('chain="CHAOS-INPUT"'));
    assert.deepEqual(ruleGaugesOf(after.join('\n'), 'probelab-r1'), {
      activeIptablesRules: 0,
      inertIptablesRules: 2,
      ipsetMembers: 3,
      tcRules: 2,
      tcRulesByPod: { 'api-1': 2 },
    });
  });
  it('is all zero for a namespace without faults', () =>
    assert.deepEqual(ruleGaugesOf(during.join('\n'), 'probelab-r2'), {
      activeIptablesRules: 0,
      inertIptablesRules: 0,
      ipsetMembers: 0,
      tcRules: 0,
      tcRulesByPod: {},
    }));
});

describe('chaos status: lastDaemonError', () => {
  const log = [
    '2026-11-23T13:18:36.310Z\tINFO\tchaos-daemon.daemon-server\tchaosdaemon/server.go:187\thandling tc request\t{"namespacedName": "ns/api-1", "tcs": "x"}',
    '2026-11-23T13:18:36.336Z\tERROR\tchaos-daemon.daemon-server\tpb/chaosdaemon.pb.go:4233\terror while adding tc\t{"namespacedName": "ns/api-1", "error": "error code: exit status 2, msg: Error: Specified qdisc kind is unknown.\\n"}',
    '2026-11-23T13:18:37.000Z\tERROR\tchaos-daemon.daemon-server\tx.go:1\tother pod\t{"namespacedName": "ns/api-2", "error": "something else"}',
    '2026-11-23T13:18:38.000Z\tERROR\tchaos-daemon.daemon-server\tx.go:1\tcut short\t{"namespacedName": "ns/api-1", "error": "trunc',
  ].join('\n');
  it("finds the pod's last complete error", () =>
    assert.equal(
      lastDaemonError(log, 'ns/api-1'),
      'error code: exit status 2, msg: Error: Specified qdisc kind is unknown.',
    ));
  it('is undefined for a pod without errors', () => assert.equal(lastDaemonError(log, 'ns/db-1'), undefined));
});

describe('fault: leftoverRules', () => {
  const base = {
    activeIptablesRules: 0,
    inertIptablesRules: 0,
    ipsetMembers: 0,
    tcRules: 4,
    tcRulesByPod: { 'api-1': 2, 'api-2': 2 },
  };
  it('accepts inert chains and filled ipsets Chaos Mesh leaves', () =>
    assert.deepEqual(leftoverRules(base, { ...base, inertIptablesRules: 4, ipsetMembers: 20 }), []));
  it('flags a rule that still acts', () =>
    assert.deepEqual(leftoverRules(base, { ...base, activeIptablesRules: 2 }), [
      "2 iptables rule(s) still act on traffic in the run's pods",
    ]));
  it('flags a tc line left in a pod that was there before the fault', () =>
    assert.deepEqual(leftoverRules(base, { ...base, tcRules: 5, tcRulesByPod: { 'api-1': 3, 'api-2': 2 } }), [
      'tc lines added in pods present before the fault: api-1 2 → 3',
    ]));
  it('does not count a killed pod, whose lines drop to 0 while it terminates', () =>
    assert.deepEqual(
      leftoverRules(base, { ...base, tcRules: 2, tcRulesByPod: { 'api-1': 0, 'api-2': 2 } }),
      [],
    ));
  it('ignores pods the HPA added or a kill replaced meanwhile', () =>
    assert.deepEqual(
      leftoverRules(base, { ...base, tcRules: 6, tcRulesByPod: { 'api-1': 2, 'api-3': 2, 'api-4': 2 } }),
      [],
    ));
});
