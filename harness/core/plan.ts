/**
 * planRun: the ordered, named steps a run of a scenario takes, computed from the scenario alone and
 * printable before anything touches a cluster (`probelab plan`). Pure.
 *
 * It also says, per timeline fault, whether this host's kernel can inject it at all. A fault that cannot
 * be injected is a first-class outcome: the plan names it and the reason, and a run that contains it is
 * invalid (never silently passed), so the plan says so up front.
 */
import type { ChaosAction, TimelineAction } from '../config/v1alpha1.ts';
import type { HostFacts } from './doctor.ts';
import { durationMs, formatDuration } from './duration.ts';
import { loadDurationMs, planStages } from './load-shape.ts';
import { deploymentsOf, type ScenarioModel } from './model.ts';
import { chaosName, namespaceFor, type RenderOptions } from './render.ts';

/** Kernel features the chaos daemon needs per fault, as Chaos Mesh injects them (no device filter). */
export type KernelFeature = 'netem' | 'tbf' | 'ipset';

const NEEDS: Record<ChaosAction['action'], KernelFeature[]> = {
  'pod-kill': [],
  'pod-failure': [],
  'container-kill': [],
  'cpu-stress': [],
  'network-delay': ['netem'],
  'network-loss': ['netem'],
  bandwidth: ['tbf'],
  'network-partition': ['ipset'],
};

export interface Injectability {
  /** injectable: true (the kernel has what it needs), false (it does not), undefined (not known). */
  injectable: boolean | undefined;
  reason?: string;
}

/** injectabilityOf judges one fault against the host's kernel features; facts undefined means unknown. */
export function injectabilityOf(
  action: ChaosAction['action'],
  facts: Pick<HostFacts, 'qdiscs' | 'ipset'> | undefined,
): Injectability {
  const needs = NEEDS[action];
  if (needs.length === 0) return { injectable: true };
  if (!facts)
    return {
      injectable: undefined,
      reason: `needs ${needs.map(describeFeature).join(' and ')}; the host was not checked`,
    };
  const missing = needs.filter((f) => (f === 'ipset' ? facts.ipset : facts.qdiscs[f]) === false);
  if (missing.length > 0)
    return {
      injectable: false,
      reason: `not injectable here: kernel lacks ${missing.map(describeFeature).join(' and ')}`,
    };
  const unknown = needs.filter((f) => (f === 'ipset' ? facts.ipset : facts.qdiscs[f]) === undefined);
  if (unknown.length > 0)
    return {
      injectable: undefined,
      reason: `could not check ${unknown.map(describeFeature).join(' and ')} on this host`,
    };
  return { injectable: true };
}

function describeFeature(feature: KernelFeature): string {
  return feature === 'ipset' ? 'ipset' : `sch_${feature}`;
}

export interface PlannedStep {
  name: string;
  detail: string;
  /** atMs is set for timeline steps: the offset from load start. */
  atMs?: number;
  injectability?: Injectability;
}

export interface RunPlan {
  runId: string;
  namespace: string;
  loadDurationMs: number;
  steps: PlannedStep[];
  /** invalidReasons: why a run of this plan would be invalid before it starts (faults that cannot be injected). */
  invalidReasons: string[];
}

export function planRun(
  model: ScenarioModel,
  options: RenderOptions & { cluster: string },
  facts?: Pick<HostFacts, 'qdiscs' | 'ipset'>,
): RunPlan {
  const { scenario } = model;
  const namespace = namespaceFor(options.runId);
  const loaded = deploymentsOf(model, scenario.load.workload);
  const stages = planStages(scenario.load);
  const totalMs = loadDurationMs(scenario.load);
  const clusterTarget = scenario.cluster.existing
    ? `existing cluster (kubeconfig ${scenario.cluster.existing.kubeconfig}${scenario.cluster.existing.context ? `, context ${scenario.cluster.existing.context}` : ''})`
    : `kind cluster ${scenario.cluster.kind?.name ?? options.cluster} (${scenario.cluster.kind?.config ?? 'kind-config.yaml'}; ${scenario.cluster.reuse ? 'reuse if present' : 'create fresh'})`;

  const steps: PlannedStep[] = [
    { name: 'ensure cluster', detail: clusterTarget },
    { name: 'create namespace', detail: namespace },
    ...model.deployments.map((d) => {
      const port = loaded.findIndex((l) => l.name === d.name);
      const exposure = port >= 0 ? `NodePort 127.0.0.1:${options.nodePorts[port]}` : 'ClusterIP';
      const scaling = d.spec.hpa
        ? `HPA ${d.spec.hpa.minReplicas}-${d.spec.hpa.maxReplicas}${d.spec.hpa.cpuUtilization ? ` @${d.spec.hpa.cpuUtilization}% cpu` : ''}${d.spec.hpa.memoryUtilization ? ` @${d.spec.hpa.memoryUtilization}% memory` : ''}`
        : `${d.spec.replicas} replica(s)`;
      return {
        name: `deploy ${d.name}`,
        detail: `${scaling}, ${exposure}${d.description ? ` — ${d.description}` : ''}`,
      };
    }),
    {
      name: 'wait until ready',
      detail: `every deployment available, every loaded Service with ready endpoints`,
    },
    {
      name: 'start load',
      detail: `${scenario.load.model} model, ${stages.length} stage(s) over ${formatDuration(totalMs)} (${stages.map((s) => `${s.rps} rps`).join(' → ')}) against ${loaded.map((d) => d.name).join(', ')}`,
    },
  ];
  const invalidReasons: string[] = [];
  scenario.timeline.forEach((action, index) => {
    const step = timelineStep(action, index, model);
    if ('mode' in action) {
      step.injectability = injectabilityOf(action.action, facts);
      if (step.injectability.injectable === false)
        invalidReasons.push(
          `at ${action.at}: ${action.action} on ${action.target} is ${step.injectability.reason}`,
        );
    }
    steps.push(step);
  });
  steps.push(
    {
      name: 'stop load',
      detail: `at ${formatDuration(totalMs)}; remove every chaos resource and verify none remains`,
      atMs: totalMs,
    },
    {
      name: 'collect and judge',
      detail: `${countChecks(model)} SLO check(s), repeated ${scenario.repeat} time(s)`,
    },
    { name: 'render reports', detail: `reports/out/${options.runId}/` },
  );
  return { runId: options.runId, namespace, loadDurationMs: totalMs, steps, invalidReasons };
}

function timelineStep(action: TimelineAction, index: number, model: ScenarioModel): PlannedStep {
  const atMs = durationMs(action.at);
  const targets = deploymentsOf(model, action.target)
    .map((d) => d.name)
    .join(', ');
  const name = `at ${action.at}: ${action.action}`;
  switch (action.action) {
    case 'rollout-restart':
      return { name, atMs, detail: `restart ${targets}` };
    case 'scale':
      return { name, atMs, detail: `scale ${targets} to ${action.replicas}` };
    case 'config-update':
      return {
        name,
        atMs,
        detail: `update the config of ${targets} to version ${String(action.data.version ?? '(no version key)')}`,
      };
    default: {
      const scope =
        action.mode === 'one' || action.mode === 'all' ? action.mode : `${action.mode} ${action.value}`;
      const lasting = 'duration' in action ? ` for ${action.duration}` : '';
      const resources = deploymentsOf(model, action.target).map((d) => chaosName(index, action, d.name));
      return {
        name,
        atMs,
        detail: `${scope} of each of ${targets}${lasting} (Chaos Mesh ${resources.join(', ')})`,
      };
    }
  }
}

function countChecks(model: ScenarioModel): number {
  const { slos } = model.scenario;
  let count = 0;
  if (slos.restarts?.max !== undefined) count++;
  count += Object.keys(slos.restarts?.byCause ?? {}).length;
  if (slos.scaleUp) count++;
  count += Object.keys(slos.errorRate ?? {}).length;
  count += Object.keys(slos.latency ?? {}).length;
  if (slos.timeToReady) count++;
  if (slos.availability) count++;
  return count;
}

/** formatPlan renders a plan for a terminal: numbered steps, injectability, and the verdict it implies. */
export function formatPlan(plan: RunPlan, scenario: string): string {
  const lines = [
    `plan for scenario ${scenario}: run id ${plan.runId}, namespace ${plan.namespace}, load ${formatDuration(plan.loadDurationMs)}`,
  ];
  plan.steps.forEach((step, i) => {
    lines.push(`${String(i + 1).padStart(3)}. ${step.name}: ${step.detail}`);
    const inj = step.injectability;
    if (inj && inj.injectable !== true)
      lines.push(`       ${inj.injectable === false ? '✗' : '?'} ${inj.reason}`);
  });
  if (plan.invalidReasons.length > 0) {
    lines.push('', 'a run of this plan on this host would be INVALID:');
    for (const reason of plan.invalidReasons) lines.push(`  - ${reason}`);
  }
  return `${lines.join('\n')}\n`;
}
