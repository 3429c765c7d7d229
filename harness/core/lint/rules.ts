/**
 * The probe and autoscaling review: one table of rules, each with why it matters and how to fix it.
 * A rule looks at one LintTarget and returns zero or more hits; a hit names the field it is about in the
 * scenario's vocabulary (`probes.liveness`, `hpa.minReplicas`), which the caller maps to a file location.
 */
import type { V1Probe } from '@kubernetes/client-node';
import { cpuMillicores, parseQuantity } from '../quantity.ts';
import { formatDuration } from '../duration.ts';
import { failureWindowSeconds, probeField, startupAllowanceSeconds, type LintTarget } from './target.ts';

export type Severity = 'error' | 'warning' | 'info';

export interface Hit {
  /** field is the workload field the finding is about, in the scenario's vocabulary. */
  field: string[];
  /** detail is the finding with this target's numbers in it. */
  detail: string;
}

export interface LintRule {
  id: string;
  severity: Severity;
  /** why explains the failure this configuration causes in production. */
  why: string;
  /** fix says what to change. */
  fix: string;
  check: (target: LintTarget) => Hit[];
}

const hit = (field: string[], detail: string): Hit[] => [{ field, detail }];
const DEPENDENCY_PATH = /(depend|deps|upstream|database|\/db\b|downstream|deep)/i;
const SMALL_CPU_LIMIT_MILLICORES = 500;
const KILLING_CHAOS = new Set(['pod-kill', 'pod-failure', 'container-kill']);

function handlerKey(probe: V1Probe): string {
  return JSON.stringify({
    httpGet: probe.httpGet,
    tcpSocket: probe.tcpSocket,
    exec: probe.exec,
    grpc: probe.grpc,
  });
}

function timingKey(probe: V1Probe): string {
  return JSON.stringify(
    ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold'].map((k) =>
      probeField(probe, k as never),
    ),
  );
}

export const lintRules: LintRule[] = [
  {
    id: 'liveness-same-as-readiness',
    severity: 'warning',
    why: 'When liveness checks exactly what readiness checks, a pod that is only busy or not ready yet is restarted instead of being taken out of rotation; under load the restarts move traffic to the remaining pods and cascade.',
    fix: 'Point liveness at a cheap endpoint that only proves the process is alive (/livez) and give it a longer failure window than readiness.',
    check: ({ container }) => {
      const { livenessProbe: l, readinessProbe: r } = container;
      if (!l || !r || handlerKey(l) !== handlerKey(r)) return [];
      const same = timingKey(l) === timingKey(r) ? ' with the same timings' : '';
      return hit(['probes', 'liveness'], `liveness probes the same endpoint as readiness${same}`);
    },
  },
  {
    id: 'liveness-checks-dependency',
    severity: 'error',
    why: 'A liveness probe that checks a dependency restarts every pod at once when that dependency is slow or down; the restarts cannot fix the dependency and turn its outage into yours.',
    fix: 'Keep liveness local to the process; report dependency health through readiness (or metrics) instead.',
    check: ({ container, behaviour }) => {
      const probe = container.livenessProbe;
      if (!probe) return [];
      if (behaviour.livenessMode === 'dependency')
        return hit(
          ['behaviour', 'livenessMode'],
          'the service runs its liveness handler in "dependency" mode: /livez calls the dependency',
        );
      const path = probe.httpGet?.path;
      if (path && DEPENDENCY_PATH.test(path))
        return hit(
          ['probes', 'liveness', 'httpGet', 'path'],
          `liveness probes ${path}, which looks like a dependency check`,
        );
      return [];
    },
  },
  {
    id: 'startup-allowance-too-short',
    severity: 'error',
    why: 'Until the first successful probe, the liveness (or startup) probe gives a container initialDelaySeconds + failureThreshold × periodSeconds to come up; a slower start is killed and restarted forever (CrashLoopBackOff), most often under load or on a cold node.',
    fix: 'Add a startupProbe whose failureThreshold × periodSeconds covers the worst startup time with margin, and keep liveness initialDelaySeconds at 0.',
    check: ({ container, startupMs, listenMs }) => {
      const gate = container.startupProbe ?? container.livenessProbe;
      if (!gate) return [];
      // The sample service answers /livez and TCP as soon as it listens, before it has synced.
      const passesOnListen = gate.tcpSocket !== undefined || gate.httpGet?.path === '/livez';
      const needed = passesOnListen && listenMs !== undefined ? listenMs : startupMs;
      if (needed === undefined) return [];
      const allowance = startupAllowanceSeconds(gate);
      if (allowance * 1000 > needed) return [];
      const which = container.startupProbe ? 'startup' : 'liveness';
      const noStartupProbe = container.startupProbe ? '' : ' and there is no startupProbe';
      return hit(
        ['probes', which],
        `the ${which} probe allows ${allowance}s to start but the service needs ${formatDuration(needed)}${noStartupProbe}`,
      );
    },
  },
  {
    id: 'probe-timeout-under-cpu-limit',
    severity: 'warning',
    why: 'A CPU limit is enforced in 100 ms CFS periods; a container that uses its quota early is throttled for the rest of the period, and a Go GC cycle under load can add more. A 1 s probe timeout then fails while the service is merely busy.',
    fix: 'Raise timeoutSeconds to 3 or more for liveness, or raise (or drop) the CPU limit.',
    check: ({ container }) => {
      const limit = cpuMillicores(container.resources?.limits?.cpu);
      if (limit === undefined || limit > SMALL_CPU_LIMIT_MILLICORES) return [];
      const hits: ReturnType<LintRule['check']> = [];
      for (const kind of ['liveness', 'readiness'] as const) {
        const probe = kind === 'liveness' ? container.livenessProbe : container.readinessProbe;
        if (probe && probeField(probe, 'timeoutSeconds') <= 1)
          hits.push({
            field: ['probes', kind, 'timeoutSeconds'],
            detail: `${kind} timeout is ${probeField(probe, 'timeoutSeconds')}s with a CPU limit of ${limit}m`,
          });
      }
      return hits;
    },
  },
  {
    id: 'probe-timeout-not-below-period',
    severity: 'warning',
    why: 'When timeoutSeconds is not shorter than periodSeconds, a slow probe is still running when the next one is due, so one slow moment counts as several failures.',
    fix: 'Keep timeoutSeconds below periodSeconds.',
    check: ({ container }) =>
      (['startup', 'liveness', 'readiness'] as const).flatMap((kind) => {
        const probe = {
          startup: container.startupProbe,
          liveness: container.livenessProbe,
          readiness: container.readinessProbe,
        }[kind];
        if (!probe || probeField(probe, 'timeoutSeconds') < probeField(probe, 'periodSeconds')) return [];
        return [
          {
            field: ['probes', kind, 'timeoutSeconds'],
            detail: `${kind} timeout ${probeField(probe, 'timeoutSeconds')}s ≥ period ${probeField(probe, 'periodSeconds')}s`,
          },
        ];
      }),
  },
  {
    id: 'liveness-fails-before-readiness',
    severity: 'warning',
    why: 'If liveness gives up sooner than readiness, an unhealthy pod is restarted while it is still receiving traffic, and the requests in flight are dropped.',
    fix: 'Make the liveness failure window (failureThreshold × periodSeconds) longer than readiness’s.',
    check: ({ container }) => {
      const { livenessProbe: l, readinessProbe: r } = container;
      if (!l || !r || handlerKey(l) === handlerKey(r)) return [];
      if (failureWindowSeconds(l) > failureWindowSeconds(r)) return [];
      return hit(
        ['probes', 'liveness', 'failureThreshold'],
        `liveness acts after ${failureWindowSeconds(l)}s of failures, readiness after ${failureWindowSeconds(r)}s`,
      );
    },
  },
  {
    id: 'no-readiness-probe',
    severity: 'warning',
    why: 'Without a readiness probe a pod receives traffic as soon as its container starts, before the service is initialised, and keeps receiving it while shutting down.',
    fix: 'Add a readiness probe on the endpoint that reports initialisation and shutdown (/readyz).',
    check: ({ container }) =>
      container.readinessProbe ? [] : hit(['probes', 'readiness'], 'there is no readiness probe'),
  },
  {
    id: 'grace-period-shorter-than-shutdown',
    severity: 'error',
    why: 'The kubelet sends SIGKILL terminationGracePeriodSeconds after it starts stopping a pod; the preStop hook and the graceful drain must both fit inside, or in-flight requests are cut.',
    fix: 'Set terminationGracePeriodSeconds above preStop + drain delay + shutdown timeout, with a few seconds of margin.',
    check: ({ deployment, container, behaviour }) => {
      const grace = deployment.spec?.template?.spec?.terminationGracePeriodSeconds ?? 30;
      const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
      const drain =
        behaviour.shutdownMode === 'graceful'
          ? ((behaviour.drainDelayMs ?? 0) + (behaviour.shutdownTimeoutMs ?? 0)) / 1000
          : 0;
      if (preStop + drain <= grace) return [];
      return hit(
        ['terminationGracePeriodSeconds'],
        `grace period ${grace}s < preStop ${preStop}s + drain and shutdown ${drain}s`,
      );
    },
  },
  {
    id: 'no-drain-before-shutdown',
    severity: 'warning',
    why: 'Endpoints are removed asynchronously after SIGTERM is sent; a process that stops serving at once drops the requests kube-proxy still routes to it during rollouts and scale-downs.',
    fix: 'Add a preStop sleep of a few seconds, or keep serving for a drain delay after SIGTERM while failing readiness.',
    check: ({ container, behaviour }) => {
      if (container.lifecycle?.preStop) return [];
      if (behaviour.shutdownMode === 'abrupt')
        return hit(
          ['behaviour', 'shutdown', 'mode'],
          'the service exits at once on SIGTERM and there is no preStop hook',
        );
      if (behaviour.shutdownMode === 'graceful' && behaviour.drainDelayMs === 0)
        return hit(
          ['behaviour', 'shutdown', 'drainDelay'],
          'the drain delay is 0s and there is no preStop hook',
        );
      return [];
    },
  },
  {
    id: 'shutdown-ignores-sigterm',
    severity: 'warning',
    why: 'A process that ignores SIGTERM is only stopped by SIGKILL at the end of the grace period: every rollout waits the full period per pod and ends by cutting requests.',
    fix: 'Handle SIGTERM: fail readiness, drain, then shut the server down.',
    check: ({ behaviour }) =>
      behaviour.shutdownMode === 'ignore'
        ? hit(['behaviour', 'shutdown', 'mode'], 'the service ignores SIGTERM')
        : [],
  },
  {
    id: 'hpa-without-resource-request',
    severity: 'error',
    why: 'Utilization is usage divided by request; without a request the HPA cannot compute it, reports FailedGetResourceMetric and never scales.',
    fix: 'Set resources.requests for every resource the HPA targets.',
    check: ({ hpa, container }) =>
      (hpa?.spec?.metrics ?? []).flatMap((metric) => {
        const resource = metric.resource?.name;
        if (
          !resource ||
          (container.resources?.requests as Record<string, unknown> | undefined)?.[resource] !== undefined
        )
          return [];
        return [
          {
            field: ['resources', 'requests', resource],
            detail: `the HPA targets ${resource} utilization but the container has no ${resource} request`,
          },
        ];
      }),
  },
  {
    id: 'hpa-cannot-scale',
    severity: 'warning',
    why: 'An HPA whose minReplicas equals maxReplicas never changes the replica count.',
    fix: 'Raise maxReplicas above minReplicas, or remove the HPA.',
    check: ({ hpa }) =>
      hpa?.spec && (hpa.spec.minReplicas ?? 1) === hpa.spec.maxReplicas
        ? hit(['hpa', 'maxReplicas'], `minReplicas and maxReplicas are both ${hpa.spec.maxReplicas}`)
        : [],
  },
  {
    id: 'slow-scale-up-policy',
    severity: 'warning',
    why: 'A long scale-up stabilization window or a policy that adds one pod per minute makes the HPA react long after load arrives; latency and errors climb meanwhile.',
    fix: 'Keep scaleUp.stabilizationWindowSeconds at 0-30 and allow at least 100% or several pods per 15-30 s.',
    check: ({ hpa }) => {
      const up = hpa?.spec?.behavior?.scaleUp;
      if (!up) return [];
      const hits: Hit[] = [];
      if ((up.stabilizationWindowSeconds ?? 0) > 60)
        hits.push({
          field: ['hpa', 'behavior', 'scaleUp', 'stabilizationWindowSeconds'],
          detail: `scale-up waits ${up.stabilizationWindowSeconds}s before acting`,
        });
      const fastest = Math.max(
        0,
        ...(up.policies ?? []).map((p) => (p.type === 'Pods' ? p.value : 0) / p.periodSeconds),
      );
      if (
        up.policies?.length &&
        up.selectPolicy !== 'Disabled' &&
        up.policies.every((p) => p.type === 'Pods') &&
        fastest < 1 / 30
      )
        hits.push({
          field: ['hpa', 'behavior', 'scaleUp', 'policies'],
          detail: `the policies add at most one pod per ${Math.round(1 / fastest)}s`,
        });
      return hits;
    },
  },
  {
    id: 'single-replica-under-pod-chaos',
    severity: 'warning',
    why: 'Killing the only replica is an outage by construction: the experiment measures restart time, not resilience.',
    fix: 'Run at least 2 replicas (hpa.minReplicas or replicas) when the timeline kills pods.',
    check: ({ deployment, hpa, chaos }) => {
      const killing = chaos.find((c) => KILLING_CHAOS.has(c.action));
      if (!killing) return [];
      const floor = hpa?.spec ? (hpa.spec.minReplicas ?? 1) : (deployment.spec?.replicas ?? 1);
      if (floor > 1) return [];
      return hit(
        hpa ? ['hpa', 'minReplicas'] : ['replicas'],
        `${floor} replica${floor === 1 ? '' : 's'} and the timeline runs ${killing.action}${killing.at ? ` at ${killing.at}` : ''}`,
      );
    },
  },
  {
    id: 'memory-limit-without-gomemlimit',
    severity: 'warning',
    why: 'The Go GC paces itself by GOGC alone unless GOMEMLIMIT is set, so the heap can grow past the container’s memory limit and the pod is OOMKilled instead of collecting harder.',
    fix: 'Set GOMEMLIMIT to about 90% of the memory limit.',
    check: ({ container }) => {
      const limit = container.resources?.limits?.memory;
      if (limit === undefined || (container.env ?? []).some((e) => e.name === 'GOMEMLIMIT')) return [];
      const bytes = parseQuantity(limit);
      const suggestion = bytes === undefined ? '' : ` (about ${Math.floor((bytes * 0.9) / 2 ** 20)}MiB)`;
      return hit(['env', 'GOMEMLIMIT'], `memory limit ${limit} with no GOMEMLIMIT${suggestion}`);
    },
  },
  {
    id: 'config-subpath-never-updates',
    severity: 'warning',
    why: 'The kubelet never updates a ConfigMap mounted with subPath; changes reach the process only when the pod is recreated.',
    fix: 'Mount the ConfigMap as a directory and have the process watch the directory, or roll the Deployment on every config change.',
    check: ({ container, configUpdates }) => {
      const mount = (container.volumeMounts ?? []).find((m) => m.subPath);
      if (!mount) return [];
      const consequence =
        configUpdates > 0
          ? `; the timeline's ${configUpdates} config update(s) will never reach the process`
          : '';
      return hit(
        ['config', 'mount'],
        `the config is mounted with subPath at ${mount.mountPath}${consequence}`,
      );
    },
  },
  {
    id: 'config-watch-misses-symlink-swap',
    severity: 'warning',
    why: 'The kubelet updates a mounted ConfigMap by swapping the ..data symlink in the directory; a watch on the file itself never fires, so the process keeps its old config.',
    fix: 'Watch the directory (reload: watch-directory) and reload when ..data changes.',
    check: ({ behaviour, container }) =>
      behaviour.configReload === 'watch-file' && !(container.volumeMounts ?? []).some((m) => m.subPath)
        ? hit(['config', 'reload'], 'the service watches the config file, not its directory')
        : [],
  },
  {
    id: 'config-never-reloaded',
    severity: 'warning',
    why: 'A process that reads its config only at start does not see ConfigMap changes until it restarts.',
    fix: 'Reload on change (reload: watch-directory), or restart the Deployment after each change.',
    check: ({ behaviour, configUpdates }) =>
      behaviour.configReload === 'none' && configUpdates > 0
        ? hit(
            ['config', 'reload'],
            `reload is "none" and the timeline updates the config ${configUpdates} time(s)`,
          )
        : [],
  },
];

export function ruleById(id: string): LintRule | undefined {
  return lintRules.find((r) => r.id === id);
}
