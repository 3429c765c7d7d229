/**
 * A fault session: one chaos entry of a scenario's timeline, tried on its own against the scenario's
 * workloads in a fresh run namespace — deploy, wait until ready, inject, judge, hold, remove, verify that
 * nothing remains. It answers "can this fault be injected here, and does it take effect?" before a full
 * run depends on it, and it is the smallest piece of a run that must survive an abort: the removal of
 * every chaos resource is registered before the resource is created and runs on success, failure and
 * SIGINT/SIGTERM alike (without the aborted signal, so an abort cannot cut it short).
 */
import type { Kube } from '../adapters/kube.ts';
import type { ChaosAction } from '../config/v1alpha1.ts';
import { leftoverRules, type Injection, type RuleGauges } from '../core/chaos-status.ts';
import { durationMs } from '../core/duration.ts';
import { renderManifests, type KubernetesObject } from '../core/render.ts';
import type { ScenarioModel } from '../core/model.ts';
import type { Output } from '../core/ports.ts';
import { UserError } from '../core/errors.ts';
import { daemonRuleGauges, injectChaos, listChaos, refOf, removeChaos, type ChaosRef } from './chaos-mesh.ts';
import { deleteNamespaceAndWait, waitForDeploymentsAvailable } from './cluster.ts';
import { runSteps, sleep, type StepReport } from './steps.ts';
import { TeardownStack } from './teardown.ts';

export interface FaultOptions {
  runId: string;
  /** entry is the index of the chaos entry in the scenario's timeline. */
  entry: number;
  image: string;
  nodePorts: readonly number[];
  /** holdMs: how long the fault stays once injected (default: its duration, capped at 60 s). */
  holdMs?: number;
  /** keep the run namespace afterwards (the chaos resources are removed regardless). */
  keep: boolean;
}

export interface FaultOutcome {
  action: ChaosAction['action'];
  injections: { ref: ChaosRef; injection: Injection }[];
  removals: { ref: ChaosRef; forced: boolean; neverInjected: boolean }[];
  /** leftovers: chaos resources of the run still present after removal (must be none). */
  leftovers: ChaosRef[];
  /** gaugesBefore: the daemons' network rules in the run namespace before injection (the baseline). */
  gaugesBefore?: RuleGauges;
  /** gaugesAfter: the same after removal: no active rule, and as many tc lines as the baseline. */
  gaugesAfter?: RuleGauges;
  steps: StepReport[];
  interrupted: boolean;
}

/** chaosEntriesOf lists the timeline's chaos entries as `index (action at offset)`, or "none". */
export function chaosEntriesOf(model: ScenarioModel): string {
  return (
    model.scenario.timeline
      .map((a, i) => ('mode' in a ? `${i} (${a.action} at ${a.at})` : undefined))
      .filter(Boolean)
      .join(', ') || 'none'
  );
}

export async function tryFault(
  kube: Kube,
  model: ScenarioModel,
  options: FaultOptions,
  out: Output,
  signal: AbortSignal,
): Promise<FaultOutcome> {
  const action = model.scenario.timeline[options.entry];
  if (!action || !('mode' in action))
    throw new UserError(
      `timeline[${options.entry}]: not a chaos entry; chaos entries of this scenario: ${chaosEntriesOf(model)}`,
    );
  const rendered = renderManifests(model, options);
  const timelineObjects = rendered.timeline[options.entry]?.objects ?? [];
  const namespace = rendered.namespace;
  const teardown = new TeardownStack();
  const outcome: FaultOutcome = {
    action: action.action,
    injections: [],
    removals: [],
    leftovers: [],
    steps: [],
    interrupted: false,
  };
  const holdMs = options.holdMs ?? Math.min('duration' in action ? durationMs(action.duration) : 0, 60_000);

  const removeAll = async () => {
    for (const object of [...timelineObjects].reverse()) {
      const removal = await removeChaos(kube, refOf(object));
      if (!outcome.removals.some((r) => r.ref.name === removal.ref.name)) outcome.removals.push(removal);
    }
  };

  try {
    outcome.steps = await runSteps(
      [
        {
          name: `Deploy ${model.deployments.map((d) => d.name).join(', ')} into ${namespace}`,
          run: async () => {
            if (!options.keep)
              teardown.defer(`delete namespace ${namespace}`, () => deleteNamespaceAndWait(kube, namespace));
            await kube.apply(rendered.objects);
            return `${rendered.objects.length} objects`;
          },
        },
        {
          name: 'Wait until every deployment is available',
          run: (ctx) => waitForDeploymentsAvailable(kube, namespace, ctx, 180_000),
        },
        {
          name: `Inject ${action.action} (timeline[${options.entry}], at ${action.at})`,
          run: async (ctx) => {
            outcome.gaugesBefore = await daemonRuleGauges(kube, namespace);
            // Teardown runs last-in-first-out: remove the faults, then read the rules they left, then
            // (unless kept) delete the namespace.
            teardown.defer('read the network rules left in the run pods', async () => {
              outcome.gaugesAfter = await daemonRuleGauges(kube, namespace);
            });
            teardown.defer('remove the chaos resources', removeAll);
            for (const object of timelineObjects) {
              const result = await injectChaos(kube, object as KubernetesObject, action.action, ctx);
              outcome.injections.push({ ref: result.ref, injection: result.injection });
              const i = result.injection;
              ctx.note(
                `${result.ref.name}: ${i.state === 'injected' ? `injected into ${i.targets.join(', ')}${i.at ? ` at ${i.at} (controller clock, 1 s)` : ''}` : i.state === 'failing' ? `${i.reason} (${i.detail})` : `still pending: ${i.detail}`}`,
              );
            }
            const notInjected = outcome.injections.filter((i) => i.injection.state !== 'injected');
            return notInjected.length
              ? `${notInjected.length} of ${outcome.injections.length} not injected`
              : `${outcome.injections.length} resource(s) injected`;
          },
        },
        {
          name: `Hold the fault for ${(holdMs / 1000).toFixed(0)}s`,
          run: (ctx) => sleep(holdMs, ctx.signal),
        },
        {
          name: 'Remove the fault and wait for Chaos Mesh to recover it',
          run: async () => {
            await removeAll();
            const forced = outcome.removals.filter((r) => r.forced);
            const never = outcome.removals.filter((r) => r.neverInjected);
            return forced.length
              ? `${forced.length} forced (the run is dirty)`
              : never.length
                ? `${never.length} never injected: finalizer removed, its per-pod entries dropped`
                : 'recovered';
          },
        },
      ],
      out,
      signal,
    );
  } catch (error) {
    if (!signal.aborted) {
      await teardown.run();
      throw error;
    }
    outcome.interrupted = true;
  }
  // The teardown runs after an interruption too; the checks below are what proves it worked.
  const failures = await teardown.run((name, error) =>
    out.write(error ? `✗ cleanup: ${name}: ${String(error)}\n` : `✓ cleanup: ${name}\n`),
  );
  outcome.leftovers = await listChaos(kube, options.runId);
  if (failures.length)
    throw new Error(`cleanup failed: ${failures.map((f) => `${f.name}: ${String(f.error)}`).join('; ')}`);
  return outcome;
}

/** faultVerdict: ok only when every resource was injected, removed without force, and nothing remains. */
export function faultVerdict(outcome: FaultOutcome): { ok: boolean; reasons: string[] } {
  const reasons = [
    ...outcome.injections
      .filter((i) => i.injection.state !== 'injected')
      .map((i) =>
        i.injection.state === 'failing'
          ? `${i.ref.name}: ${i.injection.reason}`
          : `${i.ref.name}: not injected in time (${(i.injection as { detail: string }).detail})`,
      ),
    ...outcome.removals.filter((r) => r.forced).map((r) => `${r.ref.name}: removal was forced (dirty)`),
    ...outcome.leftovers.map((r) => `${r.kind} ${r.namespace}/${r.name} remains`),
    ...leftoverRules(outcome.gaugesBefore, outcome.gaugesAfter),
  ];
  return { ok: reasons.length === 0, reasons };
}
