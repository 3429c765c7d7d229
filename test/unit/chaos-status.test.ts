import assert from 'node:assert/strict';
import {
  failureReason,
  judgeInjection,
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
  const text = [
    '# HELP chaos_daemon_ipset_members Total number of ipset members',
    'chaos_daemon_ipset_members{container="sample",namespace="probelab-r1",pod="api-1"} 3',
    'chaos_daemon_ipset_members{container="sample",namespace="other",pod="x"} 7',
    'chaos_daemon_tcs_rules{container="sample",namespace="probelab-r1",pod="api-1"} 1',
    'chaos_daemon_iptables_packets{chain="CHAOS-INPUT",container="sample",namespace="probelab-r1",pod="api-1",policy="ACCEPT",rule="-A x",table="filter"} 12',
    'chaos_daemon_iptables_packets{chain="CHAOS-OUTPUT",container="sample",namespace="probelab-r1",pod="api-1",policy="ACCEPT",rule="-A y",table="filter"} 0',
    'chaos_daemon_iptables_packets{chain="X",container="sample",namespace="probelab-r10",pod="z",policy="ACCEPT",rule="-A z",table="filter"} 0',
  ].join('\n');
  it('sums the gauges of one namespace only', () =>
    assert.deepEqual(ruleGaugesOf(text, 'probelab-r1'), { iptablesRules: 2, ipsetMembers: 3, tcRules: 1 }));
  it('is all zero for a namespace without faults', () =>
    assert.deepEqual(ruleGaugesOf(text, 'probelab-r2'), { iptablesRules: 0, ipsetMembers: 0, tcRules: 0 }));
});
