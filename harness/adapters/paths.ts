/**
 * Where probelab keeps what it builds and downloads: one cache directory (PROBELAB_CACHE_DIR, default
 * ~/.cache/probelab), shared with the shell builds in clusters/ (clusters/images/lib.sh uses the same rule).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface Paths {
  repo: string;
  cache: string;
  bin: string;
  logs: string;
  kubeconfig: (cluster: string) => string;
}

export function pathsFor(repo: string, env: Readonly<Record<string, string | undefined>>): Paths {
  const cache =
    env.PROBELAB_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(env.HOME ?? homedir(), '.cache'), 'probelab');
  return {
    repo: resolve(repo),
    cache,
    bin: join(cache, 'bin'),
    logs: join(cache, 'logs'),
    kubeconfig: (cluster) => join(cache, 'kubeconfig', cluster),
  };
}
