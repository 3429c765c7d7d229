/**
 * The load half for real: the k6 binary (clusters/images/k6/build.sh) runs scenarios/k6/stepped-load.ts
 * against locally built sample services on 127.0.0.1, and the adapter turns its output into series.
 *
 * Without k6 installed the suite is skipped (the reason is printed), except under CI=true, where the
 * before hook builds k6 and a failed build fails the suite.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLoad, steppedLoadScript, type LoadResult } from '../../harness/adapters/k6.ts';
import { CommandError, runCommand } from '../../harness/adapters/process.ts';
import { scenarioSchema } from '../../harness/config/v1alpha1.ts';
import { planLoad, type LoadTarget } from '../../harness/core/load/plan.ts';
import type { VariantSeries } from '../../harness/core/load/series.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const goEnv = { PATH: `${process.env.PATH}:/usr/local/go/bin`, GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
/** RATE_TOLERANCE: achieved rate per step vs the plan's target (a step boundary moves a request or two). */
const RATE_TOLERANCE = 0.05;

function pinnedK6Version(): string {
  const line = readFileSync(join(repo, 'clusters/versions.env'), 'utf8')
    .split('\n')
    .findLast((l) => l.startsWith('K6_VERSION='));
  if (!line) throw new Error('K6_VERSION is missing from clusters/versions.env');
  return line.slice('K6_VERSION='.length).trim();
}

/** installedK6 is the k6 that build.sh installs, if it is there and reports the pinned version. */
async function installedK6(version: string): Promise<string | undefined> {
  const cache = process.env.PROBELAB_CACHE_DIR ?? join(process.env.HOME ?? '', '.cache', 'probelab');
  const bin = join(cache, 'bin', 'k6');
  if (!existsSync(bin)) return undefined;
  const { stdout } = await runCommand(bin, ['version'], { timeoutMs: 10_000 }).catch(() => ({ stdout: '' }));
  return stdout.split(/\s+/)[1] === version ? bin : undefined;
}

interface SampleService {
  baseUrl: string;
  stop: () => Promise<void>;
}

/** startSample runs the sample service on a free port (SAMPLE_PORT=0) and waits for its `listening` line. */
async function startSample(binary: string, pod: string): Promise<SampleService> {
  const controller = new AbortController();
  let onListening: (port: string) => void = () => {};
  const listening = new Promise<string>((r) => (onListening = r));
  const exited = runCommand(binary, [], {
    timeoutMs: 0,
    signal: controller.signal,
    killGraceMs: 2000,
    env: { SAMPLE_PORT: '0', SAMPLE_GRPC_PORT: '0', POD_NAME: pod, SAMPLE_DRAIN_DELAY: '0s' },
    onStdoutLine: (line) => {
      const match = /"msg":"listening".*"http":"[^"]*:(\d+)"/.exec(line);
      if (match) onListening(match[1] as string);
    },
  }).catch((err: unknown) => {
    if (!(err instanceof CommandError && err.reason === 'canceled')) throw err;
  });
  const port = await Promise.race([
    listening,
    exited.then(() => {
      throw new Error(`the sample service ${pod} exited before listening`);
    }),
  ]);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    stop: async () => {
      controller.abort();
      await exited;
    },
  };
}

/** closedPort is a 127.0.0.1 port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** processesWith lists live processes whose command line contains text. */
function processesWith(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/^\d+ \(.*\) Z/.test(stat)) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const variantOf = (result: LoadResult, name: string): VariantSeries => {
  const v = result.series.variants.find((s) => s.variant === name);
  assert.ok(v, `no series for variant ${name}`);
  return v;
};

describe('k6 load against the local sample service', function () {
  this.timeout(60_000);
  let k6: string;
  let workDir: string;
  const services: SampleService[] = [];
  let targets: LoadTarget[];

  before(async function () {
    const version = pinnedK6Version();
    let bin = await installedK6(version);
    if (!bin && process.env.CI === 'true') {
      this.timeout(20 * 60_000);
      const built = await runCommand('bash', [join(repo, 'clusters/images/k6/build.sh')], {
        timeoutMs: 20 * 60_000,
      });
      bin = built.stdout.trim().split('\n').at(-1);
    }
    if (!bin) {
      console.log(
        `    skipped: k6 ${version} is not installed; run clusters/images/k6/build.sh (under CI=true the suite builds it, and fails if it cannot)`,
      );
      this.skip();
    }
    k6 = bin;
    workDir = await mkdtemp(join(tmpdir(), 'probelab-k6-'));
    const sample = join(workDir, 'sample');
    await runCommand('go', ['build', '-o', sample, '.'], {
      cwd: join(repo, 'services/sample'),
      env: goEnv,
      timeoutMs: 5 * 60_000,
    });
    services.push(await startSample(sample, 'alpha-0'), await startSample(sample, 'beta-0'));
    targets = [
      { variant: 'alpha', baseUrl: services[0]?.baseUrl as string },
      { variant: 'beta', baseUrl: services[1]?.baseUrl as string },
      { variant: 'down', baseUrl: `http://127.0.0.1:${await closedPort()}` },
    ];
  });

  after(async () => {
    await Promise.all(services.map((s) => s.stop()));
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('runs two steps at their target rates, tags every request with its pod, and reports errors by kind', async () => {
    const load = scenarioSchema.shape.load.parse({
      workload: 'web',
      stages: [
        { rps: 20, duration: '5s' },
        { rps: 50, duration: '5s' },
      ],
      requests: [
        { path: '/work', weight: 3, query: { latency: '1ms', payload: 512 } },
        { path: '/hostname', weight: 1 },
      ],
      timeout: '2s',
      vus: { preAllocated: 50, max: 200 }, // enough that a stall of the shared CPUs drops no iteration
    });
    const plan = planLoad(load, targets, { latency: { p95: '1s' }, errorRate: { max: 0.01 } });
    const run = startLoad({
      k6Bin: k6,
      script: steppedLoadScript(repo),
      plan,
      outDir: join(workDir, 'full'),
    });
    const result = await run.done;

    assert.equal(result.outcome, 'thresholds-crossed', 'the "down" variant fails its error-rate threshold');
    assert.equal(result.exitCode, 99);
    const failedThresholds = result.thresholds.filter((t) => !t.ok).map((t) => `${t.metric} ${t.threshold}`);
    assert.deepEqual(failedThresholds, ['http_req_failed{variant:down} rate<=0.01']);
    assert.equal(result.thresholds.length, 6);

    for (const [name, pod] of [
      ['alpha', 'alpha-0'],
      ['beta', 'beta-0'],
    ] as const) {
      const v = variantOf(result, name);
      assert.equal(v.loadStartSource, 'k6 scenario start');
      assert.deepEqual(
        v.steps.map((s) => s.step),
        [0, 1],
      );
      for (const step of v.steps) {
        const target = step.targetRps as number;
        assert.ok(
          Math.abs(step.achievedRps - target) <= target * RATE_TOLERANCE,
          `${name} step ${step.step}: achieved ${step.achievedRps} rps, target ${target}`,
        );
        assert.equal(step.droppedIterations, 0);
      }
      assert.deepEqual(v.total.requestsByPod, { [pod]: v.total.requests }, 'every request has its pod');
      assert.deepEqual(v.total.responses, { '2xx': v.total.requests });
      assert.equal(v.total.errors.total, 0);
      assert.ok((v.total.latencyMs?.p99 ?? Infinity) < 1000);
      const windowed = v.windows.reduce((sum, w) => sum + w.requests, 0);
      assert.equal(windowed, v.total.requests, 'the 1 s windows add up to the total');
      assert.ok(v.windows.length >= 10 && v.windows.length <= 12, `${v.windows.length} windows`);
    }

    const down = variantOf(result, 'down');
    assert.ok(down.total.requests > 300);
    assert.deepEqual(down.total.errors.byKind, {
      refused: down.total.requests,
      reset: 0,
      timeout: 0,
      other: 0,
    });
    assert.deepEqual(down.total.requestsByPod, { none: down.total.requests });

    assert.ok(existsSync(result.files.summary), 'handleSummary wrote the summary');
    assert.match(readFileSync(result.files.log, 'utf8'), /^\$ .*k6 run --quiet/);
    assert.equal(result.series.lines.malformed, 0);
  });

  it('an abort stops k6, which still writes its summary, and leaves a partial series', async () => {
    const load = scenarioSchema.shape.load.parse({ workload: 'web', stages: [{ rps: 30, duration: '30s' }] });
    const plan = planLoad(load, targets.slice(0, 1), {});
    const outDir = join(workDir, 'aborted');
    const controller = new AbortController();
    const run = startLoad({
      k6Bin: k6,
      script: steppedLoadScript(repo),
      plan,
      outDir,
      signal: controller.signal,
    });
    const deadline = Date.now() + 20_000;
    while ((run.live()[0]?.requests ?? 0) < 60 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const live = run.series().variants[0];
    assert.ok(live && live.total.requests >= 60, 'live series while k6 runs');
    controller.abort();
    const result = await run.done;

    assert.equal(result.outcome, 'aborted');
    assert.equal(result.exitCode, 105, 'k6 handled SIGTERM itself');
    assert.ok(existsSync(result.files.summary), 'k6 wrote its summary after SIGTERM');
    assert.deepEqual(processesWith(outDir), [], 'no k6 process is left');
    const alpha = variantOf(result, 'alpha');
    const [step] = alpha.steps;
    assert.ok(step && !step.complete, 'the step is partial');
    assert.ok(alpha.total.requests >= 60 && alpha.total.requests < 300, `${alpha.total.requests} requests`);
    assert.ok(
      Math.abs(step.achievedRps - 30) <= 30 * 0.1,
      `achieved ${step.achievedRps} rps over the part that ran`,
    );
    assert.deepEqual(alpha.total.requestsByPod, { 'alpha-0': alpha.total.requests });
  });
});
