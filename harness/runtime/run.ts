/**
 * One run of a scenario, end to end: ensure the cluster, deploy the variants into a fresh namespace, wait
 * until ready, start k6, fire the timeline at its offsets, stop, remove every fault and verify, collect
 * restarts, judge, and write the reports. Every acquired resource is registered for teardown when it is
 * acquired; on abort (SIGINT/SIGTERM) the faults are removed and a partial report is written all the same.
 *
 * The run's clock: timeline offsets are measured on this host's wall clock from the moment k6 is
 * started (k6's own scenario start, in the series, is within a few hundred ms of it).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { PatchStrategy } from '@kubernetes/client-node';
import type { Kube } from '../adapters/kube.ts';
import { startLoad, steppedLoadScript, type LoadRun } from '../adapters/k6.ts';
import { startWatchers, type Watchers, type WatchSummary } from '../adapters/watch.ts';
import type { ChaosAction } from '../config/v1alpha1.ts';
import { leftoverRules } from '../core/chaos-status.ts';
import { durationMs } from '../core/duration.ts';
import { planLoad } from '../core/load/plan.ts';
import { planStages } from '../core/load-shape.ts';
import { computeMetrics, restartCountsOf } from '../core/metrics/index.ts';
import { isObjectRecord, type Observation } from '../core/observations.ts';
import {
  progressSnapshot,
  updateReplicas,
  type ProgressSnapshot,
  type ReplicaState,
} from '../core/progress.ts';
import type { LiveCounters, LoadSeries } from '../core/load/series.ts';
import type { ScenarioModel } from '../core/model.ts';
import { UserError } from '../core/errors.ts';
import { rolloutComplete, settleState, type SettledDeployments } from '../core/settle.ts';
import { deploymentsOf } from '../core/model.ts';
import { LABELS, LOADED_NODE_PORTS, renderManifests, type KubernetesObject } from '../core/render.ts';
import {
  judgeRun,
  RESTART_CAUSES,
  type FaultResult,
  type RestartCounts,
  type RunObservations,
  type Verdict,
} from '../core/verdict.ts';
import { writeReports } from '../../reports/write.ts';
import { RUN_REPORT_VERSION, type RunReport } from '../../reports/render.ts';
import {
  clusterUp,
  connectExisting,
  deleteNamespaceAndWait,
  type ExistingCluster,
  type ClusterOptions,
  type Env,
} from './cluster.ts';
import { daemonRuleGauges, injectChaos, listChaos, refOf, removeChaos } from './chaos-mesh.ts';
import { pollConfigVersion, type ConfigPoll, type ConfigSample } from './config-version.ts';
import { runSteps, sleep, type StepContext, type StepReport } from './steps.ts';
import { startSelfMonitor } from '../adapters/self-monitor.ts';
import { TeardownStack } from './teardown.ts';

/** INSTANT_FAULT_WINDOW_MS: how long after a pod-kill or container-kill its "during chaos" window lasts. */
export const INSTANT_FAULT_WINDOW_MS = 30_000;

/** SERVING_TIMEOUT_MS: how long an available variant may take to answer through its NodePort. */
const SERVING_TIMEOUT_MS = 60_000;
/** PROGRESS_INTERVAL_MS: how often a progress snapshot is taken while the load runs. */
export const PROGRESS_INTERVAL_MS = 1_000;

/** AVAILABLE_TIMEOUT_MS: how long a variant may take to become available before the load starts anyway. */
export const AVAILABLE_TIMEOUT_MS = 180_000;

/** Files of a run directory besides the reports: the watchers' raw observations and the namespace's events. */
export const OBSERVATIONS_FILE = 'observations.ndjson';
export const EVENTS_FILE = 'events.json';

export interface RunOptions {
  runId: string;
  /** cluster: the kind cluster to create or reuse, or an existing cluster reached by kubeconfig. */
  cluster: ClusterOptions | { existing: ExistingCluster };
  /** retain keeps the run namespace (faults are removed regardless). */
  retain: boolean;
  /** outDir: where the reports go (reports/out/<run id>). */
  outDir: string;
  /** progress receives a snapshot once a second while the load runs. */
  progress?: (snapshot: ProgressSnapshot) => void;
}

export interface RunResult {
  report: RunReport;
  verdict: Verdict;
  files: { json: string; summary: string; junit: string };
}

export async function runScenario(env: Env, model: ScenarioModel, options: RunOptions): Promise<RunResult> {
  const { scenario } = model;
  const startedAt = new Date().toISOString();
  const self = startSelfMonitor();
  const teardown = new TeardownStack();
  const loaded = deploymentsOf(model, scenario.load.workload).map((d) => d.name);
  const obs: RunObservations = {
    variants: loaded,
    series: undefined,
    loadOutcome: 'not-started',
    chaosWindows: [],
    rolloutWindows: [],
    restarts: [],
    faults: [],
    leftovers: [],
    aborted: false,
  };
  const fired: RunReport['timeline'] = [];
  // kind maps the loaded NodePorts to this host's 127.0.0.1 (kind-config.yaml).
  const loadAddress = 'existing' in options.cluster ? options.cluster.existing.loadAddress : '127.0.0.1';
  let kube: Kube | undefined;
  let namespace = '';
  let load: LoadRun | undefined;
  let loadStartMs: number | undefined;
  let steps: StepReport[] = [];
  let failure: unknown;
  const faultObjects: { object: KubernetesObject; name: string }[] = [];
  const notAvailable: { name: string; reason: string }[] = [];
  let watched: WatchSummary | undefined;
  let watchers: Watchers | undefined;
  let liveObservations: readonly Observation[] = [];
  let watchStartMs: number | undefined;
  const configPolls: { variant: string; atMs: number; version: string; poll: ConfigPoll }[] = [];
  const configUpdates: { variant: string; atMs: number; version: string; samples: ConfigSample[] }[] = [];
  const stopConfigPolls = async () => {
    for (const p of configPolls.splice(0))
      configUpdates.push({
        variant: p.variant,
        atMs: p.atMs,
        version: p.version,
        samples: await p.poll.stop(),
      });
  };
  // Filled by the first step.
  const context = {} as { rendered: ReturnType<typeof renderManifests>; k6Bin: string };

  try {
    steps = await runSteps(
      [
        {
          name: 'Ensure the cluster',
          run: async () => {
            const sub = { ...env, out: indent(env.out) };
            const handle =
              'existing' in options.cluster
                ? await connectExisting(sub, options.cluster.existing)
                : await clusterUp(sub, options.cluster);
            kube = handle.kube;
            const rendered = renderManifests(model, {
              runId: options.runId,
              image: handle.sampleImage,
              nodePorts: LOADED_NODE_PORTS,
            });
            namespace = rendered.namespace;
            context.rendered = rendered;
            context.k6Bin = handle.k6Bin;
            return `${handle.name} (${handle.created ? 'created' : 'reused'})`;
          },
        },
        {
          name: 'Deploy the variants',
          run: async () => {
            const k = kube as Kube;
            if (!options.retain)
              teardown.defer(`delete namespace ${namespace}`, () => deleteNamespaceAndWait(k, namespace));
            await ensureNodePortsFree(k, context.rendered.objects);
            // The namespace first, then the watchers, then the rest: the watchers see every pod from its
            // creation on.
            const [first, rest] = partition(context.rendered.objects, (o) => o.kind === 'Namespace');
            await k.apply(first);
            await mkdir(options.outDir, { recursive: true });
            const started = await startWatchers(k, namespace, join(options.outDir, OBSERVATIONS_FILE));
            watchers = started;
            liveObservations = started.observations;
            watchStartMs = Date.now();
            teardown.defer('stop the watchers', async () => {
              watched = await started.stop();
            });
            await k.apply(rest);
            return `${model.deployments.map((d) => d.name).join(', ')} in ${namespace}`;
          },
        },
        {
          name: 'Wait until every variant is available',
          run: async (ctx) => {
            const settled = await waitUntilSettled(watchers as Watchers, ctx, AVAILABLE_TIMEOUT_MS);
            notAvailable.push(...settled.failing);
            const serving: string[] = [];
            for (const [i, variant] of loaded.entries())
              if (settled.available.includes(variant))
                serving.push(
                  `${variant} answers through :${LOADED_NODE_PORTS[i]} after ${(
                    (await waitUntilServing(variant, `http://${loadAddress}:${LOADED_NODE_PORTS[i]}`, ctx)) /
                    1000
                  ).toFixed(1)}s`,
                );
            return [
              settled.failing.length
                ? `${settled.available.length} available; never available: ${settled.failing.map((f) => `${f.name} (${f.reason})`).join(', ')}`
                : `${settled.available.length} available`,
              ...serving,
            ].join('; ');
          },
        },
        {
          name: 'Drive the load and fire the timeline',
          run: async (ctx) => {
            const k = kube as Kube;
            const gaugesBefore = await daemonRuleGauges(k, namespace).catch(() => undefined);
            // Last in, first out: faults are removed, then the rules they leave are read, then the
            // namespace goes.
            teardown.defer('verify no network rule acts after removal', async () => {
              const after = await daemonRuleGauges(k, namespace).catch(() => undefined);
              obs.leftovers.push(...leftoverRules(gaugesBefore, after));
            });
            teardown.defer('stop the config polls', stopConfigPolls);
            teardown.defer('remove every fault', async () => {
              for (const { object, name } of [...faultObjects].reverse()) {
                const removal = await removeChaos(k, refOf(object));
                const fault = obs.faults.find((f) => f.name === name);
                if (fault)
                  Object.assign(fault, { forced: removal.forced, neverInjected: removal.neverInjected });
              }
              obs.leftovers.push(
                ...(await listChaos(k, options.runId)).map((r) => `${r.kind} ${r.namespace}/${r.name}`),
              );
            });
            const targets = loaded.map((variant, i) => ({
              variant,
              baseUrl: `http://${loadAddress}:${LOADED_NODE_PORTS[i]}`,
            }));
            load = startLoad({
              k6Bin: context.k6Bin,
              script: steppedLoadScript(env.paths.repo),
              plan: planLoad(scenario.load, targets, scenario.slos),
              outDir: options.outDir,
              signal: ctx.signal,
            });
            loadStartMs = Date.now();
            const stopProgress = options.progress
              ? reportProgress(options.progress, {
                  load,
                  loadStartMs,
                  stages: planStages(scenario.load),
                  observations: () => liveObservations,
                  chaosActive: (now) =>
                    obs.chaosWindows
                      .filter((w) => w.fromMs <= now && now < w.toMs)
                      .map((w) => `${w.label} (${w.variant})`),
                })
              : () => undefined;
            const fireAt = async (
              action: (typeof scenario.timeline)[number],
              index: number,
              start: number,
              signal: AbortSignal,
            ) => {
              await sleepUntil(start + durationMs(action.at), signal);
              const objects = context.rendered.timeline[index]?.objects ?? [];
              const firedAt = Date.now();
              fired.push({
                index,
                at: action.at,
                action: action.action,
                target: action.target,
                firedAtMs: firedAt,
              });
              ctx.note(`${action.at}: ${action.action} on ${action.target}`);
              if ('mode' in action) {
                for (const object of objects) {
                  const name = object.metadata?.name as string;
                  faultObjects.push({ object, name });
                  const fault: FaultResult = {
                    name,
                    action: action.action,
                    at: action.at,
                    state: 'pending',
                    forced: false,
                    neverInjected: false,
                  };
                  obs.faults.push(fault);
                  const outcome = await injectChaos(
                    k,
                    object,
                    action.action,
                    { signal, note: ctx.note },
                    {
                      timeoutMs: 30_000,
                    },
                  );
                  fault.state = outcome.injection.state;
                  fault.variant = object.metadata?.labels?.[LABELS.variant] ?? action.target;
                  if (outcome.injection.state === 'injected') fault.injectedAtMs = outcome.appliedAt;
                  if (outcome.injection.state === 'failing') fault.reason = outcome.injection.reason;
                  if (outcome.injection.state === 'pending')
                    fault.reason = `still pending: ${outcome.injection.detail}`;
                  ctx.note(`${name}: ${fault.state}${fault.reason ? ` (${fault.reason})` : ''}`);
                  if (outcome.injection.state === 'injected')
                    obs.chaosWindows.push({
                      label: `${action.action} at ${action.at}`,
                      variant: object.metadata?.labels?.[LABELS.variant] ?? action.target,
                      fromMs: outcome.appliedAt,
                      toMs: outcome.appliedAt + faultLengthMs(action),
                    });
                }
              } else if (action.action === 'config-update') {
                await k.apply(objects);
                const appliedAt = Date.now();
                for (const d of deploymentsOf(model, action.target))
                  configPolls.push({
                    variant: d.name,
                    atMs: appliedAt,
                    version: String(action.data.version),
                    poll: pollConfigVersion(
                      k,
                      namespace,
                      d.name,
                      d.spec.behaviour.port,
                      String(action.data.version),
                    ),
                  });
              } else {
                for (const d of deploymentsOf(model, action.target)) {
                  const patch =
                    action.action === 'scale'
                      ? { spec: { replicas: action.replicas } }
                      : {
                          spec: {
                            template: {
                              metadata: {
                                annotations: {
                                  'kubectl.kubernetes.io/restartedAt': new Date(firedAt).toISOString(),
                                },
                              },
                            },
                          },
                        };
                  await k.objects.patch(
                    {
                      apiVersion: 'apps/v1',
                      kind: 'Deployment',
                      metadata: { name: d.name, namespace },
                      ...patch,
                    },
                    undefined,
                    undefined,
                    undefined,
                    undefined,
                    // Only the named fields change; the HPA and everything else keep theirs.
                    PatchStrategy.StrategicMergePatch,
                  );
                  if (action.action === 'rollout-restart')
                    obs.rolloutWindows.push({
                      label: `rollout at ${action.at}`,
                      variant: d.name,
                      fromMs: firedAt,
                      // A request sent to a pod as it went away fails up to one request timeout later (k6
                      // places it at its end), so the window reaches that far past the last old pod.
                      toMs:
                        (await rolloutEnd(watchers as Watchers, d.name, signal)) +
                        durationMs(scenario.load.timeout),
                    });
                }
              }
            };
            const actions = scenario.timeline.map((action, index) =>
              fireAt(action, index, loadStartMs as number, ctx.signal),
            );
            const result = await load.done.finally(stopProgress);
            obs.loadOutcome = result.outcome;
            obs.series = result.series;
            for (const a of await Promise.allSettled(actions))
              if (a.status === 'rejected' && !ctx.signal.aborted) throw a.reason;
            await stopConfigPolls();
            return `${result.outcome}; ${fired.length} timeline action(s) fired`;
          },
        },
      ],
      env.out,
      env.signal,
    );
  } catch (error) {
    if (!env.signal.aborted) failure = error;
  }
  // k6 stops cleanly on an abort, so the steps may all have returned: the signal decides.
  obs.aborted = env.signal.aborted;
  // Collect what the pods say before the namespace may go, then undo everything.
  if (kube && namespace) {
    // With watchers (their stop never throws), restarts come from the observed transitions below; the
    // end-of-run totals are only the fallback for a run that ended before the watchers started.
    if (watchStartMs === undefined)
      obs.restarts = await restartsOf(kube, namespace, loaded, obs).catch(() => []);
    await writeEvents(kube, namespace, join(options.outDir, EVENTS_FILE)).catch((error: unknown) =>
      env.out.write(`could not save the namespace's events: ${String(error)}\n`),
    );
  }
  if (load && !obs.series) {
    const partial: LoadSeries = load.series();
    obs.series = partial;
    obs.loadOutcome = obs.aborted ? 'aborted' : 'failed';
  }
  const cleanup: StepReport[] = [];
  const teardownFailures = await teardown.run((name, error, durationMs) => {
    const took = `(${(durationMs / 1000).toFixed(1)}s)`;
    env.out.write(error ? `✗ cleanup: ${name} ${took}: ${String(error)}\n` : `✓ cleanup: ${name} ${took}\n`);
    cleanup.push({
      name,
      outcome: error ? 'failed' : 'ok',
      durationMs,
      ...(error ? { detail: String(error) } : {}),
    });
  });
  for (const f of teardownFailures) obs.leftovers.push(`cleanup step "${f.name}" failed: ${String(f.error)}`);

  const watchStopMs = Date.now();
  if (watched && watchStartMs !== undefined) {
    obs.metrics = computeMetrics({
      observations: watched.observations,
      series: obs.series,
      stages: planStages(scenario.load),
      loadStartMs,
      runWindow: { fromMs: watchStartMs, toMs: watchStopMs },
      variants: model.deployments.map((d) => ({
        name: d.name,
        loaded: loaded.includes(d.name),
        hpa: d.spec.hpa,
        probes: d.spec.probes,
      })),
      chaosWindows: obs.chaosWindows,
      rolloutWindows: obs.rolloutWindows,
      faults: obs.faults.map((f) => ({
        name: f.name,
        action: f.action,
        variant: f.variant ?? '',
        injectedAtMs: f.injectedAtMs,
      })),
      configUpdates,
      slos: scenario.slos,
    });
    // Restarts counted from the observed transitions (in the run's window) replace the end-of-run totals.
    obs.restarts = obs.metrics.variants.filter((v) => v.loaded).map(restartCountsOf);
  }
  obs.hpaVariants = model.deployments.filter((d) => d.spec.hpa && loaded.includes(d.name)).map((d) => d.name);
  const verdict = judgeRun(scenario.slos, obs);
  const harness = self.stop();
  const report: RunReport = {
    version: RUN_REPORT_VERSION,
    runId: options.runId,
    scenario: scenario.metadata.name,
    namespace,
    startedAt,
    finishedAt: new Date().toISOString(),
    clocks:
      'timeline offsets, fault and rollout windows, watch arrivals, config samples: this host, Date.now() (1 ms); k6 series: k6 sample time (this host, 1 µs) in 1 s windows; Kubernetes object times: metav1.Time (1 s, truncated); see docs/metrics.md',
    loadStartMs,
    steps,
    cleanup,
    timeline: fired,
    faults: obs.faults,
    chaosWindows: obs.chaosWindows,
    rolloutWindows: obs.rolloutWindows,
    restarts: obs.restarts,
    notAvailable,
    configUpdates,
    metrics: obs.metrics,
    ...(scenario.compare ? { compareRules: scenario.compare as RunReport['compareRules'] } : {}),
    leftovers: obs.leftovers,
    harness,
    loadOutcome: obs.loadOutcome,
    series: obs.series,
    verdict,
    ...(failure ? { error: String(failure instanceof Error ? failure.message : failure) } : {}),
  };
  const written = await writeReports(options.outDir, report, { writeJson: true });
  for (const problem of written.problems) env.out.write(`could not render ${problem}\n`);
  const files = { json: written.json, summary: written.summary, junit: written.junit };
  env.out.write(
    `reports: ${relative(env.paths.repo, options.outDir) || options.outDir}/{run.json,summary.md,junit.xml${written.html ? ',report.html' : ''}}\n`,
  );
  if (failure) throw failure;
  return { report, verdict, files };
}

function faultLengthMs(action: ChaosAction): number {
  return 'duration' in action ? durationMs(action.duration) : INSTANT_FAULT_WINDOW_MS;
}

/**
 * waitUntilSettled waits until every deployment of the run is available or visibly failing (settleState),
 * re-judging at every change the watchers see, so it reacts within one watch delivery and asks the API
 * nothing. Past the timeout, what is still pending is reported failing.
 */
async function waitUntilSettled(
  watchers: Watchers,
  ctx: StepContext,
  timeoutMs: number,
): Promise<SettledDeployments> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const expired = performance.now() > deadline;
    const deployments = watchers.current('Deployment');
    const state = settleState(deployments, watchers.current('Pod'), expired ? timeoutMs : undefined);
    if (deployments.length > 0 && state.pending.length === 0)
      return { available: state.available, failing: state.failing };
    if (expired)
      throw new UserError(`timed out after ${timeoutMs / 1000}s: no deployment in the run's namespace`);
    if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
    await nextWorkloadChange(watchers, deadline, ctx.signal);
  }
}

/**
 * waitUntilServing waits until a loaded variant answers through the very path k6 will use (its NodePort at
 * the load address) and returns how long that took (ms). A deployment is available once its pods are
 * Ready, but kube-proxy programs the NodePort a moment later; requests sent in between are refused, and
 * those would be errors of the setup counted against the workload. Three answers in a row (any HTTP
 * status: the route works) within SERVING_TIMEOUT_MS, or an infrastructure error naming the address.
 */
async function waitUntilServing(variant: string, baseUrl: string, ctx: StepContext): Promise<number> {
  const started = performance.now();
  let answers = 0;
  let last = '';
  while (answers < 3) {
    if (performance.now() - started > SERVING_TIMEOUT_MS)
      throw new UserError(
        `${variant} is available but ${baseUrl} does not answer after ${SERVING_TIMEOUT_MS / 1000}s (${last}); check the NodePort mapping to this host (kind-config.yaml, or cluster.existing.loadAddress)`,
      );
    try {
      const response = await fetch(`${baseUrl}/readyz`, {
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(2_000)]),
      });
      await response.arrayBuffer();
      answers++;
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? error;
      answers = 0;
      last = String((error as { cause?: unknown }).cause ?? error);
    }
    if (answers < 3) await sleep(100, ctx.signal);
  }
  return performance.now() - started;
}

/** BURST_MS: changes come in bursts (a rollout touches every pod); a state is judged once per burst. */
const BURST_MS = 100;

/**
 * nextWorkloadChange returns after the next burst of Pod or Deployment changes the watchers see, or 5 s
 * without one, or at the deadline (performance.now() time), or at once when aborted.
 */
async function nextWorkloadChange(watchers: Watchers, deadline: number, signal: AbortSignal): Promise<void> {
  await watchers.changed(Math.max(1, Math.min(deadline - performance.now(), 5_000)), signal, [
    'Deployment',
    'Pod',
  ]);
  if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, BURST_MS));
}

/**
 * rolloutEnd waits (up to 5 minutes) until the deployment's rollout is complete (rolloutComplete: every
 * replica updated and available, no old pod left, terminating ones included) and returns when that was
 * seen (this host, ms): within BURST_MS of the watch event that completed it.
 */
async function rolloutEnd(watchers: Watchers, name: string, signal: AbortSignal): Promise<number> {
  const deadline = performance.now() + 300_000;
  while (performance.now() < deadline && !signal.aborted) {
    const deployment = watchers.current('Deployment').find((d) => d.metadata.name === name);
    if (rolloutComplete(deployment, watchers.current('Pod'))) return Date.now();
    await nextWorkloadChange(watchers, deadline, signal);
  }
  return Date.now();
}

/**
 * restartsOf counts container restarts per loaded variant from the pods that exist now, with causes:
 * liveness from the kubelet's Killing events ("failed liveness probe"), oom and error from each
 * container's last termination, chaos from container-kill targets, eviction from evicted pods.
 */
async function restartsOf(
  kube: Kube,
  namespace: string,
  variants: string[],
  obs: RunObservations,
): Promise<RestartCounts[]> {
  const pods = (await kube.core.listNamespacedPod({ namespace })).items;
  const events = (await kube.core.listNamespacedEvent({ namespace })).items;
  const variantOfPod = (name: string) =>
    pods.find((p) => p.metadata?.name === name)?.metadata?.labels?.[LABELS.variant] ??
    variants.find((v) => name.startsWith(`${v}-`));
  const counts = new Map<string, RestartCounts>(
    variants.map((v) => [
      v,
      {
        variant: v,
        total: 0,
        byCause: Object.fromEntries(RESTART_CAUSES.map((c) => [c, 0])) as RestartCounts['byCause'],
      },
    ]),
  );
  for (const pod of pods) {
    const c = counts.get(pod.metadata?.labels?.[LABELS.variant] ?? '');
    if (!c) continue;
    if (pod.status?.reason === 'Evicted') c.byCause.eviction++;
    for (const status of pod.status?.containerStatuses ?? []) {
      c.total += status.restartCount;
      const last = status.lastState?.terminated?.reason;
      if (last === 'OOMKilled') c.byCause.oom++;
    }
  }
  for (const event of events) {
    if (event.reason !== 'Killing' || !/liveness probe/i.test(event.message ?? '')) continue;
    const c = counts.get(variantOfPod(event.involvedObject.name ?? '') ?? '');
    if (c) c.byCause.liveness += event.count ?? 1;
  }
  for (const fault of obs.faults)
    if (fault.action === 'container-kill' && fault.state === 'injected') {
      const variant = variants.find((v) => fault.name.endsWith(`-${v}`));
      const c = counts.get(variant ?? '');
      if (c) c.byCause.chaos++;
    }
  for (const c of counts.values())
    c.byCause.error = Math.max(0, c.total - c.byCause.liveness - c.byCause.oom - c.byCause.chaos);
  return [...counts.values()];
}

/**
 * ensureNodePortsFree: the loaded Services use the NodePorts kind-config.yaml maps to 127.0.0.1, so a run
 * cannot start while another namespace holds one (another run, or one still terminating).
 */
async function ensureNodePortsFree(kube: Kube, objects: readonly KubernetesObject[]): Promise<void> {
  const wanted = new Set(
    objects.flatMap((o) =>
      o.kind === 'Service'
        ? ((o as { spec?: { ports?: { nodePort?: number }[] } }).spec?.ports ?? []).map((p) => p.nodePort)
        : [],
    ),
  );
  const holders = (await kube.core.listServiceForAllNamespaces()).items.flatMap((svc) =>
    (svc.spec?.ports ?? [])
      .filter((p) => p.nodePort !== undefined && wanted.has(p.nodePort))
      .map((p) => `${p.nodePort} (Service ${svc.metadata?.namespace}/${svc.metadata?.name})`),
  );
  if (holders.length)
    throw new UserError(
      `NodePort(s) ${holders.join(', ')} already in use; another run is going on or has not finished its cleanup. Wait for it, or remove what runs left with \`npm run probelab -- clean\``,
    );
}

function sleepUntil(epochMs: number, signal: AbortSignal): Promise<void> {
  return sleep(Math.max(0, epochMs - Date.now()), signal);
}

/** reportProgress calls back once a second with a snapshot; the returned function stops it. */
function reportProgress(
  callback: (snapshot: ProgressSnapshot) => void,
  source: {
    load: LoadRun;
    loadStartMs: number;
    stages: ReturnType<typeof planStages>;
    observations: () => readonly Observation[];
    chaosActive: (nowMs: number) => string[];
  },
): () => void {
  const replicas = new Map<string, ReplicaState>();
  let seen = 0;
  let previous: { atMs: number; live: LiveCounters[] } | undefined;
  const timer = setInterval(() => {
    const all = source.observations();
    updateReplicas(replicas, all.slice(seen).filter(isObjectRecord));
    seen = all.length;
    const nowMs = Date.now();
    const live = source.load.live();
    callback(
      progressSnapshot({
        nowMs,
        loadStartMs: source.loadStartMs,
        stages: source.stages,
        live,
        previous,
        replicas: [...replicas.values()],
        chaosActive: source.chaosActive(nowMs),
      }),
    );
    previous = { atMs: nowMs, live };
  }, PROGRESS_INTERVAL_MS);
  return () => clearInterval(timer);
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((i) => !test(i))];
}

/** writeEvents saves the namespace's events as the apiserver lists them (no Secret data is in events). */
async function writeEvents(kube: Kube, namespace: string, file: string): Promise<void> {
  const events = (await kube.core.listNamespacedEvent({ namespace })).items;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(events, null, 1)}\n`);
}

function indent(out: Env['out']): Env['out'] {
  return { write: (text: string) => out.write(text.replace(/^(?=.)/gm, '    ')) };
}
