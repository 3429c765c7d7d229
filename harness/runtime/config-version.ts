/**
 * Config propagation, observed from the processes themselves: after a ConfigMap update, every pod of the
 * variant is asked which config version it runs (the sample service's GET /config, through the
 * apiserver's pod proxy) once per second, until all report the new version or the poll is stopped.
 *
 * Clock: a sample's atMs is this host's Date.now() when the answer arrived (1 ms); the poll period (1 s)
 * bounds the precision of a propagation time. A pod whose answer never changes is reported as such by
 * the metrics ("never"), not guessed.
 */
import type { Kube } from '../adapters/kube.ts';
import { LABELS } from '../core/render.ts';

export const CONFIG_POLL_MS = 1_000;

export interface ConfigSample {
  pod: string;
  version: string;
  atMs: number;
}

export interface ConfigPoll {
  /** stop ends the poll and returns the samples: each pod's first answer and every change after it. */
  stop(): Promise<ConfigSample[]>;
}

export function pollConfigVersion(
  kube: Kube,
  namespace: string,
  variant: string,
  port: number,
  wanted: string,
): ConfigPoll {
  const samples: ConfigSample[] = [];
  const last = new Map<string, string>();
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      const pods = (
        await kube.core
          .listNamespacedPod({ namespace, labelSelector: `${LABELS.variant}=${variant}` })
          .catch(() => ({ items: [] }))
      ).items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
      let allCurrent = pods.length > 0;
      await Promise.all(
        pods.map(async (p) => {
          const pod = p.metadata?.name ?? '';
          const text = await kube.core
            .connectGetNamespacedPodProxyWithPath({ name: `${pod}:${port}`, namespace, path: 'config' })
            .catch(() => undefined);
          const version = versionOf(text);
          if (version === undefined) return void (allCurrent = false);
          if (last.get(pod) !== version) {
            last.set(pod, version);
            samples.push({ pod, version, atMs: Date.now() });
          }
          if (version !== wanted) allCurrent = false;
        }),
      );
      if (allCurrent) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CONFIG_POLL_MS);
        wake = () => (clearTimeout(timer), resolve());
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      return samples;
    },
  };
}

function versionOf(text: unknown): string | undefined {
  try {
    const body = JSON.parse(String(text)) as { version?: unknown };
    return typeof body.version === 'string' ? body.version : undefined;
  } catch {
    return undefined;
  }
}
