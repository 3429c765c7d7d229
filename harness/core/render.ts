/**
 * renderManifests: the Kubernetes objects a run applies, computed from the scenario alone.
 *
 * Contract: pure and deterministic (same model and options → same objects, same order); every object
 * carries the run's labels so it can be found again by label; nothing here talks to a cluster.
 * Objects are typed with @kubernetes/client-node's models (type imports only).
 */
import type {
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1LifecycleHandler,
  V1Namespace,
  V1Probe,
  V1Service,
  V1Volume,
  V1VolumeMount,
  V2HPAScalingRules,
  V2HorizontalPodAutoscaler,
  V2MetricSpec,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type {
  ChaosAction,
  HpaScalingRules,
  LifecycleHandler,
  Probe,
  TimelineAction,
  Workload,
} from '../config/v1alpha1.ts';
import { deploymentsOf, type Deployed, type ScenarioModel } from './model.ts';
import { parseQuantity } from './quantity.ts';

/** Label keys every object carries; `probelab clean` and the watchers select on them. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  runId: 'probelab.dev/run-id',
  scenario: 'probelab.dev/scenario',
  workload: 'probelab.dev/workload',
  variant: 'probelab.dev/variant',
  timelineIndex: 'probelab.dev/timeline-index',
} as const;
export const MANAGED_BY = 'probelab';
export const AT_ANNOTATION = 'probelab.dev/at';
/** Chaos Mesh's namespace filter annotation, and the ClusterRole that lets its controller write pods. */
export const CHAOS_INJECT_ANNOTATION = 'chaos-mesh.org/inject';
export const CHAOS_INJECT_ROLE = 'probelab-chaos-inject';

/** The sample service's container name, which chaos (container-kill, stress) targets. */
export const CONTAINER_NAME = 'sample';
export const SERVICE_PORT = 80;
const CONFIG_DIR = '/etc/sample';
const CONFIG_KEY = 'config.yaml';

/**
 * LOADED_NODE_PORTS are the NodePorts kind-config.yaml maps to 127.0.0.1, handed in order to the
 * Services of the variants that receive load; so at most this many variants can receive load.
 */
export const LOADED_NODE_PORTS: readonly number[] = [30080, 30081, 30082, 30083, 30084, 30085, 30086, 30087];

export interface RenderOptions {
  /** runId names the run; it must be a DNS label of at most 40 characters. */
  runId: string;
  /** image is the sample service image used for workloads that do not name their own. */
  image: string;
  /** nodePorts are handed out in order to the Services that receive load (kind maps them to 127.0.0.1). */
  nodePorts: readonly number[];
}

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

/** A timeline entry: what happens at an offset, and the object applied then, if any. */
export interface RenderedAction {
  at: string;
  description: string;
  /** objects applied at that moment: chaos resources, updated ConfigMaps (one per targeted variant). */
  objects: KubernetesObject[];
}

export interface Rendered {
  namespace: string;
  /** objects are applied before load starts, in this order. */
  objects: KubernetesObject[];
  timeline: RenderedAction[];
}

export function namespaceFor(runId: string): string {
  return `probelab-${runId}`;
}

/** timelineObjects lists every object the timeline applies, in order. */
export function timelineObjects(rendered: Rendered): KubernetesObject[] {
  return rendered.timeline.flatMap((action) => action.objects);
}

export function renderManifests(model: ScenarioModel, options: RenderOptions): Rendered {
  const namespace = namespaceFor(options.runId);
  const base = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.runId]: options.runId,
    [LABELS.scenario]: model.scenario.metadata.name,
  };
  const labelsFor = (d: Deployed) => ({ ...base, [LABELS.workload]: d.workload, [LABELS.variant]: d.name });
  const loaded = new Set(deploymentsOf(model, model.scenario.load.workload).map((d) => d.name));
  if (loaded.size > options.nodePorts.length)
    throw new Error(
      `internal: ${loaded.size} loaded variants but only ${options.nodePorts.length} node ports`,
    );

  const hasChaos = model.scenario.timeline.some((a) => 'mode' in a);
  const ns: V1Namespace & KubernetesObject = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: namespace,
      labels: base,
      // Chaos Mesh runs with ENABLE_FILTER_NAMESPACE: it injects only where this annotation says so.
      ...(hasChaos ? { annotations: { [CHAOS_INJECT_ANNOTATION]: 'enabled' } } : {}),
    },
  };
  const objects: KubernetesObject[] = [ns];
  // The controller may write pods only in namespaces that bind this role (clusters/addons/chaos-mesh).
  if (hasChaos)
    objects.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: CHAOS_INJECT_ROLE, namespace, labels: base },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: CHAOS_INJECT_ROLE },
      subjects: [{ kind: 'ServiceAccount', name: 'chaos-controller-manager', namespace: 'chaos-mesh' }],
    } as KubernetesObject);
  let nextPort = 0;
  for (const d of model.deployments) {
    const labels = labelsFor(d);
    const meta = (name: string) => ({ name, namespace, labels });
    if (d.spec.config) objects.push(configMap(meta(configMapName(d)), d.spec.config.data));
    objects.push(deployment(d, meta(d.name), options));
    const nodePort = loaded.has(d.name) ? options.nodePorts[nextPort++] : undefined;
    objects.push(service(d, meta(d.name), nodePort));
    if (d.spec.hpa) objects.push(horizontalPodAutoscaler(d, meta(d.name)));
  }

  const timeline = model.scenario.timeline.map((action, index): RenderedAction => {
    const targets = deploymentsOf(model, action.target);
    const meta = (name: string, extra: Record<string, string> = {}) => ({
      name,
      namespace,
      labels: { ...base, ...extra, [LABELS.timelineIndex]: String(index) },
      annotations: { [AT_ANNOTATION]: action.at },
    });
    switch (action.action) {
      case 'rollout-restart':
        return { at: action.at, description: `rollout restart of ${names(targets)}`, objects: [] };
      case 'scale':
        return {
          at: action.at,
          description: `scale ${names(targets)} to ${action.replicas} replicas`,
          objects: [],
        };
      case 'config-update':
        return {
          at: action.at,
          description: `update config of ${names(targets)}`,
          objects: targets.map((d) =>
            configMap(
              meta(configMapName(d), { [LABELS.workload]: d.workload, [LABELS.variant]: d.name }),
              action.data,
            ),
          ),
        };
      default:
        return {
          at: action.at,
          description: `${action.action} on ${names(targets)}`,
          // One resource per targeted deployment, so that variants compared side by side get the same fault
          // (mode one kills one pod of each variant, not one pod among all of them).
          objects: targets.map((d) =>
            chaosObject(
              action,
              d.name,
              meta(chaosName(index, action, d.name), {
                [LABELS.workload]: d.workload,
                [LABELS.variant]: d.name,
              }),
              namespace,
              model,
              options.runId,
            ),
          ),
        };
    }
  });
  return { namespace, objects, timeline };
}

function names(targets: Deployed[]): string {
  return targets.map((d) => d.name).join(', ');
}

export function configMapName(d: Deployed): string {
  return `${d.name}-config`;
}

/** chaosName names the chaos resource of timeline entry `index` for one targeted deployment. */
export function chaosName(index: number, action: TimelineAction, deployment: string): string {
  return `t${index}-${action.action}-${deployment}`.slice(0, 63).replace(/-+$/, '');
}

function configMap(
  metadata: KubernetesObject['metadata'],
  data: Record<string, unknown>,
): V1ConfigMap & KubernetesObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { [CONFIG_KEY]: stringify(data) } };
}

// ---- Deployment ----------------------------------------------------------------------------------------

function deployment(
  d: Deployed,
  metadata: KubernetesObject['metadata'],
  options: RenderOptions,
): V1Deployment & KubernetesObject {
  const spec = d.spec;
  const selector = { [LABELS.runId]: options.runId, [LABELS.variant]: d.name };
  const mounts: V1VolumeMount[] = [];
  const volumes: V1Volume[] = [];
  if (spec.config) {
    volumes.push({ name: 'config', configMap: { name: configMapName(d) } });
    mounts.push(
      spec.config.mount === 'subPath'
        ? { name: 'config', mountPath: `${CONFIG_DIR}/${CONFIG_KEY}`, subPath: CONFIG_KEY, readOnly: true }
        : { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
    );
  }
  const container: V1Container = {
    name: CONTAINER_NAME,
    image: spec.image ?? options.image,
    imagePullPolicy: 'IfNotPresent',
    ports: [...containerPortsOf(spec)],
    env: environment(d),
    ...(spec.resources ? { resources: resources(spec.resources) } : {}),
    ...(spec.probes?.startup ? { startupProbe: probe(spec.probes.startup) } : {}),
    ...(spec.probes?.liveness ? { livenessProbe: probe(spec.probes.liveness) } : {}),
    ...(spec.probes?.readiness ? { readinessProbe: probe(spec.probes.readiness) } : {}),
    ...(spec.lifecycle?.preStop ? { lifecycle: { preStop: lifecycleHandler(spec.lifecycle.preStop) } } : {}),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      replicas: spec.hpa
        ? Math.min(Math.max(spec.replicas, spec.hpa.minReplicas), spec.hpa.maxReplicas)
        : spec.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: metadata.labels },
        spec: {
          ...(spec.terminationGracePeriodSeconds === undefined
            ? {}
            : { terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds }),
          containers: [container],
          ...(volumes.length ? { volumes } : {}),
        },
      },
    },
  };
}

function containerPortsOf(spec: Workload) {
  const ports = [{ name: 'http', containerPort: spec.behaviour.port, protocol: 'TCP' }];
  if (spec.behaviour.grpcPort > 0)
    ports.push({ name: 'grpc', containerPort: spec.behaviour.grpcPort, protocol: 'TCP' });
  return ports;
}

const bytes = (value: string | number) => String(Math.round(parseQuantity(value) as number));

/** environment maps the behaviour knobs to the sample service's SAMPLE_* variables (services/sample/README.md). */
function environment(d: Deployed): V1EnvVar[] {
  const b = d.spec.behaviour;
  const env: [string, string][] = [
    ['SAMPLE_PORT', String(b.port)],
    ['SAMPLE_GRPC_PORT', String(b.grpcPort)],
    ['SAMPLE_LISTEN_DELAY', b.listenDelay],
    ['SAMPLE_SYNC_DURATION', b.syncDuration],
    ['SAMPLE_WARMUP_ALLOC', bytes(b.warmupAlloc)],
    ['SAMPLE_LIVENESS_MODE', b.livenessMode],
    ...(b.dependency
      ? ([['SAMPLE_DEPENDENCY_URL', `http://${b.dependency}:${SERVICE_PORT}`]] as [string, string][])
      : []),
    ['SAMPLE_DEPENDENCY_TIMEOUT', b.dependencyTimeout],
    ['SAMPLE_WORK_CPU', b.work.cpu],
    ['SAMPLE_WORK_ALLOC', bytes(b.work.alloc)],
    ['SAMPLE_WORK_LATENCY', b.work.latency],
    ['SAMPLE_WORK_ERROR_RATE', String(b.work.errorRate)],
    ['SAMPLE_WORK_PAYLOAD', bytes(b.work.payload)],
    ['SAMPLE_SHUTDOWN_MODE', b.shutdown.mode],
    ['SAMPLE_DRAIN_DELAY', b.shutdown.drainDelay],
    ['SAMPLE_SHUTDOWN_TIMEOUT', b.shutdown.timeout],
    ['SAMPLE_EXIT_CODE', String(b.shutdown.exitCode)],
    ['SAMPLE_PANIC_AFTER', b.panicAfter],
    ['SAMPLE_LEAK_RATE', bytes(b.leakRate)],
  ];
  if (d.spec.config) {
    env.push(
      ['SAMPLE_CONFIG_FILE', `${CONFIG_DIR}/${CONFIG_KEY}`],
      ['SAMPLE_CONFIG_RELOAD', d.spec.config.reload],
    );
  }
  for (const [key, value] of Object.entries(d.spec.env ?? {}))
    if (value !== undefined) env.push([key, value]);
  return [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ...env.map(([name, value]) => ({ name, value })),
  ];
}

function resources(r: NonNullable<Workload['resources']>) {
  const list = (
    l: { cpu?: string | number | undefined; memory?: string | number | undefined } | undefined,
  ) => {
    if (!l) return undefined;
    const out: Record<string, string> = {};
    if (l.cpu !== undefined) out.cpu = String(l.cpu);
    if (l.memory !== undefined) out.memory = String(l.memory);
    return out;
  };
  const requests = list(r.requests);
  const limits = list(r.limits);
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

function probe(p: Probe): V1Probe {
  const out: V1Probe = {};
  if (p.httpGet) out.httpGet = p.httpGet;
  if (p.tcpSocket) out.tcpSocket = p.tcpSocket;
  if (p.exec) out.exec = p.exec;
  if (p.grpc) out.grpc = p.grpc;
  for (const key of [
    'initialDelaySeconds',
    'periodSeconds',
    'timeoutSeconds',
    'successThreshold',
    'failureThreshold',
    'terminationGracePeriodSeconds',
  ] as const) {
    if (p[key] !== undefined) out[key] = p[key];
  }
  return out;
}

function lifecycleHandler(h: LifecycleHandler): V1LifecycleHandler {
  if (h.sleep) return { sleep: h.sleep };
  if (h.exec) return { exec: h.exec };
  return { httpGet: h.httpGet as NonNullable<LifecycleHandler['httpGet']> };
}

// ---- Service and HPA -----------------------------------------------------------------------------------

function service(
  d: Deployed,
  metadata: KubernetesObject['metadata'],
  nodePort: number | undefined,
): V1Service & KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      type: nodePort === undefined ? 'ClusterIP' : 'NodePort',
      selector: { [LABELS.runId]: metadata.labels[LABELS.runId] as string, [LABELS.variant]: d.name },
      ports: [
        {
          name: 'http',
          port: SERVICE_PORT,
          targetPort: 'http',
          protocol: 'TCP',
          ...(nodePort === undefined ? {} : { nodePort }),
        },
      ],
    },
  };
}

function horizontalPodAutoscaler(
  d: Deployed,
  metadata: KubernetesObject['metadata'],
): V2HorizontalPodAutoscaler & KubernetesObject {
  const hpa = d.spec.hpa as NonNullable<Workload['hpa']>;
  const metrics: V2MetricSpec[] = [];
  const utilization = (name: string, averageUtilization: number): V2MetricSpec => ({
    type: 'Resource',
    resource: { name, target: { type: 'Utilization', averageUtilization } },
  });
  if (hpa.cpuUtilization !== undefined) metrics.push(utilization('cpu', hpa.cpuUtilization));
  if (hpa.memoryUtilization !== undefined) metrics.push(utilization('memory', hpa.memoryUtilization));
  const behavior: Record<string, V2HPAScalingRules> = {};
  if (hpa.behavior?.scaleUp) behavior.scaleUp = scalingRules(hpa.behavior.scaleUp);
  if (hpa.behavior?.scaleDown) behavior.scaleDown = scalingRules(hpa.behavior.scaleDown);
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: d.name },
      minReplicas: hpa.minReplicas,
      maxReplicas: hpa.maxReplicas,
      metrics,
      ...(Object.keys(behavior).length ? { behavior } : {}),
    },
  };
}

function scalingRules(r: HpaScalingRules): V2HPAScalingRules {
  return {
    ...(r.stabilizationWindowSeconds === undefined
      ? {}
      : { stabilizationWindowSeconds: r.stabilizationWindowSeconds }),
    ...(r.selectPolicy === undefined ? {} : { selectPolicy: r.selectPolicy }),
    ...(r.policies === undefined ? {} : { policies: r.policies }),
    ...(r.tolerance === undefined ? {} : { tolerance: String(r.tolerance) }),
  };
}

// ---- Chaos Mesh ----------------------------------------------------------------------------------------

const CHAOS_API = 'chaos-mesh.org/v1alpha1';

/** selectorFor targets a variant by its variant label, or every variant of a workload by its workload label. */
function selectorFor(model: ScenarioModel, target: string, namespace: string, runId: string) {
  const isVariant = model.deployments.some((d) => d.name === target && d.name !== d.workload);
  return {
    namespaces: [namespace],
    labelSelectors: { [LABELS.runId]: runId, [isVariant ? LABELS.variant : LABELS.workload]: target },
  };
}

function chaosObject(
  action: ChaosAction,
  deployment: string,
  metadata: KubernetesObject['metadata'],
  namespace: string,
  model: ScenarioModel,
  runId: string,
): KubernetesObject {
  const common = {
    mode: action.mode,
    ...(action.value === undefined ? {} : { value: action.value }),
    selector: {
      namespaces: [namespace],
      labelSelectors: { [LABELS.runId]: runId, [LABELS.variant]: deployment },
    },
  };
  const withDuration = 'duration' in action ? { duration: action.duration } : {};
  switch (action.action) {
    case 'pod-kill':
      return {
        apiVersion: CHAOS_API,
        kind: 'PodChaos',
        metadata,
        spec: { action: 'pod-kill', ...common, gracePeriod: 0 },
      };
    case 'pod-failure':
      return {
        apiVersion: CHAOS_API,
        kind: 'PodChaos',
        metadata,
        spec: { action: 'pod-failure', ...common, ...withDuration },
      };
    case 'container-kill':
      return {
        apiVersion: CHAOS_API,
        kind: 'PodChaos',
        metadata,
        spec: { action: 'container-kill', ...common, containerNames: [CONTAINER_NAME] },
      };
    case 'network-delay':
      return {
        apiVersion: CHAOS_API,
        kind: 'NetworkChaos',
        metadata,
        spec: {
          action: 'delay',
          ...common,
          direction: 'to',
          delay: { latency: action.latency, jitter: action.jitter, correlation: String(action.correlation) },
          ...withDuration,
        },
      };
    case 'network-loss':
      return {
        apiVersion: CHAOS_API,
        kind: 'NetworkChaos',
        metadata,
        spec: {
          action: 'loss',
          ...common,
          direction: 'to',
          loss: { loss: String(action.loss), correlation: String(action.correlation) },
          ...withDuration,
        },
      };
    case 'network-partition':
      return {
        apiVersion: CHAOS_API,
        kind: 'NetworkChaos',
        metadata,
        spec: {
          action: 'partition',
          ...common,
          direction: action.direction,
          target: { mode: 'all', selector: selectorFor(model, action.from, namespace, runId) },
          ...withDuration,
        },
      };
    case 'bandwidth':
      return {
        apiVersion: CHAOS_API,
        kind: 'NetworkChaos',
        metadata,
        spec: {
          action: 'bandwidth',
          ...common,
          direction: 'to',
          bandwidth: { rate: action.rate, limit: action.limit, buffer: action.buffer },
          ...withDuration,
        },
      };
    case 'cpu-stress':
      return {
        apiVersion: CHAOS_API,
        kind: 'StressChaos',
        metadata,
        spec: {
          ...common,
          containerNames: [CONTAINER_NAME],
          stressors: { cpu: { workers: action.workers, load: action.load } },
          ...withDuration,
        },
      };
  }
}
