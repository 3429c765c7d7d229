/**
 * The Kubernetes API through @kubernetes/client-node, behind the few operations the harness needs.
 * Contract: every method talks to the API server of the kubeconfig it was made from; nothing here shells
 * out to kubectl; no kubeconfig content or token is ever logged or returned.
 */
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  loadYaml,
  Metrics,
  PatchStrategy,
  type KubernetesObject as ClientObject,
  type RequestContext,
  type V1Node,
} from '@kubernetes/client-node';
import type { KubernetesObject } from '../core/render.ts';

export const FIELD_MANAGER = 'probelab';

export interface NodeState {
  name: string;
  ready: boolean;
  kubeletVersion: string;
  /** readyReason is the Ready condition's reason and message when not ready. */
  readyReason?: string;
}

export interface Usage {
  name: string;
  cpuMillicores: number;
  memoryBytes: number;
  /** timestamp and window are the metrics-server's own (the scrape time and its averaging window). */
  timestamp: string;
  window: string;
}

export interface Kube {
  readonly context: string;
  readonly server: string;
  /** apply creates or updates objects with server-side apply (field manager "probelab"), in order. */
  apply(objects: readonly KubernetesObject[]): Promise<void>;
  listNodes(): Promise<NodeState[]>;
  nodeUsage(): Promise<Usage[]>;
  podUsage(namespace: string): Promise<Usage[]>;
  core: CoreV1Api;
  apps: AppsV1Api;
  /** custom reads, lists, deletes and patches custom resources (Chaos Mesh's). */
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
  config: KubeConfig;
}

/**
 * PooledKubeConfig is a KubeConfig whose requests share one connection pool. client-node (2.0) builds a new
 * undici Agent for every request, so every API call and every watch paid a TLS handshake (a CPU profile of
 * a run showed about 1.5 s of its 10 s in TLS setup). Contract: the first request's dispatcher is kept and
 * given to every later request of this object; headers (tokens from exec or OIDC plugins) are still
 * applied per request, so rotating tokens keep working. Client certificates are read once: a kubeconfig
 * whose exec plugin rotates certificates mid-run would keep the first. The current context must not change
 * after the first request (connectKube sets it before).
 */
class PooledKubeConfig extends KubeConfig {
  private shared: ReturnType<RequestContext['getDispatcher']>;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    if (!this.shared) {
      this.shared = fresh;
      return;
    }
    context.setDispatcher(this.shared);
    // It never connected; closing it frees nothing but its bookkeeping.
    void fresh.close().catch(() => undefined);
  }
}

export function connectKube(kubeconfigPath: string, context?: string): Kube {
  const config = new PooledKubeConfig();
  config.loadFromFile(kubeconfigPath);
  if (context) config.setCurrentContext(context);
  const objects = KubernetesObjectApi.makeApiClient(config);
  const metrics = new Metrics(config);
  const core = config.makeApiClient(CoreV1Api);
  return {
    context: config.getCurrentContext(),
    server: config.getCurrentCluster()?.server ?? '(unknown)',
    core,
    apps: config.makeApiClient(AppsV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
    objects,
    config,
    async apply(list) {
      for (const object of list) {
        await objects.patch(
          // patch() serializes through the client's typed model of the kind, which expects the model's
          // property names (xKubernetesIntOrString, _default, …) and silently drops wire names it does not
          // know (x-kubernetes-int-or-string, default, …). Our objects are in wire form, so they are
          // deserialized into the model first (JSON is YAML); kinds without a model pass through unchanged.
          loadYaml<ClientObject>(JSON.stringify(object)),
          undefined,
          undefined,
          FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        );
      }
    },
    async listNodes() {
      const nodes = await core.listNode();
      return nodes.items.map(nodeState);
    },
    async nodeUsage() {
      const list = await metrics.getNodeMetrics();
      return list.items.map((m) => ({
        name: m.metadata.name,
        cpuMillicores: cpu(m.usage.cpu),
        memoryBytes: memory(m.usage.memory),
        timestamp: m.timestamp,
        window: m.window,
      }));
    },
    async podUsage(namespace) {
      const list = await metrics.getPodMetrics(namespace);
      return list.items.map((m) => ({
        name: m.metadata.name,
        cpuMillicores: m.containers.reduce((sum, c) => sum + cpu(c.usage.cpu), 0),
        memoryBytes: m.containers.reduce((sum, c) => sum + memory(c.usage.memory), 0),
        timestamp: m.timestamp,
        window: m.window,
      }));
    },
  };
}

function nodeState(node: V1Node): NodeState {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    name: node.metadata?.name ?? '(unnamed)',
    ready: ready?.status === 'True',
    kubeletVersion: node.status?.nodeInfo?.kubeletVersion ?? '',
    ...(ready?.status === 'True'
      ? {}
      : { readyReason: `${ready?.reason ?? 'NoReadyCondition'}: ${ready?.message ?? ''}`.trim() }),
  };
}

/** cpu parses the metrics API's CPU quantities (n, u, m suffixes or cores) to millicores. */
export function cpu(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(n|u|m)?$/.exec(quantity);
  if (!match) return NaN;
  const value = Number(match[1]);
  const divisor = { n: 1e6, u: 1e3, m: 1 }[match[2] as 'n' | 'u' | 'm'] ?? 1e-3;
  return value / divisor;
}

/** memory parses the metrics API's memory quantities (Ki, Mi, Gi or bytes) to bytes. */
export function memory(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi|k|M|G)?$/.exec(quantity);
  if (!match) return NaN;
  const factor = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 }[match[2] as 'Ki'] ?? 1;
  return Number(match[1]) * factor;
}
