import assert from 'node:assert/strict';
import { doctorPassed, judgeHost, MIN_FREE_DISK_BYTES, type HostFacts } from '../../harness/core/doctor.ts';

function healthyHost(): HostFacts {
  return {
    engine: { serverVersion: '20.10.24', defaultRuntime: 'runc', cgroupVersion: '2' },
    missingCapabilities: [],
    kind: 'kind v0.30.0',
    go: 'go version go1.26.8',
    k6: 'k6 v1.8.1',
    cgroup: { version: 2, controllers: ['cpuset', 'cpu', 'cpuacct', 'io', 'memory', 'pids'] },
    qdiscs: { netem: true, prio: true, sfq: true, tbf: true },
    ipset: true,
    checkErrors: {},
    freeDiskBytes: MIN_FREE_DISK_BYTES * 2,
    busyPorts: [],
  };
}

const statusOf = (facts: HostFacts, check: string) => judgeHost(facts).find((l) => l.check === check);

describe('doctor', () => {
  it('passes a healthy host with every line ok', () => {
    const lines = judgeHost(healthyHost());
    assert.deepEqual(
      lines.filter((l) => l.status !== 'ok'),
      [],
    );
    assert.equal(doctorPassed(lines), true);
  });

  const cases: {
    name: string;
    change: (f: HostFacts) => void;
    check: string;
    status: string;
    fix: RegExp;
  }[] = [
    {
      name: 'no engine fails with the bootstrap script as fix',
      change: (f) => delete f.engine,
      check: 'container engine',
      status: 'fail',
      fix: /ensure-engine\.sh/,
    },
    {
      name: 'a missing capability without the wrapper fails',
      change: (f) => (f.missingCapabilities = ['CAP_SYS_RESOURCE']),
      check: 'privileged containers',
      status: 'fail',
      fix: /probelab-runc/,
    },
    {
      name: 'no kind but Go warns that it is buildable',
      change: (f) => delete f.kind,
      check: 'kind',
      status: 'warn',
      fix: /install-kind\.sh/,
    },
    {
      name: 'cgroup v1 warns about Kubernetes 1.35',
      change: (f) => (f.cgroup = { version: 1, controllers: ['cpu', 'cpuacct', 'memory', 'pids', 'cpuset'] }),
      check: 'cgroups',
      status: 'warn',
      fix: /1\.34/,
    },
    {
      name: 'a missing memory controller fails',
      change: (f) => (f.cgroup.controllers = ['cpu', 'cpuacct', 'pids', 'cpuset']),
      check: 'cgroups',
      status: 'fail',
      fix: /./,
    },
    {
      name: 'a kernel without netem warns that delay cannot be injected',
      change: (f) => (f.qdiscs.netem = false),
      check: 'qdisc netem',
      status: 'warn',
      fix: /CONFIG_NET_SCH_NETEM/,
    },
    {
      name: 'an uncheckable ipset names the package',
      change: (f) => ((f.ipset = undefined), (f.checkErrors.ipset = 'ipset not installed')),
      check: 'ipset',
      status: 'warn',
      fix: /apt-get install ipset/,
    },
    {
      name: 'too little disk fails',
      change: (f) => (f.freeDiskBytes = 1024),
      check: 'disk',
      status: 'fail',
      fix: /PROBELAB_CACHE_DIR/,
    },
    {
      name: 'busy ports warn',
      change: (f) => (f.busyPorts = [30080]),
      check: 'ports',
      status: 'warn',
      fix: /cluster down/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const facts = healthyHost();
      c.change(facts);
      const line = statusOf(facts, c.check);
      assert.equal(line?.status, c.status, line?.detail);
      assert.match(line?.fix ?? '', c.fix);
    });
  }

  it('accepts missing capabilities when the engine runs the wrapper', () => {
    const facts = healthyHost();
    facts.missingCapabilities = ['CAP_SYS_RESOURCE'];
    facts.engine = { serverVersion: '20.10.24', defaultRuntime: 'probelab-runc', cgroupVersion: '1' };
    assert.equal(statusOf(facts, 'privileged containers')?.status, 'ok');
  });
});
