/**
 * Gathers the host facts `probelab doctor` judges. Kernel features are tested for real, inside a
 * throw-away network namespace (`unshare -n`), so nothing on the host's own interfaces changes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { HostFacts } from '../core/doctor.ts';
import { engineInfo } from './docker.ts';
import { CommandError, runCommand } from './process.ts';

const CAPABILITY_NAMES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** missingCapabilities reads the bounding set and names the capabilities the kernel knows but the set lacks. */
export function missingCapabilities(): string[] {
  const status = readFileSync('/proc/self/status', 'utf8');
  const bounding = BigInt(`0x${/CapBnd:\s*([0-9a-f]+)/.exec(status)?.[1] ?? '0'}`);
  const lastCap = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  const missing: string[] = [];
  for (let bit = 0; bit <= lastCap; bit++)
    if (!(bounding & (1n << BigInt(bit)))) missing.push(CAPABILITY_NAMES[bit] ?? `capability ${bit}`);
  return missing;
}

function cgroupFacts(): HostFacts['cgroup'] {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    return {
      version: 2,
      controllers: readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').trim().split(/\s+/),
    };
  }
  const enabled = readFileSync('/proc/cgroups', 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t'))
    .filter((cols) => cols[3] === '1')
    .map((cols) => cols[0] as string);
  return { version: 1, controllers: enabled };
}

async function version(file: string, args: string[]): Promise<string | undefined> {
  try {
    return (await runCommand(file, args, { timeoutMs: 15_000 })).stdout.trim().split('\n')[0];
  } catch {
    return undefined;
  }
}

/** probeInNetns runs a command in a new network namespace: true if it succeeds, false if the kernel refuses. */
async function probeInNetns(args: string[]): Promise<{ works?: boolean; error?: string }> {
  try {
    await runCommand('unshare', ['-n', ...args], { timeoutMs: 15_000 });
    return { works: true };
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    if (err.reason === 'not-found') return { error: 'unshare (util-linux) not found' };
    const text = `${err.stderr}`;
    if (/failed to execute|command not found/i.test(text)) return { error: `${args[0]} not installed` };
    if (/Operation not permitted|Permission denied/.test(text))
      return { error: 'needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN)' };
    return { works: false };
  }
}

async function portBusy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

export async function gatherHostFacts(opts: {
  cacheDir: string;
  binDir: string;
  ports: readonly number[];
}): Promise<HostFacts> {
  const checkErrors: Record<string, string> = {};
  const qdiscs = {} as HostFacts['qdiscs'];
  const qdiscArgs: Record<keyof HostFacts['qdiscs'], string[]> = {
    netem: ['netem', 'delay', '1ms'],
    prio: ['prio'],
    sfq: ['sfq'],
    tbf: ['tbf', 'rate', '1mbit', 'burst', '32kbit', 'latency', '400ms'],
  };
  for (const [name, qdisc] of Object.entries(qdiscArgs) as [keyof HostFacts['qdiscs'], string[]][]) {
    const r = await probeInNetns(['tc', 'qdisc', 'add', 'dev', 'lo', 'root', ...qdisc]);
    qdiscs[name] = r.works;
    if (r.error) checkErrors[`qdisc ${name}`] = r.error;
  }
  let ipset = await probeInNetns(['ipset', 'create', 'probelab-doctor', 'hash:ip']);
  // Without the ipset tool on the host (the chaos daemon brings its own), the kernel side still shows:
  // the ip_set core is listed in /sys/module once built in or loaded.
  if (ipset.error === 'ipset not installed' && existsSync('/sys/module/ip_set')) ipset = { works: true };
  if (ipset.error) checkErrors.ipset = ipset.error;
  const kindBin = existsSync(join(opts.binDir, 'kind')) ? join(opts.binDir, 'kind') : 'kind';
  const k6Bin = existsSync(join(opts.binDir, 'k6')) ? join(opts.binDir, 'k6') : 'k6';
  const disk = await statfs(existsSync(opts.cacheDir) ? opts.cacheDir : '/');
  const busyPorts: number[] = [];
  for (const port of opts.ports) if (await portBusy(port)) busyPorts.push(port);
  const engine = await engineInfo();
  const [kind, go, k6] = await Promise.all([
    version(kindBin, ['version']),
    version('go', ['version']),
    version(k6Bin, ['version']),
  ]);
  return {
    ...(engine ? { engine } : {}),
    missingCapabilities: missingCapabilities(),
    ...(kind ? { kind } : {}),
    ...(go ? { go } : {}),
    ...(k6 ? { k6 } : {}),
    cgroup: cgroupFacts(),
    qdiscs,
    ipset: ipset.works,
    checkErrors,
    freeDiskBytes: disk.bavail * disk.bsize,
    busyPorts,
  };
}
