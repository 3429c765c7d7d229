/**
 * Semantic rules of a scenario: what the schema cannot see because it relates one field to another
 * (references, time windows, port names, HPA bounds, Kubernetes' own cross-field rules). Every rule
 * returns problems; none stops the others, so a file's problems are all reported together.
 */
import type { Probe, Workload } from './v1alpha1.ts';
import { deploymentsOf, type Deployed, type ScenarioModel } from '../core/model.ts';
import { durationMs, formatDuration } from '../core/duration.ts';
import { loadDurationMs } from '../core/load-shape.ts';
import { parseQuantity } from '../core/quantity.ts';
import { LOADED_NODE_PORTS } from '../core/render.ts';
import { error, warning, type PathSegment, type Problem } from '../core/problems.ts';

type Rule = (model: ScenarioModel) => Problem[];

const rules: Rule[] = [
  uniqueNames,
  loadTarget,
  timelineTargets,
  timelineInsideLoad,
  chaosModeValues,
  dependencies,
  probesWellFormed,
  portsAndPreStop,
  hpaBounds,
  resourceBounds,
  configUpdates,
  loadVus,
  loadedVariantCount,
  clusterTarget,
  sloApplicability,
];

export function checkScenario(model: ScenarioModel): Problem[] {
  return rules.flatMap((rule) => rule(model));
}

function uniqueNames({ scenario, deployments }: ScenarioModel): Problem[] {
  const problems: Problem[] = [];
  const workloadNames = new Set<string>();
  scenario.workloads.forEach((w, i) => {
    if (workloadNames.has(w.name))
      problems.push(
        error(['workloads', i, 'name'], `duplicate workload name "${w.name}", names must be unique`),
      );
    workloadNames.add(w.name);
  });
  const seen = new Set<string>();
  for (const d of deployments) {
    if (d.source[0] === 'variants' && workloadNames.has(d.name))
      problems.push(
        error(nameOf(d), `variant name "${d.name}" is also a workload name; use a distinct name`),
      );
    else if (seen.has(d.name))
      problems.push(error(nameOf(d), `duplicate variant name "${d.name}", names must be unique`));
    seen.add(d.name);
  }
  return problems;
}

function nameOf(d: Deployed): PathSegment[] {
  return d.source.at(-1) === 'matrix' ? d.source : [...d.source, 'name'];
}

function targetNames(model: ScenarioModel): string {
  const names = new Set<string>();
  for (const d of model.deployments) names.add(d.name).add(d.workload);
  return [...names].join(', ');
}

function loadTarget(model: ScenarioModel): Problem[] {
  const name = model.scenario.load.workload;
  if (model.scenario.workloads.some((w) => w.name === name)) return [];
  return [
    error(
      ['load', 'workload'],
      `no workload named "${name}", allowed: ${model.scenario.workloads.map((w) => w.name).join(', ')}`,
    ),
  ];
}

function timelineTargets(model: ScenarioModel): Problem[] {
  const problems: Problem[] = [];
  model.scenario.timeline.forEach((action, i) => {
    if (deploymentsOf(model, action.target).length === 0)
      problems.push(
        error(
          ['timeline', i, 'target'],
          `no workload or variant named "${action.target}", allowed: ${targetNames(model)}`,
        ),
      );
    if (action.action === 'network-partition') {
      if (deploymentsOf(model, action.from).length === 0)
        problems.push(
          error(
            ['timeline', i, 'from'],
            `no workload or variant named "${action.from}", allowed: ${targetNames(model)}`,
          ),
        );
      else if (action.from === action.target)
        problems.push(
          error(['timeline', i, 'from'], 'must name the other side of the partition, not the target itself'),
        );
    }
    if (action.action === 'scale' && deploymentsOf(model, action.target).some((d) => d.spec.hpa))
      problems.push(
        warning(
          ['timeline', i],
          `"${action.target}" has an HPA, which will override a manual scale within one sync period`,
        ),
      );
  });
  return problems;
}

function timelineInsideLoad(model: ScenarioModel): Problem[] {
  const loadMs = loadDurationMs(model.scenario.load);
  const problems: Problem[] = [];
  model.scenario.timeline.forEach((action, i) => {
    const atMs = durationMs(action.at);
    if (atMs >= loadMs) {
      problems.push(
        error(
          ['timeline', i, 'at'],
          `${action.at} is not inside the load window, allowed: 0s up to ${formatDuration(loadMs)} (exclusive)`,
        ),
      );
      return;
    }
    if ('duration' in action) {
      const endMs = atMs + durationMs(action.duration);
      if (endMs > loadMs)
        problems.push(
          error(
            ['timeline', i, 'duration'],
            `${action.action} would end at ${formatDuration(endMs)}, after the load ends at ${formatDuration(loadMs)}; shorten it to at most ${formatDuration(loadMs - atMs)}`,
          ),
        );
    }
  });
  return problems;
}

function chaosModeValues(model: ScenarioModel): Problem[] {
  const problems: Problem[] = [];
  model.scenario.timeline.forEach((action, i) => {
    if (!('mode' in action)) return;
    const needsValue = action.mode !== 'one' && action.mode !== 'all';
    if (needsValue && action.value === undefined)
      problems.push(
        error(
          ['timeline', i, 'value'],
          `is required with mode ${action.mode} (a count for fixed, a percent 1-100 otherwise)`,
        ),
      );
    if (!needsValue && action.value !== undefined)
      problems.push(
        error(
          ['timeline', i, 'value'],
          `is not used with mode ${action.mode}; remove it or use mode fixed, fixed-percent or random-max-percent`,
        ),
      );
    if (
      needsValue &&
      action.mode !== 'fixed' &&
      action.value !== undefined &&
      (Number(action.value) < 1 || Number(action.value) > 100)
    )
      problems.push(
        error(
          ['timeline', i, 'value'],
          `must be a percent 1-100 with mode ${action.mode}, got ${action.value}`,
        ),
      );
  });
  return problems;
}

function dependencies(model: ScenarioModel): Problem[] {
  const problems: Problem[] = [];
  for (const d of model.deployments) {
    const { dependency, livenessMode } = d.spec.behaviour;
    if (livenessMode === 'dependency' && dependency === undefined)
      problems.push(
        error(
          d.origin(['behaviour', 'livenessMode']),
          'livenessMode "dependency" needs behaviour.dependency to name the workload it calls',
        ),
      );
    if (dependency === undefined) continue;
    const where = d.origin(['behaviour', 'dependency']);
    const target = model.deployments.filter((other) => other.name === dependency);
    if (dependency === d.workload) problems.push(error(where, 'a workload cannot depend on itself'));
    else if (target.length === 0) {
      const varied = model.deployments.some((other) => other.workload === dependency);
      problems.push(
        error(
          where,
          varied
            ? `workload "${dependency}" has variants; a dependency must be a workload deployed as itself (without variants)`
            : `no workload named "${dependency}", allowed: ${
                model.deployments
                  .filter((o) => o.name === o.workload && o.name !== d.workload)
                  .map((o) => o.name)
                  .join(', ') || '(none)'
              }`,
        ),
      );
    }
  }
  return problems;
}

const handlers = ['httpGet', 'tcpSocket', 'exec', 'grpc'] as const;

function probesWellFormed(model: ScenarioModel): Problem[] {
  const problems: Problem[] = [];
  for (const d of model.deployments) {
    for (const kind of ['startup', 'liveness', 'readiness'] as const) {
      const probe = d.spec.probes?.[kind];
      if (!probe) continue;
      const at = (...rest: PathSegment[]) => d.origin(['probes', kind, ...rest]);
      const present = handlers.filter((h) => probe[h] !== undefined);
      if (present.length !== 1)
        problems.push(
          error(
            at(),
            `must have exactly one of ${handlers.join(', ')}, got ${present.length === 0 ? 'none' : present.join(' and ')}`,
          ),
        );
      if (kind !== 'readiness' && probe.successThreshold !== undefined && probe.successThreshold !== 1)
        problems.push(
          error(
            at('successThreshold'),
            `must be 1 for a ${kind} probe (a Kubernetes rule), got ${probe.successThreshold}`,
          ),
        );
      if (kind === 'readiness' && probe.terminationGracePeriodSeconds !== undefined)
        problems.push(
          error(
            at('terminationGracePeriodSeconds'),
            'is only allowed on liveness and startup probes (a Kubernetes rule)',
          ),
        );
      problems.push(...probePorts(d.spec, probe, at));
    }
  }
  return problems;
}

/** containerPorts lists the ports the sample service's container declares, by name. */
export function containerPorts(spec: Workload): Map<string, number> {
  const ports = new Map<string, number>([['http', spec.behaviour.port]]);
  if (spec.behaviour.grpcPort > 0) ports.set('grpc', spec.behaviour.grpcPort);
  return ports;
}

function probePorts(spec: Workload, probe: Probe, at: (...rest: PathSegment[]) => PathSegment[]): Problem[] {
  const ports = containerPorts(spec);
  const allowed = [...ports].map(([name, n]) => `${name} (${n})`).join(', ');
  const problems: Problem[] = [];
  const check = (port: string | number, path: PathSegment[]) => {
    if (typeof port === 'string' && !ports.has(port))
      problems.push(error(path, `no container port named "${port}", allowed: ${allowed}`));
    if (typeof port === 'number' && ![...ports.values()].includes(port))
      problems.push(
        warning(path, `port ${port} is not a port the service listens on (${allowed}); the probe will fail`),
      );
  };
  if (probe.httpGet) check(probe.httpGet.port, at('httpGet', 'port'));
  if (probe.tcpSocket) check(probe.tcpSocket.port, at('tcpSocket', 'port'));
  if (probe.grpc) check(probe.grpc.port, at('grpc', 'port'));
  return problems;
}

function portsAndPreStop(model: ScenarioModel): Problem[] {
  const problems: Problem[] = [];
  for (const d of model.deployments) {
    const { port, grpcPort } = d.spec.behaviour;
    if (port === grpcPort)
      problems.push(
        error(
          d.origin(['behaviour', 'grpcPort']),
          `is the same as behaviour.port (${port}); use another port, or 0 to disable gRPC`,
        ),
      );
    const preStopHttp = d.spec.lifecycle?.preStop?.httpGet;
    if (preStopHttp)
      problems.push(
        ...probePorts(d.spec, { httpGet: preStopHttp }, (...rest) =>
          d.origin(['lifecycle', 'preStop', ...rest]),
        ),
      );
    const preStop = d.spec.lifecycle?.preStop;
    if (!preStop) continue;
    const present = (['sleep', 'exec', 'httpGet'] as const).filter((h) => preStop[h] !== undefined);
    if (present.length !== 1)
      problems.push(
        error(
          d.origin(['lifecycle', 'preStop']),
          `must have exactly one of sleep, exec, httpGet, got ${present.length === 0 ? 'none' : present.join(' and ')}`,
        ),
      );
  }
  return problems;
}

function hpaBounds(model: ScenarioModel): Problem[] {
  const problems: Problem[] = [];
  for (const d of model.deployments) {
    const hpa = d.spec.hpa;
    if (!hpa) continue;
    if (hpa.minReplicas > hpa.maxReplicas)
      problems.push(
        error(
          d.origin(['hpa', 'minReplicas']),
          `minReplicas ${hpa.minReplicas} is above maxReplicas ${hpa.maxReplicas}; minReplicas must be ≤ maxReplicas`,
        ),
      );
    if (hpa.cpuUtilization === undefined && hpa.memoryUtilization === undefined)
      problems.push(error(d.origin(['hpa']), 'needs a metric: set cpuUtilization and/or memoryUtilization'));
  }
  return problems;
}

function resourceBounds(model: ScenarioModel): Problem[] {
  const problems: Problem[] = [];
  for (const d of model.deployments) {
    const { requests, limits } = d.spec.resources ?? {};
    for (const resource of ['cpu', 'memory'] as const) {
      const request = requests?.[resource];
      const limit = limits?.[resource];
      if (request === undefined || limit === undefined) continue;
      if ((parseQuantity(request) as number) > (parseQuantity(limit) as number))
        problems.push(
          error(
            d.origin(['resources', 'requests', resource]),
            `request ${request} is above the limit ${limit}; a request must be ≤ its limit`,
          ),
        );
    }
  }
  return problems;
}

function configUpdates(model: ScenarioModel): Problem[] {
  const problems: Problem[] = [];
  model.scenario.timeline.forEach((action, i) => {
    if (action.action !== 'config-update') return;
    const version = action.data.version;
    // Propagation is measured by the version the process reports (GET /config), so it must change.
    if (typeof version !== 'string' || version === '')
      problems.push(
        error(
          ['timeline', i, 'data', 'version'],
          `${version === undefined ? 'missing' : `${JSON.stringify(version)} is not a non-empty string`}; give the new config a "version" string (it is what the service reports, and how propagation is measured)`,
        ),
      );
    for (const d of deploymentsOf(model, action.target)) {
      if (d.spec.config && typeof version === 'string' && d.spec.config.data.version === version)
        problems.push(
          error(
            ['timeline', i, 'data', 'version'],
            `"${version}" is already the version of "${d.name}"'s config; use a new version so the change can be seen`,
          ),
        );
      if (!d.spec.config)
        problems.push(
          error(
            ['timeline', i, 'target'],
            `"${d.name}" has no config file to update; give its workload a config section`,
          ),
        );
    }
  });
  return problems;
}

function loadVus(model: ScenarioModel): Problem[] {
  const { vus } = model.scenario.load;
  if (vus.max >= vus.preAllocated) return [];
  return [
    error(
      ['load', 'vus', 'max'],
      `${vus.max} is below preAllocated ${vus.preAllocated}; max must be ≥ preAllocated`,
    ),
  ];
}

function loadedVariantCount(model: ScenarioModel): Problem[] {
  const loaded = deploymentsOf(model, model.scenario.load.workload);
  if (loaded.length <= LOADED_NODE_PORTS.length) return [];
  return [
    error(
      ['load', 'workload'],
      `"${model.scenario.load.workload}" has ${loaded.length} variants; at most ${LOADED_NODE_PORTS.length} can receive load side by side (one NodePort each); split the matrix across scenarios`,
    ),
  ];
}

function clusterTarget(model: ScenarioModel): Problem[] {
  const { cluster } = model.scenario;
  if (cluster.kind && cluster.existing)
    return [error(['cluster', 'existing'], 'set either cluster.kind or cluster.existing, not both')];
  return [];
}

function sloApplicability(model: ScenarioModel): Problem[] {
  const { slos, timeline, load } = model.scenario;
  const problems: Problem[] = [];
  const loaded: Deployed[] = deploymentsOf(model, load.workload);
  if (slos.scaleUp && loaded.length > 0 && loaded.every((d) => !d.spec.hpa))
    problems.push(
      warning(
        ['slos', 'scaleUp'],
        `workload "${load.workload}" has no HPA, so scale-up latency will not be measured`,
      ),
    );
  if (slos.errorRate?.duringChaos !== undefined && !timeline.some((a) => 'mode' in a))
    problems.push(
      warning(
        ['slos', 'errorRate', 'duringChaos'],
        'the timeline has no chaos action, so this check has nothing to judge',
      ),
    );
  if (slos.errorRate?.duringRollout !== undefined && !timeline.some((a) => a.action === 'rollout-restart'))
    problems.push(
      warning(
        ['slos', 'errorRate', 'duringRollout'],
        'the timeline has no rollout-restart, so this check has nothing to judge',
      ),
    );
  return problems;
}
