/**
 * The Scenario file format, version probelab.dev/v1alpha1: the public contract of a scenario file.
 *
 * Every object is strict (unknown keys are errors). Field-level rules live here; rules that relate
 * fields to each other (references, time windows, ports) live in rules.ts. Defaults are applied by the
 * schema so that the parsed value is what a run uses. The JSON Schema for editors is generated from this
 * file (`npm run schema`), so the descriptions here are what users see in their editor.
 */
import { z } from 'zod';
import { DURATION_FORMAT, parseDuration } from '../core/duration.ts';
import { QUANTITY_FORMAT, parseQuantity } from '../core/quantity.ts';
import { compareSectionSchema } from '../core/compare/rules.ts';

export const API_VERSION = 'probelab.dev/v1alpha1';
export const KIND = 'Scenario';

const dnsLabel = z.string().regex(/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, {
  error:
    'must be a lowercase name of 1-40 characters: a-z, 0-9 and "-", starting with a letter and ending with a letter or digit',
});

const duration = z
  .string({ error: `must be ${DURATION_FORMAT} (a quoted string)` })
  .refine((text) => parseDuration(text) !== undefined, { error: `must be ${DURATION_FORMAT}` });

const quantity = z
  .union([z.string(), z.number()], { error: `must be ${QUANTITY_FORMAT}` })
  .refine((value) => parseQuantity(value) !== undefined, { error: `must be ${QUANTITY_FORMAT}` });

/** byteSize: a memory-style quantity (no millis: a fraction of a byte means nothing). */
const byteSize = z
  .union([z.string(), z.number()], { error: 'must be a byte size like 512, 64Ki or 1Mi' })
  .refine((value) => !String(value).endsWith('m') && parseQuantity(value) !== undefined, {
    error: 'must be a byte size like 512, 64Ki or 1Mi',
  });

const fraction = z.number().min(0).max(1);
const seconds = (min: number) => z.int().min(min);

// ---- probes ---------------------------------------------------------------------------------------------

const portRef = z.union([z.int().min(1).max(65535), z.string().min(1)], {
  error: 'must be a port number 1-65535 or the name of a container port (http, grpc)',
});

const httpGetAction = z.strictObject({
  path: z.string().startsWith('/').default('/'),
  port: portRef,
  scheme: z.enum(['HTTP', 'HTTPS']).optional(),
  host: z.string().optional(),
  httpHeaders: z.array(z.strictObject({ name: z.string().min(1), value: z.string() })).optional(),
});

const probe = z
  .strictObject({
    httpGet: httpGetAction.optional(),
    tcpSocket: z.strictObject({ port: portRef, host: z.string().optional() }).optional(),
    exec: z.strictObject({ command: z.array(z.string()).min(1) }).optional(),
    grpc: z.strictObject({ port: z.int().min(1).max(65535), service: z.string().optional() }).optional(),
    initialDelaySeconds: seconds(0).optional(),
    periodSeconds: seconds(1).optional(),
    timeoutSeconds: seconds(1).optional(),
    successThreshold: seconds(1).optional(),
    failureThreshold: seconds(1).optional(),
    terminationGracePeriodSeconds: seconds(1).optional(),
  })
  .describe('A Kubernetes probe: exactly one of httpGet, tcpSocket, exec, grpc, plus its timing fields.');

const lifecycleHandler = z.strictObject({
  sleep: z.strictObject({ seconds: seconds(1) }).optional(),
  exec: z.strictObject({ command: z.array(z.string()).min(1) }).optional(),
  httpGet: httpGetAction.optional(),
});

// ---- the sample service's behaviour --------------------------------------------------------------------

const behaviour = z
  .strictObject({
    port: z.int().min(1).max(65535).default(8080).describe('HTTP port (container port "http").'),
    grpcPort: z
      .int()
      .min(0)
      .max(65535)
      .default(9090)
      .describe('gRPC health port (container port "grpc"); 0 disables it.'),
    listenDelay: duration.default('0s').describe('Delay before the service listens at all.'),
    syncDuration: duration
      .default('0s')
      .describe('After listening, the service is "syncing" (not ready) for this long.'),
    warmupAlloc: byteSize.default(0).describe('Bytes allocated and kept during the syncing phase.'),
    livenessMode: z
      .enum(['simple', 'dependency'])
      .default('simple')
      .describe('"dependency" makes /livez call the dependency (the anti-pattern).'),
    dependency: dnsLabel
      .optional()
      .describe('Name of another workload this one calls (/dependency, /livez).'),
    dependencyTimeout: duration.default('1s'),
    work: z
      .strictObject({
        cpu: duration.default('0s').describe('CPU time burnt per request.'),
        alloc: byteSize.default(0).describe('Bytes allocated per request (drives GC).'),
        latency: duration.default('0s').describe('Sleep added to each request.'),
        errorRate: fraction.default(0).describe('Fraction of requests answered 500.'),
        payload: byteSize.default(256).describe('Response body size in bytes.'),
      })
      .prefault({}),
    shutdown: z
      .strictObject({
        mode: z
          .enum(['graceful', 'abrupt', 'ignore'])
          .default('graceful')
          .describe('What SIGTERM does: drain then stop, exit at once, or keep serving until SIGKILL.'),
        drainDelay: duration.default('5s').describe('graceful: time /readyz fails before the server stops.'),
        timeout: duration.default('10s').describe('graceful: http.Server.Shutdown deadline.'),
        exitCode: z.int().min(0).max(255).default(0),
      })
      .prefault({}),
    panicAfter: duration.default('0s').describe('Crash after this long (0s = never).'),
    leakRate: byteSize.default(0).describe('Bytes per second retained forever (to reach OOMKilled).'),
  })
  .describe("The sample service's behaviour knobs (services/sample/README.md).");

// ---- workload ------------------------------------------------------------------------------------------

const resourceList = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() });

const hpaScalingRules = z.strictObject({
  stabilizationWindowSeconds: z.int().min(0).max(3600).optional(),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).optional(),
  policies: z
    .array(
      z.strictObject({
        type: z.enum(['Pods', 'Percent']),
        value: z.int().min(1),
        periodSeconds: z.int().min(1).max(1800),
      }),
    )
    .optional(),
  tolerance: fraction
    .optional()
    .describe('Needs the HPAConfigurableTolerance feature gate (Kubernetes 1.33+).'),
});

const hpa = z.strictObject({
  minReplicas: z.int().min(1),
  maxReplicas: z.int().min(1),
  cpuUtilization: z
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe('Target average CPU utilization, % of request.'),
  memoryUtilization: z.int().min(1).max(1000).optional(),
  behavior: z
    .strictObject({ scaleUp: hpaScalingRules.optional(), scaleDown: hpaScalingRules.optional() })
    .optional(),
});

const configFile = z
  .strictObject({
    data: z
      .record(z.string(), z.unknown())
      .describe('Content of the config file (YAML); a "version" key is what the service reports.'),
    mount: z
      .enum(['volume', 'subPath'])
      .default('volume')
      .describe('subPath mounts never receive ConfigMap updates.'),
    reload: z.enum(['none', 'watch-file', 'watch-directory']).default('watch-directory'),
  })
  .describe('A config file delivered by ConfigMap.');

const workload = z.strictObject({
  name: dnsLabel,
  image: z.string().min(1).optional().describe('Container image; default the locally built sample service.'),
  replicas: z.int().min(0).default(1),
  behaviour: behaviour.prefault({}),
  resources: z
    .strictObject({ requests: resourceList.optional(), limits: resourceList.optional() })
    .optional(),
  probes: z
    .strictObject({ startup: probe.optional(), liveness: probe.optional(), readiness: probe.optional() })
    .optional(),
  lifecycle: z.strictObject({ preStop: lifecycleHandler.optional() }).optional(),
  terminationGracePeriodSeconds: z.int().min(0).optional(),
  env: z
    .strictObject({
      GOGC: z
        .string()
        .regex(/^(off|\d+)$/, { error: 'must be a number or "off"' })
        .optional(),
      GOMEMLIMIT: z
        .string()
        .regex(/^(off|\d+(B|KiB|MiB|GiB|TiB)?)$/, { error: 'must be like 100MiB or "off"' })
        .optional(),
      GOMAXPROCS: z
        .string()
        .regex(/^[1-9]\d*$/, { error: 'must be a positive integer' })
        .optional(),
      GODEBUG: z.string().optional(),
    })
    .optional()
    .describe('Go runtime environment.'),
  config: configFile.optional(),
  hpa: hpa.optional(),
});

// ---- variants ------------------------------------------------------------------------------------------

/** Overrides are a partial workload, merged deeply; they are validated after merging. */
const overrides = z.record(z.string(), z.unknown());

const namedVariant = z.strictObject({
  name: dnsLabel,
  workload: dnsLabel.describe('The workload this variant overrides.'),
  description: z.string().optional(),
  overrides: overrides.default({}),
});

const matrixVariant = z.strictObject({
  matrix: z.strictObject({
    workload: dnsLabel,
    axes: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[a-z][a-z0-9]{0,11}$/, { error: 'must be a short lowercase label (≤12)' }),
          path: z.string().regex(/^[A-Za-z]+(\.[A-Za-z]+)*$/, {
            error: 'must be a dotted field path like probes.liveness',
          }),
          values: z.array(z.unknown()).min(1),
        }),
      )
      .min(1),
  }),
});

const variant = z.union([namedVariant, matrixVariant], {
  error: 'must be a named variant {name, workload, overrides} or a matrix {matrix: {workload, axes}}',
});

// ---- load ----------------------------------------------------------------------------------------------

const load = z.strictObject({
  workload: dnsLabel.describe('Workload whose variants receive the load, each through its own Service.'),
  model: z.enum(['open', 'closed']).default('open').describe('open: arrival rate (k6 ramping-arrival-rate).'),
  stages: z
    .array(
      z.strictObject({
        rps: z.int().min(0).describe('Target requests per second during the step.'),
        duration: duration,
        ramp: duration.default('0s').describe('Time to move from the previous rate to this one.'),
      }),
    )
    .min(1),
  requests: z
    .array(
      z.strictObject({
        path: z.string().startsWith('/').default('/work'),
        weight: z.int().min(1).default(1),
        query: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
      }),
    )
    .min(1)
    .default([{ path: '/work', weight: 1 }]),
  vus: z
    .strictObject({ preAllocated: z.int().min(1).default(10), max: z.int().min(1).default(200) })
    .prefault({}),
  timeout: duration.default('10s').describe('Per-request timeout.'),
  connections: z
    .enum(['new', 'reuse'])
    .default('new')
    .describe(
      'new: every iteration opens its own connection, so requests spread over every ready pod as behind an L7 load balancer (new pods get load at once); reuse: HTTP keep-alive, which pins each virtual user to the pod it first reached (a few long-lived clients).',
    ),
});

// ---- timeline ------------------------------------------------------------------------------------------

const chaosCommon = {
  at: duration.describe('Offset from load start.'),
  target: dnsLabel.describe('Workload or variant name.'),
  mode: z.enum(['one', 'all', 'fixed', 'fixed-percent', 'random-max-percent']).default('one'),
  value: z.string().regex(/^\d+$/).optional().describe('Count or percent for the fixed* and *percent modes.'),
};
const timed = { duration: duration };

const timelineAction = z.discriminatedUnion(
  'action',
  [
    z.strictObject({ action: z.literal('pod-kill'), ...chaosCommon }),
    z.strictObject({ action: z.literal('pod-failure'), ...chaosCommon, ...timed }),
    z.strictObject({ action: z.literal('container-kill'), ...chaosCommon }),
    z.strictObject({
      action: z.literal('network-delay'),
      ...chaosCommon,
      ...timed,
      latency: duration,
      jitter: duration.default('0s'),
      correlation: z.int().min(0).max(100).default(0),
    }),
    z.strictObject({
      action: z.literal('network-loss'),
      ...chaosCommon,
      ...timed,
      loss: z.int().min(1).max(100).describe('Percent of packets lost.'),
      correlation: z.int().min(0).max(100).default(0),
    }),
    z.strictObject({
      action: z.literal('network-partition'),
      ...chaosCommon,
      ...timed,
      from: dnsLabel.describe('The other side: a workload or variant name.'),
      direction: z.enum(['to', 'from', 'both']).default('both'),
    }),
    z.strictObject({
      action: z.literal('bandwidth'),
      ...chaosCommon,
      ...timed,
      rate: z
        .string()
        .regex(/^\d+(bps|kbps|mbps|gbps)$/, { error: 'must be like 1mbps or 500kbps' })
        .describe('Egress rate in bytes per second, in tc units: 1mbps is 1 MB/s (8 Mbit/s).'),
      limit: z.int().min(1).default(20_000),
      buffer: z.int().min(1).default(10_000),
    }),
    z.strictObject({
      action: z.literal('cpu-stress'),
      ...chaosCommon,
      ...timed,
      workers: z.int().min(1).default(1),
      load: z.int().min(1).max(100).default(100).describe('Percent load per worker.'),
    }),
    z.strictObject({ action: z.literal('rollout-restart'), at: duration, target: dnsLabel }),
    z.strictObject({ action: z.literal('scale'), at: duration, target: dnsLabel, replicas: z.int().min(0) }),
    z.strictObject({
      action: z.literal('config-update'),
      at: duration,
      target: dnsLabel,
      data: z.record(z.string(), z.unknown()),
    }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'unknown action, allowed: pod-kill, pod-failure, container-kill, network-delay, network-loss, ' +
          'network-partition, bandwidth, cpu-stress, rollout-restart, scale, config-update'
        : undefined,
  },
);

// ---- SLOs ----------------------------------------------------------------------------------------------

const restartCauses = z.strictObject({
  liveness: z.int().min(0).optional(),
  oom: z.int().min(0).optional(),
  error: z.int().min(0).optional(),
  chaos: z.int().min(0).optional(),
  eviction: z.int().min(0).optional(),
});

const slos = z.strictObject({
  restarts: z.strictObject({ max: z.int().min(0).optional(), byCause: restartCauses.optional() }).optional(),
  scaleUp: z.strictObject({ maxLatency: duration }).optional(),
  errorRate: z
    .strictObject({
      max: fraction.optional(),
      duringChaos: fraction.optional(),
      duringRollout: fraction.optional(),
    })
    .optional(),
  latency: z
    .strictObject({ p50: duration.optional(), p95: duration.optional(), p99: duration.optional() })
    .optional()
    .describe('Maximum latency quantiles over the whole load.'),
  timeToReady: z.strictObject({ max: duration }).optional(),
  availability: z.strictObject({ min: fraction }).optional(),
});

// ---- cluster -------------------------------------------------------------------------------------------

const cluster = z
  .strictObject({
    kind: z
      .strictObject({
        config: z
          .string()
          .default('kind-config.yaml')
          .describe('kind config, relative to the repository root.'),
        name: dnsLabel.default('probelab'),
      })
      .optional(),
    existing: z
      .strictObject({
        kubeconfig: z.string().min(1).describe('Path to the kubeconfig (relative to the working directory).'),
        context: z.string().min(1).optional().describe('Context to use; default the current context.'),
        image: z
          .string()
          .min(1)
          .describe(
            "The sample service image as the cluster's nodes can pull it: push the image `probelab images build` prints to your registry and name it here.",
          ),
        loadAddress: z
          .string()
          .min(1)
          .default('127.0.0.1')
          .describe(
            "Host or IP where this machine reaches the cluster's NodePorts 30080-30087 (a node's address).",
          ),
      })
      .optional()
      .describe(
        'Target an existing cluster instead of kind: nothing is installed there, nothing else is touched.',
      ),
    reuse: z
      .boolean()
      .default(true)
      .describe('Reuse a cluster that already exists instead of creating it fresh.'),
    retain: z.boolean().default(true).describe('Keep the cluster after the run.'),
  })
  .prefault({});

// ---- the scenario --------------------------------------------------------------------------------------

export const scenarioSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION, { error: `must be ${API_VERSION}` }),
  kind: z.literal(KIND, { error: `must be ${KIND}` }),
  metadata: z.strictObject({ name: dnsLabel, description: z.string().optional() }),
  cluster,
  workloads: z.array(workload).min(1),
  variants: z.array(variant).default([]),
  load,
  timeline: z.array(timelineAction).default([]),
  slos: slos.prefault({}),
  repeat: z.int().min(1).max(100).default(1),
  compare: compareSectionSchema.optional(),
});

/** workloadSchema validates one workload after a variant's overrides are merged into it. */
export const workloadSchema = workload;

export type Scenario = z.output<typeof scenarioSchema>;
export type Workload = z.output<typeof workload>;
export type Probe = z.output<typeof probe>;
export type Behaviour = z.output<typeof behaviour>;
export type Hpa = z.output<typeof hpa>;
export type HpaScalingRules = z.output<typeof hpaScalingRules>;
export type LifecycleHandler = z.output<typeof lifecycleHandler>;
export type Variant = z.output<typeof variant>;
export type TimelineAction = z.output<typeof timelineAction>;
export type ChaosAction = Exclude<TimelineAction, { action: 'rollout-restart' | 'scale' | 'config-update' }>;
export type Slos = z.output<typeof slos>;
