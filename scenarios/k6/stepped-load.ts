/**
 * probelab's load script. It runs inside k6 (Sobek with k6's own TypeScript stripping), not in Node: no
 * node:* modules, no npm packages, only k6/* modules and k6's init-context globals (open, __ENV). It must
 * not import from harness/: everything it needs is in the plan (harness/core/load/plan.ts, K6Plan).
 *
 * Inputs (k6 --env): PROBELAB_PLAN, the plan JSON's absolute path; PROBELAB_SUMMARY, where handleSummary
 * writes the end-of-test summary JSON.
 *
 * One k6 scenario per target (loaded variant), named after the variant and tagged `variant`:
 * - model open: ramping-arrival-rate, one k6 stage pair per step (ramp, then hold at the step's rps);
 * - model closed: ramping-vus with VUs = the step's rps, each VU paced to one request per
 *   plan.closedModelPacingMs (so the offered rate falls when answers get slower than that).
 * Each iteration sends one request to a path drawn by weight from the request mix; its samples are tagged
 * `step` (the plan's stage index, from the time since the scenario started) and `path`. After each answer a probelab_pod_requests
 * sample records the pod that answered (X-Pod-Name), since k6 tags a request before it has an answer.
 */
import { sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Gauge } from 'k6/metrics';

interface Stage {
  index: number;
  rps: number;
  startMs: number;
  holdStartMs: number;
  endMs: number;
}

interface Plan {
  version: string;
  model: 'open' | 'closed';
  stages: Stage[];
  k6Stages: { target: number; duration: string }[];
  loadDurationMs: number;
  targets: { variant: string; baseUrl: string }[];
  requests: { path: string; pathWithQuery: string; weight: number }[];
  vus: { preAllocated: number; max: number };
  timeoutMs: number;
  closedModelPacingMs: number;
  connections: 'new' | 'reuse';
  thresholds: Record<string, { threshold: string; abortOnFail: boolean }[]>;
}

const PLAN_VERSION = 'probelab.dev/k6-plan/v1';

function requiredEnv(name: string): string {
  const value = __ENV[name];
  if (!value) throw new Error(`${name} is not set; run k6 with --env ${name}=<absolute path>`);
  return value;
}

const plan: Plan = JSON.parse(open(requiredEnv('PROBELAB_PLAN')));
if (plan.version !== PLAN_VERSION)
  throw new Error(`plan version ${JSON.stringify(plan.version)} is not ${PLAN_VERSION}; regenerate the plan`);
const summaryPath = requiredEnv('PROBELAB_SUMMARY');

const baseUrls: Record<string, string> = {};
for (const target of plan.targets) baseUrls[target.variant] = target.baseUrl;
const totalWeight = plan.requests.reduce((sum, r) => sum + r.weight, 0);
const timeout = `${plan.timeoutMs}ms`;
const expectedResponse = http.expectedStatuses({ min: 200, max: 399 });

const podRequests = new Counter('probelab_pod_requests');
const scenarioStart = new Gauge('probelab_scenario_start_ms');

function scenarioFor(variant: string): Record<string, unknown> {
  const common = {
    exec: 'drive',
    tags: { variant },
    gracefulStop: timeout, // requests in flight at the end get their full timeout
  };
  if (plan.model === 'open')
    return {
      ...common,
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      preAllocatedVUs: plan.vus.preAllocated,
      maxVUs: plan.vus.max,
      stages: plan.k6Stages,
    };
  return {
    ...common,
    executor: 'ramping-vus',
    startVUs: 0,
    gracefulRampDown: timeout,
    stages: plan.k6Stages,
  };
}

const scenarios: Record<string, Record<string, unknown>> = {};
for (const target of plan.targets) scenarios[target.variant] = scenarioFor(target.variant);

export const options = {
  scenarios,
  thresholds: plan.thresholds,
  discardResponseBodies: true,
  // "new": each iteration opens its own connection, so the Service spreads requests over every ready pod
  // (as an L7 load balancer would); "reuse": keep-alive, which pins a VU to the pod it first reached.
  noVUConnectionReuse: plan.connections === 'new',
  throw: true, // see drive()
  // No url/name tags: the path tag says the same at a fraction of the output size.
  systemTags: ['status', 'method', 'error', 'error_code', 'scenario', 'expected_response'],
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};

function stepAt(elapsedMs: number): number {
  for (let i = plan.stages.length - 1; i > 0; i--) if (elapsedMs >= plan.stages[i].startMs) return i;
  return 0;
}

function pickRequest(): Plan['requests'][number] {
  let roll = Math.random() * totalWeight;
  for (const request of plan.requests) {
    roll -= request.weight;
    if (roll < 0) return request;
  }
  return plan.requests[plan.requests.length - 1];
}

export function drive(): void {
  const started = Date.now();
  const variant = exec.scenario.name;
  if (exec.scenario.iterationInTest === 0) scenarioStart.add(exec.scenario.startTime);
  const step = String(stepAt(started - exec.scenario.startTime));
  // A VU tag, so that every sample of this iteration (iterations, iteration_duration too) carries it.
  exec.vu.metrics.tags.step = step;
  const request = pickRequest();
  let pod = 'none';
  let status = '0';
  try {
    const response = http.get(baseUrls[variant] + request.pathWithQuery, {
      timeout,
      responseCallback: expectedResponse,
      tags: { path: request.path },
    });
    pod = response.headers['X-Pod-Name'] || 'none';
    status = String(response.status);
  } catch {
    // A request without an answer (refused, reset, timed out): k6 has already recorded it with its
    // error_code; with throw on it is not also logged, one line per failure, which floods the log.
  }
  podRequests.add(1, { path: request.path, pod, status });
  if (plan.model === 'closed') {
    const restMs = plan.closedModelPacingMs - (Date.now() - started);
    if (restMs > 0) sleep(restMs / 1000);
  }
}

export function handleSummary(data: unknown): Record<string, string> {
  return { [summaryPath]: JSON.stringify(data, null, 2) };
}
