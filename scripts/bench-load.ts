/**
 * bench-load: how much load this machine can drive with k6 against the local sample service, with wrk as
 * the reference. Not a test: it measures, prints a table and exits 0.
 *
 *   node scripts/bench-load.ts [--duration 10s] [--rates 500,1000,...] [--wrk-connections 10,50] [--cluster]
 *
 * With --cluster the target is the sample service deployed on the kind cluster `probelab` (2 replicas
 * behind a NodePort on 127.0.0.1, reached through kube-proxy as in a run) instead of a local process;
 * the namespace is removed afterwards.
 *
 * k6 runs exactly as a probelab run does (harness/adapters/k6.ts: the stepped-load script, one constant
 * step, --out json tailed into series), and again without the points file (summary only), to show what
 * the points file costs. A rate is sustained when the achieved rate is within 2% of the target and no
 * iteration was dropped; rates are tried in increasing order until one is not sustained, then the gap
 * between the last good and the first bad rate is bisected twice. wrk (closed loop, as fast as it can)
 * gives the most this machine serves at all. The sample service and the load generator share the same
 * cores, so every number is for the pair, on this machine.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startLoad, steppedLoadScript } from '../harness/adapters/k6.ts';
import { kindAt } from '../harness/adapters/kind.ts';
import { connectKube } from '../harness/adapters/kube.ts';
import { pathsFor } from '../harness/adapters/paths.ts';
import { loadScenario } from '../harness/config/load.ts';
import { renderManifests } from '../harness/core/render.ts';
import { CommandError, runCommand } from '../harness/adapters/process.ts';
import { scenarioSchema } from '../harness/config/v1alpha1.ts';
import { parseDuration } from '../harness/core/duration.ts';
import { K6_ENV, k6Args, planLoad, type K6Plan } from '../harness/core/load/plan.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SUSTAINED_WITHIN = 0.02;
/** preAllocatedVus per run (--pre-allocated-vus): VUs k6 starts with; more are made, slowly, up to 1000. */
let preAllocatedVus = 200;

interface Row {
  tool: string;
  targetRps: number | undefined;
  achievedRps: number;
  dropped: number | undefined;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  note: string;
  sustained: boolean | undefined;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10s' },
      rates: { type: 'string', default: '250,500,1000,1500,2000,3000,4000,6000,8000,12000' },
      'wrk-connections': { type: 'string', default: '10,50' },
      'pre-allocated-vus': { type: 'string', default: '200' },
      cluster: { type: 'boolean', default: false },
    },
  });
  const durationMs = parseDuration(values.duration);
  if (!durationMs) throw new Error(`--duration ${values.duration}: use a duration like 10s`);
  const rates = values.rates.split(',').map(Number);
  preAllocatedVus = Number(values['pre-allocated-vus']);
  if (!Number.isInteger(preAllocatedVus) || preAllocatedVus < 1)
    throw new Error(`--pre-allocated-vus ${values['pre-allocated-vus']}: use a positive whole number`);
  if (rates.some((r) => !Number.isInteger(r) || r <= 0))
    throw new Error(`--rates ${values.rates}: use positive whole numbers separated by commas`);

  const work = await mkdtemp(join(tmpdir(), 'probelab-bench-'));
  const stopService = new AbortController();
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const k6 = (
      await runCommand('bash', [join(repo, 'clusters/images/k6/build.sh')], { timeoutMs: 20 * 60_000 })
    ).stdout
      .trim()
      .split('\n')
      .at(-1) as string;
    const wrk = await findWrk();
    let baseUrl: string;
    if (values.cluster) {
      const deployed = await deployOnCluster();
      cleanups.push(deployed.remove);
      baseUrl = deployed.baseUrl;
    } else {
      const sample = join(work, 'sample');
      await runCommand('go', ['build', '-o', sample, '.'], {
        cwd: join(repo, 'services/sample'),
        env: { PATH: `${process.env.PATH}:/usr/local/go/bin`, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
      });
      baseUrl = await startSample(sample, stopService.signal);
    }
    const { cpus, model } = await machine();
    console.log(`machine: ${cpus} CPUs (${model}); k6 ${k6}; sample service at ${baseUrl}`);
    console.log(
      `each k6 step: ${values.duration} at a constant arrival rate on GET /work, ${preAllocatedVus} pre-allocated VUs\n`,
    );

    const rows: Row[] = [];
    for (const mode of ['k6 + points', 'k6 summary only'] as const) {
      const measure = (rps: number) =>
        mode === 'k6 + points'
          ? measureK6(k6, baseUrl, rps, values.duration, join(work, `${rps}`))
          : measureK6SummaryOnly(k6, baseUrl, rps, values.duration, durationMs, join(work, `s${rps}`));
      let good: number | undefined;
      let bad: number | undefined;
      for (const rps of rates) {
        const row = await measure(rps);
        rows.push(row);
        printRow(row);
        if (!row.sustained) {
          bad = rps;
          break;
        }
        good = rps;
      }
      for (let i = 0; i < 2 && good !== undefined && bad !== undefined; i++) {
        const mid = Math.round((good + bad) / 2);
        if (mid === good || mid === bad) break;
        const row = await measure(mid);
        rows.push(row);
        printRow(row);
        if (row.sustained) good = mid;
        else bad = mid;
      }
      console.log(`  → ${mode}: highest sustained rate ${good ?? 'none'} rps\n`);
    }
    if (wrk)
      for (const connections of values['wrk-connections'].split(',').map(Number)) {
        const row = await measureWrk(wrk, baseUrl, connections, values.duration);
        rows.push(row);
        printRow(row);
      }
    else console.log('wrk is not installed (apt-get install wrk); no reference row');

    console.log(`\n${table(rows)}`);
  } finally {
    stopService.abort();
    for (const cleanup of cleanups.reverse()) await cleanup();
    await rm(work, { recursive: true, force: true });
  }
}

function loadPlan(baseUrl: string, rps: number, duration: string): K6Plan {
  const load = scenarioSchema.shape.load.parse({
    workload: 'bench',
    stages: [{ rps, duration }],
    vus: { preAllocated: preAllocatedVus, max: 1000 },
    timeout: '5s',
  });
  return planLoad(load, [{ variant: 'bench', baseUrl }], {});
}

async function measureK6(
  k6: string,
  baseUrl: string,
  rps: number,
  duration: string,
  outDir: string,
): Promise<Row> {
  const run = startLoad({
    k6Bin: k6,
    script: steppedLoadScript(repo),
    plan: loadPlan(baseUrl, rps, duration),
    outDir,
  });
  const result = await run.done;
  const variant = result.series.variants[0];
  const step = variant?.steps[0];
  const achieved = step?.achievedRps ?? 0;
  const dropped = step?.droppedIterations ?? 0;
  const points = statSync(result.files.points).size;
  return {
    tool: 'k6 + points',
    targetRps: rps,
    achievedRps: achieved,
    dropped,
    p50Ms: step?.latencyMs?.p50,
    p99Ms: step?.latencyMs?.p99,
    note: `points file ${(points / 1e6).toFixed(0)} MB, ${Math.round(points / Math.max(1, variant?.total.requests ?? 1))} B/request`,
    sustained: Math.abs(achieved - rps) <= rps * SUSTAINED_WITHIN && dropped === 0,
  };
}

/** measureK6SummaryOnly runs the same script and plan without --out json, reading the end-of-test summary. */
async function measureK6SummaryOnly(
  k6: string,
  baseUrl: string,
  rps: number,
  duration: string,
  durationMs: number,
  outDir: string,
): Promise<Row> {
  await mkdir(outDir, { recursive: true });
  const files = {
    script: steppedLoadScript(repo),
    plan: join(outDir, 'plan.json'),
    points: '',
    summary: join(outDir, 'summary.json'),
  };
  await writeFile(files.plan, JSON.stringify(loadPlan(baseUrl, rps, duration)));
  const args = k6Args(files).filter((a, i, all) => a !== '--out' && all[i - 1] !== '--out');
  await runCommand(k6, args, { env: { ...K6_ENV }, timeoutMs: durationMs + 120_000, allowExitCodes: [99] });
  const summary = JSON.parse(await readFile(files.summary, 'utf8')) as {
    metrics: Record<string, { values: Record<string, number> } | undefined>;
  };
  const requests = summary.metrics.http_reqs?.values.count ?? 0;
  const dropped = summary.metrics.dropped_iterations?.values.count ?? 0;
  const achieved = requests / (durationMs / 1000);
  return {
    tool: 'k6 summary only',
    targetRps: rps,
    achievedRps: achieved,
    dropped,
    p50Ms: summary.metrics.http_req_duration?.values.med,
    p99Ms: summary.metrics.http_req_duration?.values['p(99)'],
    note: 'k6 quantiles (interpolated)',
    sustained: Math.abs(achieved - rps) <= rps * SUSTAINED_WITHIN && dropped === 0,
  };
}

async function measureWrk(wrk: string, baseUrl: string, connections: number, duration: string): Promise<Row> {
  const threads = Math.min(2, connections);
  const { stdout } = await runCommand(wrk, [
    `-t${threads}`,
    `-c${connections}`,
    `-d${duration}`,
    '--latency',
    `${baseUrl}/work`,
  ]);
  const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1]);
  const ms = (pattern: RegExp) => {
    const match = pattern.exec(stdout);
    if (!match) return undefined;
    const factor = { us: 0.001, ms: 1, s: 1000 }[match[2] as 'us' | 'ms' | 's'];
    return Number(match[1]) * factor;
  };
  return {
    tool: `wrk -t${threads} -c${connections}`,
    targetRps: undefined,
    achievedRps: number(/Requests\/sec:\s+([\d.]+)/),
    dropped: undefined,
    p50Ms: ms(/50%\s+([\d.]+)(us|ms|s)/),
    p99Ms: ms(/99%\s+([\d.]+)(us|ms|s)/),
    note: `closed loop, ${connections} connections; errors: ${/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0} non-2xx`,
    sustained: undefined,
  };
}

/** deployOnCluster deploys the sample service (2 replicas, NodePort 30087) on the kind cluster `probelab`. */
async function deployOnCluster(): Promise<{ baseUrl: string; remove: () => Promise<void> }> {
  const paths = pathsFor(repo, process.env);
  const kubeconfig = paths.kubeconfig('probelab');
  await kindAt(join(paths.bin, 'kind')).writeKubeconfig('probelab', kubeconfig);
  const kube = connectKube(kubeconfig);
  const image = (
    await runCommand('bash', [join(repo, 'clusters/images/sample/build.sh')], { timeoutMs: 10 * 60_000 })
  ).stdout
    .trim()
    .split('\n')
    .at(-1) as string;
  await kindAt(join(paths.bin, 'kind')).loadImages('probelab', [image]);
  const { model, problems } = loadScenario(`
apiVersion: probelab.dev/v1alpha1
kind: Scenario
metadata: { name: bench-load }
workloads:
  - name: web
    replicas: 2
    probes:
      readiness: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
load: { workload: web, stages: [{ rps: 1, duration: 1m }] }
`);
  if (!model) throw new Error(`internal: the bench scenario does not load: ${JSON.stringify(problems)}`);
  const nodePort = 30087;
  const rendered = renderManifests(model, { runId: 'bench', image, nodePorts: [nodePort] });
  await kube.apply(rendered.objects);
  const baseUrl = `http://127.0.0.1:${nodePort}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${baseUrl}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    const deployment = await kube.apps.readNamespacedDeployment({
      name: 'web',
      namespace: rendered.namespace,
    });
    if (ok && deployment.status?.availableReplicas === 2) break;
    if (i > 120) throw new Error('the sample service on the cluster did not become available in 2 minutes');
    await new Promise((r) => setTimeout(r, 1000));
  }
  return {
    baseUrl,
    remove: async () => {
      await kube.core.deleteNamespace({ name: rendered.namespace }).catch(() => undefined);
    },
  };
}

async function findWrk(): Promise<string | undefined> {
  for (const path of ['/usr/bin/wrk', '/usr/local/bin/wrk']) if (existsSync(path)) return path;
  return undefined;
}

async function startSample(binary: string, signal: AbortSignal): Promise<string> {
  let onPort: (port: string) => void = () => {};
  const port = new Promise<string>((r) => (onPort = r));
  runCommand(binary, [], {
    signal,
    timeoutMs: 0,
    killGraceMs: 2000,
    env: { SAMPLE_PORT: '0', SAMPLE_GRPC_PORT: '0', POD_NAME: 'bench-0', SAMPLE_DRAIN_DELAY: '0s' },
    onStdoutLine: (line) => {
      const match = /"msg":"listening".*"http":"[^"]*:(\d+)"/.exec(line);
      if (match) onPort(match[1] as string);
    },
  }).catch((err: unknown) => {
    if (!(err instanceof CommandError && err.reason === 'canceled')) console.error(String(err));
  });
  return `http://127.0.0.1:${await port}`;
}

async function machine(): Promise<{ cpus: number; model: string }> {
  const info = await readFile('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.+)/.exec(info)?.[1] ?? 'unknown CPU';
  return { cpus: (info.match(/^processor\s*:/gm) ?? []).length, model };
}

const fmt = (n: number | undefined, digits = 1) =>
  n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits);

function printRow(r: Row): void {
  const verdict = r.sustained === undefined ? '' : r.sustained ? 'sustained' : 'NOT sustained';
  console.log(
    `  ${r.tool}: target ${r.targetRps ?? '—'} achieved ${fmt(r.achievedRps)} dropped ${r.dropped ?? '—'} ${verdict}`,
  );
}

function table(rows: Row[]): string {
  const header = ['tool', 'target rps', 'achieved rps', 'dropped', 'p50 ms', 'p99 ms', 'sustained', 'note'];
  const body = rows.map((r) => [
    r.tool,
    r.targetRps === undefined ? '—' : String(r.targetRps),
    fmt(r.achievedRps),
    r.dropped === undefined ? '—' : String(r.dropped),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    r.sustained === undefined ? '—' : r.sustained ? 'yes' : 'no',
    r.note,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

await main();
