/**
 * kind behind a narrow interface. Clusters are found by kind's own container labels
 * (io.x-k8s.kind.cluster), never by state kept elsewhere.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { containersByLabel } from './docker.ts';
import { runCommand } from './process.ts';

export const KIND_CLUSTER_LABEL = 'io.x-k8s.kind.cluster';

export interface Kind {
  listClusters(signal?: AbortSignal): Promise<string[]>;
  create(opts: {
    name: string;
    config: string;
    image?: string;
    kubeconfig: string;
    signal?: AbortSignal;
    onLine?: (line: string) => void;
  }): Promise<void>;
  delete(name: string, kubeconfig: string, signal?: AbortSignal): Promise<void>;
  writeKubeconfig(name: string, kubeconfig: string, signal?: AbortSignal): Promise<void>;
  /** loadImage copies a local image into every node's containerd, unless each has it already. */
  loadImage(name: string, image: string, signal?: AbortSignal): Promise<'present' | 'loaded'>;
}

export function kindAt(kindBin: string): Kind {
  const run = (
    args: string[],
    opts: {
      signal?: AbortSignal | undefined;
      timeoutMs?: number;
      onLine?: ((l: string) => void) | undefined;
    } = {},
  ) =>
    runCommand(kindBin, args, {
      timeoutMs: opts.timeoutMs ?? 120_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onLine ? { onStderrLine: opts.onLine, onStdoutLine: opts.onLine } : {}),
    });
  return {
    async listClusters(signal) {
      const { stdout } = await run(['get', 'clusters'], { signal });
      return stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('No kind clusters'));
    },
    async create({ name, config, image, kubeconfig, signal, onLine }) {
      await mkdir(dirname(kubeconfig), { recursive: true });
      const args = [
        'create',
        'cluster',
        '--name',
        name,
        '--config',
        config,
        '--kubeconfig',
        kubeconfig,
        '--retain',
        '--wait',
        '0s',
      ];
      if (image) args.push('--image', image);
      await run(args, { signal, timeoutMs: 10 * 60_000, onLine });
    },
    async delete(name, kubeconfig, signal) {
      await run(['delete', 'cluster', '--name', name, '--kubeconfig', kubeconfig], {
        signal,
        timeoutMs: 180_000,
      });
      // kind removes what it labelled; anything a crashed create left with the label goes too.
      const leftovers = await containersByLabel(KIND_CLUSTER_LABEL, name);
      if (leftovers.length > 0)
        await runCommand('docker', ['rm', '-f', '-v', ...leftovers.map((c) => c.id)], { timeoutMs: 120_000 });
    },
    async writeKubeconfig(name, kubeconfig, signal) {
      await mkdir(dirname(kubeconfig), { recursive: true });
      await run(['export', 'kubeconfig', '--name', name, '--kubeconfig', kubeconfig], { signal });
    },
    async loadImage(name, image, signal) {
      // kind skips nodes that have the image by asking crictl, which our node image does not ship, so
      // it would copy every image again on every `cluster up`; ask containerd directly instead.
      if (await presentOnAllNodes(name, image, signal)) return 'present';
      await run(['load', 'docker-image', image, '--name', name], { signal, timeoutMs: 600_000 });
      return 'loaded';
    },
  };
}

/**
 * presentOnAllNodes: every node container of the cluster has `image` in containerd's k8s.io namespace
 * with the same config digest as the engine's image ID (the manifest ctr lists points at the config).
 */
async function presentOnAllNodes(cluster: string, image: string, signal?: AbortSignal): Promise<boolean> {
  const opts = { timeoutMs: 30_000, ...(signal ? { signal } : {}) };
  try {
    const { stdout: id } = await runCommand('docker', ['image', 'inspect', '-f', '{{.Id}}', image], opts);
    const nodes = await containersByLabel(KIND_CLUSTER_LABEL, cluster);
    if (nodes.length === 0) return false;
    for (const node of nodes) {
      const { stdout: list } = await runCommand(
        'docker',
        ['exec', node.name, 'ctr', '-n', 'k8s.io', 'images', 'ls', `name==${image}`],
        opts,
      );
      const manifest = /\s(sha256:[0-9a-f]{64})\s/.exec(list.split('\n')[1] ?? '')?.[1];
      if (!manifest) return false;
      const { stdout: content } = await runCommand(
        'docker',
        ['exec', node.name, 'ctr', '-n', 'k8s.io', 'content', 'get', manifest],
        opts,
      );
      const config = (JSON.parse(content) as { config?: { digest?: string } }).config?.digest;
      if (config !== id.trim()) return false;
    }
    return true;
  } catch {
    return false;
  }
}
