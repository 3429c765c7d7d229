/**
 * What the probe and autoscaling review looks at: one Deployment's first container as Kubernetes will
 * run it, the HPA that scales it, the chaos and timeline that will hit it, and — when known — the sample
 * service's behaviour (from a scenario, or read back from the SAMPLE_* environment of rendered manifests).
 *
 * Both inputs of `probelab lint` become LintTargets: a scenario is rendered first and reviewed through
 * the same manifests a run would apply, so the rules exist once.
 */
import type { V1Container, V1Deployment, V1Probe, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { parseDuration } from '../duration.ts';
import { AT_ANNOTATION, CONTAINER_NAME, type KubernetesObject } from '../render.ts';

/** KnownBehaviour is what is known of the sample service's knobs; unknown fields are left out. */
export interface KnownBehaviour {
  listenDelayMs?: number;
  syncDurationMs?: number;
  livenessMode?: string;
  shutdownMode?: string;
  drainDelayMs?: number;
  shutdownTimeoutMs?: number;
  configReload?: string;
}

export interface LintTarget {
  /** name of the Deployment (the variant name for scenarios). */
  name: string;
  deployment: V1Deployment;
  container: V1Container;
  hpa?: V2HorizontalPodAutoscaler;
  /** chaos lists the Chaos Mesh kinds and actions that select this deployment's pods. */
  chaos: { kind: string; action: string; at?: string }[];
  /** configUpdates counts timeline ConfigMap updates aimed at this deployment. */
  configUpdates: number;
  behaviour: KnownBehaviour;
  /** startupMs is how long the process takes to become ready, when declared or derivable. */
  startupMs?: number;
  /** listenMs is how long the process takes to accept connections (the sample service's listen delay). */
  listenMs?: number;
}

const STARTUP_ANNOTATION = 'probelab.dev/startup-time';

/**
 * lintTargets builds one target per Deployment in objects; timeline objects (chaos, ConfigMap updates)
 * are matched to the deployments whose pod labels they select.
 */
export function lintTargets(objects: readonly KubernetesObject[]): LintTarget[] {
  const deployments = objects.filter((o) => o.kind === 'Deployment') as unknown as (V1Deployment &
    KubernetesObject)[];
  const hpas = objects.filter(
    (o) => o.kind === 'HorizontalPodAutoscaler',
  ) as unknown as (V2HorizontalPodAutoscaler & KubernetesObject)[];
  const chaos = objects.filter((o) => o.apiVersion.startsWith('chaos-mesh.org/'));
  const configMaps = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.annotations?.[AT_ANNOTATION]);

  return deployments.map((deployment) => {
    const podSpec = deployment.spec?.template?.spec;
    const containers = podSpec?.containers ?? [];
    const container = containers.find((c) => c.name === CONTAINER_NAME) ??
      containers[0] ?? { name: '(none)' };
    const podLabels = deployment.spec?.template?.metadata?.labels ?? {};
    const behaviour = behaviourFromEnv(container);
    const declared = deployment.metadata.annotations?.[STARTUP_ANNOTATION];
    const derived =
      behaviour.listenDelayMs !== undefined || behaviour.syncDurationMs !== undefined
        ? (behaviour.listenDelayMs ?? 0) + (behaviour.syncDurationMs ?? 0)
        : undefined;
    const startupMs = declared !== undefined ? parseDuration(declared) : derived;
    const mountedConfigMaps = new Set((podSpec?.volumes ?? []).map((v) => v.configMap?.name).filter(Boolean));
    const hpa = hpas.find(
      (h) =>
        h.spec?.scaleTargetRef.name === deployment.metadata.name &&
        h.metadata.namespace === deployment.metadata.namespace,
    );
    return {
      name: deployment.metadata.name,
      deployment,
      container,
      ...(hpa ? { hpa } : {}),
      chaos: chaos
        .filter((c) => selects((c as { spec?: { selector?: unknown } }).spec?.selector, podLabels))
        .map((c) => ({
          kind: c.kind,
          action: String((c as { spec?: { action?: string } }).spec?.action ?? 'stress'),
          ...(c.metadata.annotations?.[AT_ANNOTATION] ? { at: c.metadata.annotations[AT_ANNOTATION] } : {}),
        })),
      configUpdates: configMaps.filter((c) => mountedConfigMaps.has(c.metadata.name)).length,
      behaviour,
      ...(startupMs === undefined ? {} : { startupMs }),
      ...(behaviour.listenDelayMs === undefined ? {} : { listenMs: behaviour.listenDelayMs }),
    };
  });
}

function selects(selector: unknown, podLabels: Record<string, string>): boolean {
  const labelSelectors = (selector as { labelSelectors?: Record<string, string> } | undefined)
    ?.labelSelectors;
  if (!labelSelectors) return false;
  return Object.entries(labelSelectors).every(([k, v]) => podLabels[k] === v);
}

/** behaviourFromEnv reads back the sample service's knobs from its SAMPLE_* variables, where present. */
function behaviourFromEnv(container: V1Container): KnownBehaviour {
  const env = new Map(
    (container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]),
  );
  const ms = (key: string) => {
    const value = env.get(key);
    return value === undefined ? undefined : parseDuration(value);
  };
  const out: KnownBehaviour = {};
  const set = <K extends keyof KnownBehaviour>(key: K, value: KnownBehaviour[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set('listenDelayMs', ms('SAMPLE_LISTEN_DELAY'));
  set('syncDurationMs', ms('SAMPLE_SYNC_DURATION'));
  set('livenessMode', env.get('SAMPLE_LIVENESS_MODE'));
  set('shutdownMode', env.get('SAMPLE_SHUTDOWN_MODE'));
  set('drainDelayMs', ms('SAMPLE_DRAIN_DELAY'));
  set('shutdownTimeoutMs', ms('SAMPLE_SHUTDOWN_TIMEOUT'));
  set('configReload', env.get('SAMPLE_CONFIG_RELOAD'));
  return out;
}

/** Kubernetes' probe defaults, applied where a field is unset. */
export const PROBE_DEFAULTS = {
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
};

export function probeField(probe: V1Probe, key: keyof typeof PROBE_DEFAULTS): number {
  return probe[key] ?? PROBE_DEFAULTS[key];
}

/** failureWindowSeconds is how long a probe must fail before it acts: initial delay aside, threshold × period. */
export function failureWindowSeconds(probe: V1Probe): number {
  return probeField(probe, 'failureThreshold') * probeField(probe, 'periodSeconds');
}

/** startupAllowanceSeconds is how long a container may take to start before this probe restarts it. */
export function startupAllowanceSeconds(probe: V1Probe): number {
  return probeField(probe, 'initialDelaySeconds') + failureWindowSeconds(probe);
}
