/** The container engine as probelab needs it: is one answering, which images and containers exist. */
import { CommandError, runCommand } from './process.ts';

export interface EngineInfo {
  serverVersion: string;
  cgroupVersion: string;
  cgroupDriver: string;
  defaultRuntime: string;
}

/** engineInfo returns the engine's facts, or undefined when no engine answers. */
export async function engineInfo(signal?: AbortSignal): Promise<EngineInfo | undefined> {
  try {
    const { stdout } = await runCommand('docker', ['info', '--format', '{{json .}}'], {
      timeoutMs: 20_000,
      ...(signal ? { signal } : {}),
    });
    const info = JSON.parse(stdout) as Record<string, unknown>;
    if (!info.ServerVersion) return undefined;
    return {
      serverVersion: String(info.ServerVersion),
      cgroupVersion: String(info.CgroupVersion ?? ''),
      cgroupDriver: String(info.CgroupDriver ?? ''),
      defaultRuntime: String(info.DefaultRuntime ?? ''),
    };
  } catch (err) {
    if (err instanceof CommandError && err.reason !== 'canceled') return undefined;
    throw err;
  }
}

/** imageLabel returns a label of a local image, or undefined when the image does not exist. */
export async function imageLabel(ref: string, label: string): Promise<string | undefined> {
  const r = await runCommand(
    'docker',
    ['image', 'inspect', '--format', `{{ index .Config.Labels ${JSON.stringify(label)} }}`, ref],
    {
      allowExitCodes: [1],
      timeoutMs: 20_000,
    },
  );
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

export interface ContainerSummary {
  id: string;
  name: string;
  state: string;
  labels: Record<string, string>;
}

/** containersByLabel lists containers (running or not) carrying label=value. */
export async function containersByLabel(label: string, value: string): Promise<ContainerSummary[]> {
  const { stdout } = await runCommand(
    'docker',
    ['ps', '-a', '--filter', `label=${label}=${value}`, '--format', '{{json .}}'],
    { timeoutMs: 20_000 },
  );
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { ID: string; Names: string; State: string; Labels: string })
    .map((c) => ({
      id: c.ID,
      name: c.Names,
      state: c.State,
      labels: Object.fromEntries(
        c.Labels.split(',')
          .filter(Boolean)
          .map((kv) => kv.split('=', 2) as [string, string]),
      ),
    }));
}

/** containerTimes: when each container was created and last started (engine clock, RFC 3339), in order. */
export async function containerTimes(
  ids: readonly string[],
): Promise<{ created: string; started: string }[]> {
  if (ids.length === 0) return [];
  const { stdout } = await runCommand(
    'docker',
    ['inspect', '--format', '{{.Created}} {{.State.StartedAt}}', ...ids],
    { timeoutMs: 20_000 },
  );
  const lines = stdout.trim().split('\n');
  return ids.map((_, i) => {
    const [created = '', started = ''] = (lines[i] ?? '').trim().split(' ');
    return { created, started };
  });
}
