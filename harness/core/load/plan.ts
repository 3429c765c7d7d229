/**
 * The k6 plan: everything scenarios/k6/stepped-load.ts needs to drive a run, computed from the scenario's
 * `load` section, the loaded variants' base URLs and the SLOs. The script reads it as JSON (PROBELAB_PLAN)
 * and does no planning of its own, so what a run does is decided and tested here.
 *
 * Contract: pure and deterministic; bad input throws a UserError naming the field, the value and the fix.
 */
import type { Scenario, Slos } from '../../config/v1alpha1.ts';
import { durationMs } from '../duration.ts';
import { UserError } from '../errors.ts';
import { planStages, type StageWindow } from '../load-shape.ts';

export const K6_PLAN_VERSION = 'probelab.dev/k6-plan/v1';

/**
 * CLOSED_MODEL_PACING_MS: in the closed model every VU sends one request per this period (waiting out the
 * rest of it after the answer), so `rps` VUs offer `rps` requests per second while answers are fast, and
 * fewer when answers take longer than the period: the back-pressure that distinguishes a closed model.
 */
export const CLOSED_MODEL_PACING_MS = 1000;

/**
 * K6_ENV is the environment every k6 run gets. K6_NO_USAGE_REPORT=true sends no anonymous usage report
 * (the same as --no-usage-report, which k6Args passes too). K6_AUTO_EXTENSION_RESOLUTION=false stops k6 v2
 * from provisioning a different k6 binary from Grafana's build service when a script imports an
 * extension it lacks (no flag exists for it; v1's K6_BINARY_PROVISIONING is gone in v2).
 */
export const K6_ENV: Readonly<Record<string, string>> = {
  K6_NO_USAGE_REPORT: 'true',
  K6_AUTO_EXTENSION_RESOLUTION: 'false',
};

/**
 * Custom metrics the script adds; series.ts reads them. scenarios/k6/stepped-load.ts spells the same
 * names (it runs in k6 and cannot import this file); the real test (load-k6.test.ts) keeps them in step.
 */
export const K6_METRICS = {
  /** A Counter, one sample per response, tagged with the pod that answered (X-Pod-Name; "none" without a response). */
  podRequests: 'probelab_pod_requests',
  /** A Gauge, sampled once per scenario: its value is the scenario's start (epoch ms, load-generator clock). */
  scenarioStart: 'probelab_scenario_start_ms',
} as const;

/** NO_POD is the pod tag of a request that got no response (the script spells it too). */
export const NO_POD = 'none';

export interface LoadTarget {
  /** variant names the loaded deployment; it becomes the `variant` tag and the k6 scenario name. */
  variant: string;
  /** baseUrl is where its Service answers, e.g. http://127.0.0.1:30080 (no trailing slash). */
  baseUrl: string;
}

export interface K6Request {
  path: string;
  /** pathWithQuery is what is appended to a target's baseUrl: the path and its encoded query. */
  pathWithQuery: string;
  weight: number;
}

export interface K6Stage {
  /** target: requests per second (open model) or VUs (closed model) at the end of this k6 stage. */
  target: number;
  /** duration in k6's form, whole milliseconds (e.g. "5000ms"). */
  duration: string;
}

export interface K6Threshold {
  threshold: string;
  abortOnFail: false;
}

export interface K6Plan {
  version: typeof K6_PLAN_VERSION;
  model: 'open' | 'closed';
  /** stages are the scenario's steps on the load clock (ms from load start); the `step` tag is an index into them. */
  stages: StageWindow[];
  /** k6Stages are the same steps as k6 stages: for each step a ramp stage, then a hold stage. */
  k6Stages: K6Stage[];
  loadDurationMs: number;
  targets: LoadTarget[];
  requests: K6Request[];
  /** vus apply to each target's scenario separately (k6 VUs are not shared between scenarios). */
  vus: { preAllocated: number; max: number };
  /** timeoutMs is the per-request timeout; it is also each scenario's graceful stop. */
  timeoutMs: number;
  closedModelPacingMs: number;
  /** connections: "new" closes a VU's connections after each iteration; "reuse" keeps them (keep-alive). */
  connections: 'new' | 'reuse';
  /** thresholds are k6 thresholds keyed by metric (per variant); they never abort the run. */
  thresholds: Record<string, K6Threshold[]>;
}

export function planLoad(load: Scenario['load'], targets: readonly LoadTarget[], slos: Slos): K6Plan {
  if (targets.length === 0)
    throw new UserError('no load targets: the load needs at least one variant with a base URL');
  const seen = new Set<string>();
  const normalized = targets.map((target, i) => {
    if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(target.variant))
      throw new UserError(
        `load target ${i}: variant ${JSON.stringify(target.variant)} is not a lowercase name (a-z, 0-9, "-"); use the variant's name`,
      );
    if (seen.has(target.variant))
      throw new UserError(`load target ${i}: variant "${target.variant}" is listed twice; list each once`);
    seen.add(target.variant);
    return { variant: target.variant, baseUrl: baseUrlOf(target.baseUrl, i) };
  });

  const stages = planStages(load);
  if (load.model === 'closed') {
    const peak = Math.max(...load.stages.map((s) => s.rps));
    if (peak > load.vus.max) {
      const at = load.stages.findIndex((s) => s.rps === peak);
      throw new UserError(
        `load.stages[${at}].rps: ${peak} needs ${peak} VUs in the closed model (one request per VU per second), above load.vus.max ${load.vus.max}; raise load.vus.max or use model: open`,
      );
    }
  }

  return {
    version: K6_PLAN_VERSION,
    model: load.model,
    stages,
    k6Stages: stages.flatMap((s) => [
      { target: s.rps, duration: `${s.holdStartMs - s.startMs}ms` },
      { target: s.rps, duration: `${s.endMs - s.holdStartMs}ms` },
    ]),
    loadDurationMs: stages.at(-1)?.endMs ?? 0,
    targets: normalized,
    requests: load.requests.map((r) => ({
      path: r.path,
      pathWithQuery: r.path + queryString(r.query ?? {}),
      weight: r.weight,
    })),
    vus: { preAllocated: load.vus.preAllocated, max: load.vus.max },
    timeoutMs: durationMs(load.timeout),
    closedModelPacingMs: CLOSED_MODEL_PACING_MS,
    connections: load.connections,
    thresholds: thresholdsFor(
      normalized.map((t) => t.variant),
      slos,
    ),
  };
}

/**
 * thresholdsFor turns the SLOs k6 can judge by itself into per-variant thresholds: slos.latency p50/p95/p99
 * on http_req_duration (ms, every request, failed ones included) and slos.errorRate.max on http_req_failed.
 * They are reported, never enforced by aborting: the verdict is probelab's, over the whole series.
 */
export function thresholdsFor(variants: readonly string[], slos: Slos): Record<string, K6Threshold[]> {
  const latency = (['p50', 'p95', 'p99'] as const).flatMap((q) => {
    const limit = slos.latency?.[q];
    return limit === undefined ? [] : [`p(${q.slice(1)})<=${durationMs(limit)}`];
  });
  const errorRate = slos.errorRate?.max;
  const thresholds: Record<string, K6Threshold[]> = {};
  for (const variant of variants) {
    if (latency.length > 0)
      thresholds[`http_req_duration{variant:${variant}}`] = latency.map((threshold) => ({
        threshold,
        abortOnFail: false,
      }));
    if (errorRate !== undefined)
      thresholds[`http_req_failed{variant:${variant}}`] = [
        { threshold: `rate<=${errorRate}`, abortOnFail: false },
      ];
  }
  return thresholds;
}

export interface K6Files {
  /** script is the k6 script (scenarios/k6/stepped-load.ts). */
  script: string;
  /** plan is the JSON file holding the K6Plan. */
  plan: string;
  /** points is where k6 writes its metric samples as NDJSON (--out json). */
  points: string;
  /** summary is where the script's handleSummary writes the end-of-test summary JSON. */
  summary: string;
}

/**
 * k6Args is the argv of a run (after the k6 binary). Paths should be absolute: k6 resolves a relative
 * open() against the script's directory. The environment to run it with is K6_ENV.
 */
export function k6Args(files: K6Files): string[] {
  return [
    'run',
    '--quiet', // no progress bar: the output is a log, not a terminal
    '--no-color',
    '--no-usage-report',
    '--out',
    `json=${files.points}`,
    '--env',
    `PROBELAB_PLAN=${files.plan}`,
    '--env',
    `PROBELAB_SUMMARY=${files.summary}`,
    files.script,
  ];
}

function baseUrlOf(text: string, index: number): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(
      `load target ${index}: baseUrl ${JSON.stringify(text)} is not a URL; use a form like http://127.0.0.1:30080`,
    );
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash)
    throw new UserError(
      `load target ${index}: baseUrl ${JSON.stringify(text)} must be an http(s) URL without query or fragment, like http://127.0.0.1:30080`,
    );
  return url.href.replace(/\/+$/, '');
}

function queryString(query: Record<string, string | number>): string {
  const entries = Object.entries(query);
  if (entries.length === 0) return '';
  return `?${entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')}`;
}
