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
  /**
   * loadImages copies local images into every node's containerd, except those every node has already
   * (same content), and says which it did.
   */
  loadImages(
    name: string,
    images: readonly string[],
    signal?: AbortSignal,
  ): Promise<{ image: string; result: 'present' | 'loaded' }[]>;
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
    async loadImages(name, images, signal) {
      // kind skips nodes that have the image by asking crictl, which our node image does not ship, so
      // it would copy every image again on every `cluster up`; ask containerd directly instead.
      const missing = await missingOnSomeNode(name, images, signal);
      if (missing.length)
        await run(['load', 'docker-image', ...missing, '--name', name], { signal, timeoutMs: 600_000 });
      return images.map((image) => ({ image, result: missing.includes(image) ? 'loaded' : 'present' }));
    },
  };
}

/** IMAGE_MARK starts each image's part of the node script's output. */
const IMAGE_MARK = '--probelab-image ';

/**
 * NODE_IMAGES_SCRIPT prints, for each image argument, a mark line with the manifest digest containerd's
 * k8s.io namespace holds for that name (empty when it has none), then that manifest.
 */
const NODE_IMAGES_SCRIPT = `for image do
  digest=$(ctr -n k8s.io images ls "name==$image" | sed -n '2s/.*[[:space:]]\\(sha256:[0-9a-f]\\{64\\}\\)[[:space:]].*/\\1/p')
  printf '\\n${IMAGE_MARK}%s %s\\n' "$image" "$digest"
  if [ -n "$digest" ]; then ctr -n k8s.io content get "$digest"; fi
done`;

/**
 * missingOnSomeNode: the images that some node container of the cluster lacks, or holds with other
 * content: a node has an image when containerd's k8s.io namespace lists it and its manifest points at a
 * config digest equal to the engine's image ID. One `docker image inspect` for all images and one
 * `docker exec` per node; any failure counts every image as missing (loading again is always safe).
 */
async function missingOnSomeNode(
  cluster: string,
  images: readonly string[],
  signal?: AbortSignal,
): Promise<string[]> {
  if (images.length === 0) return [];
  const opts = { timeoutMs: 30_000, ...(signal ? { signal } : {}) };
  try {
    const { stdout: ids } = await runCommand(
      'docker',
      ['image', 'inspect', '-f', '{{.Id}}', ...images],
      opts,
    );
    const idOf = new Map(images.map((image, i) => [image, ids.split('\n')[i]?.trim()]));
    const nodes = await containersByLabel(KIND_CLUSTER_LABEL, cluster);
    if (nodes.length === 0) return [...images];
    const missing = new Set<string>();
    for (const node of nodes) {
      const { stdout } = await runCommand(
        'docker',
        ['exec', node.name, 'sh', '-c', NODE_IMAGES_SCRIPT, 'sh', ...images],
        opts,
      );
      const held = configDigests(stdout);
      for (const image of images) if (held.get(image) !== idOf.get(image)) missing.add(image);
    }
    return images.filter((image) => missing.has(image));
  } catch {
    return [...images];
  }
}

/** configDigests reads NODE_IMAGES_SCRIPT's output: image → the config digest its manifest names. */
export function configDigests(output: string): Map<string, string> {
  const held = new Map<string, string>();
  for (const part of output.split(`\n${IMAGE_MARK}`).slice(1)) {
    const newline = part.indexOf('\n');
    const [image, digest] = (newline < 0 ? part : part.slice(0, newline)).trim().split(' ');
    if (!image || !digest) continue;
    try {
      const config = (JSON.parse(part.slice(newline + 1)) as { config?: { digest?: string } }).config?.digest;
      if (config) held.set(image, config);
    } catch {
      // Not a manifest we can read: the image counts as missing.
    }
  }
  return held;
}
