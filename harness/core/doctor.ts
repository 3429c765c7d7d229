/**
 * `probelab doctor`'s judgement: host facts in, one line per check out, each with the fix. Pure, so every
 * verdict is table-tested; the facts are gathered by adapters/host.ts.
 */

export interface HostFacts {
  engine?: { serverVersion: string; defaultRuntime: string; cgroupVersion: string };
  /** missingCapabilities: capabilities the host's bounding set lacks (privileged containers need a wrapper). */
  missingCapabilities: string[];
  kind?: string;
  go?: string;
  k6?: string;
  cgroup: { version: 1 | 2; controllers: string[] };
  /** qdiscs and ipset: true works, false refused, undefined could not be checked (reason in checkErrors). */
  qdiscs: Record<'netem' | 'prio' | 'sfq' | 'tbf', boolean | undefined>;
  ipset: boolean | undefined;
  checkErrors: Record<string, string>;
  freeDiskBytes: number;
  busyPorts: number[];
}

export type DoctorStatus = 'ok' | 'warn' | 'fail';

export interface DoctorLine {
  check: string;
  status: DoctorStatus;
  detail: string;
  fix?: string;
}

const GiB = 1024 ** 3;
export const MIN_FREE_DISK_BYTES = 25 * GiB;
const NEEDED_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'cpuset'];
const WRAPPER_RUNTIME = 'probelab-runc';

export function judgeHost(facts: HostFacts): DoctorLine[] {
  const lines: DoctorLine[] = [];
  const engineFix =
    'run `sudo clusters/engine/ensure-engine.sh` (installs Debian docker.io and starts dockerd with the runc wrapper)';
  if (!facts.engine)
    lines.push({
      check: 'container engine',
      status: 'fail',
      detail: 'no Docker engine answers',
      fix: engineFix,
    });
  else
    lines.push({
      check: 'container engine',
      status: 'ok',
      detail: `Docker ${facts.engine.serverVersion}, default runtime ${facts.engine.defaultRuntime}`,
    });

  if (facts.missingCapabilities.length > 0) {
    const wrapped = facts.engine?.defaultRuntime === WRAPPER_RUNTIME;
    lines.push({
      check: 'privileged containers',
      status: wrapped ? 'ok' : facts.engine ? 'fail' : 'warn',
      detail: `the capability bounding set lacks ${facts.missingCapabilities.join(', ')}; ${wrapped ? 'the engine runs the probelab runc wrapper, which drops them' : 'kind nodes fail with "unable to apply caps" unless the runtime drops them'}`,
      ...(wrapped
        ? {}
        : {
            fix: `use an engine started by clusters/engine/ensure-engine.sh (default runtime ${WRAPPER_RUNTIME})`,
          }),
    });
  } else
    lines.push({
      check: 'privileged containers',
      status: 'ok',
      detail: 'the capability bounding set is complete',
    });

  lines.push(
    buildableTool(
      'kind',
      facts.kind,
      facts.go,
      'run `clusters/engine/install-kind.sh` (go install of the pinned kind)',
    ),
  );
  lines.push(
    facts.go
      ? { check: 'go', status: 'ok', detail: facts.go }
      : {
          check: 'go',
          status: 'fail',
          detail: 'not found; needed to build the sample service and offline images',
          fix: 'install Go 1.26 (https://go.dev/dl) and put it on PATH',
        },
  );
  lines.push(
    buildableTool('k6', facts.k6, facts.go, 'run `probelab images build` (builds k6 from its Go module)'),
  );

  const missing = NEEDED_CONTROLLERS.filter((c) => !facts.cgroup.controllers.includes(c));
  lines.push({
    check: 'cgroups',
    status: missing.length ? 'fail' : facts.cgroup.version === 1 ? 'warn' : 'ok',
    detail: `cgroup v${facts.cgroup.version}, controllers: ${facts.cgroup.controllers.join(' ') || '(none)'}${missing.length ? `; missing ${missing.join(', ')}` : ''}`,
    ...(missing.length
      ? {
          fix: `enable the ${missing.join(', ')} controller(s): kubelet needs them to enforce requests and limits`,
        }
      : facts.cgroup.version === 1
        ? {
            fix: 'cgroup v1 works up to Kubernetes 1.34 (the pinned version); boot with systemd.unified_cgroup_hierarchy=1 for newer ones',
          }
        : {}),
  });

  for (const [qdisc, works] of Object.entries(facts.qdiscs)) {
    const affects = {
      netem: 'NetworkChaos delay and loss',
      prio: 'NetworkChaos delay with a target',
      sfq: 'NetworkChaos bandwidth with a target',
      tbf: 'NetworkChaos bandwidth',
    }[qdisc];
    if (works === true)
      lines.push({ check: `qdisc ${qdisc}`, status: 'ok', detail: `available (${affects})` });
    else if (works === false)
      lines.push({
        check: `qdisc ${qdisc}`,
        status: 'warn',
        detail: `the kernel refuses sch_${qdisc}: ${affects} cannot be injected; runs report it as not injected`,
        fix: `use a kernel with CONFIG_NET_SCH_${qdisc.toUpperCase()}`,
      });
    else {
      const reason = facts.checkErrors[`qdisc ${qdisc}`] ?? 'unknown';
      lines.push({
        check: `qdisc ${qdisc}`,
        status: 'warn',
        detail: `could not check: ${reason}`,
        fix: uncheckedFix(reason, 'iproute2'),
      });
    }
  }
  if (facts.ipset === true)
    lines.push({ check: 'ipset', status: 'ok', detail: 'available (NetworkChaos partition)' });
  else
    lines.push({
      check: 'ipset',
      status: 'warn',
      detail:
        facts.ipset === false
          ? 'the kernel refuses ipset: NetworkChaos partition cannot be injected'
          : `could not check: ${facts.checkErrors.ipset ?? 'unknown'}`,
      fix:
        facts.ipset === false
          ? 'use a kernel with CONFIG_IP_SET'
          : uncheckedFix(facts.checkErrors.ipset ?? '', 'ipset'),
    });

  const freeGiB = (facts.freeDiskBytes / GiB).toFixed(1);
  lines.push(
    facts.freeDiskBytes >= MIN_FREE_DISK_BYTES
      ? { check: 'disk', status: 'ok', detail: `${freeGiB} GiB free in the cache directory` }
      : {
          check: 'disk',
          status: 'fail',
          detail: `${freeGiB} GiB free; the offline builds and a cluster need about ${MIN_FREE_DISK_BYTES / GiB} GiB`,
          fix: 'free space or set PROBELAB_CACHE_DIR to a larger disk',
        },
  );
  lines.push(
    facts.busyPorts.length === 0
      ? { check: 'ports', status: 'ok', detail: 'the NodePorts kind maps to 127.0.0.1 are free' }
      : {
          check: 'ports',
          status: 'warn',
          detail: `127.0.0.1 ports in use: ${facts.busyPorts.join(', ')} (fine if a probelab cluster holds them)`,
          fix: 'stop what listens there, or `probelab cluster down`',
        },
  );
  return lines;
}

/** buildableTool judges a tool probelab can build from its Go module when it is missing. */
function buildableTool(
  check: string,
  version: string | undefined,
  go: string | undefined,
  fix: string,
): DoctorLine {
  if (version) return { check, status: 'ok', detail: version };
  return {
    check,
    status: go ? 'warn' : 'fail',
    detail: go ? 'not installed; buildable with Go' : 'not installed and Go is missing',
    fix,
  };
}

function uncheckedFix(reason: string, debianPackage: string): string {
  return /not installed/.test(reason)
    ? `install it (Debian: apt-get install ${debianPackage}) and run doctor again`
    : 'run doctor as root';
}

/** doctorPassed: no check failed (warnings describe limits of this host, which runs report per fault). */
export function doctorPassed(lines: readonly DoctorLine[]): boolean {
  return lines.every((l) => l.status !== 'fail');
}
