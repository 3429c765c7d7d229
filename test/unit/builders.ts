/**
 * Builders for tests: a minimal valid scenario as plain data, changed per case in one place.
 * A case says only what it changes; everything else stays valid.
 */
import { stringify } from 'yaml';
import { run } from '../../harness/cli/run.ts';
import type { IO } from '../../harness/cli/io.ts';
import { loadScenario } from '../../harness/config/load.ts';
import { mergeOverrides } from '../../harness/core/merge.ts';
import type { ScenarioModel } from '../../harness/core/model.ts';
import { formatProblem } from '../../harness/core/problems.ts';

export function minimalScenario(): Record<string, unknown> {
  return {
    apiVersion: 'probelab.dev/v1alpha1',
    kind: 'Scenario',
    metadata: { name: 'unit' },
    workloads: [
      {
        name: 'web',
        replicas: 2,
        resources: { requests: { cpu: '100m', memory: '32Mi' } },
        probes: {
          readiness: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2 },
          liveness: {
            httpGet: { path: '/livez', port: 'http' },
            periodSeconds: 5,
            timeoutSeconds: 2,
            failureThreshold: 3,
          },
        },
      },
    ],
    load: { workload: 'web', stages: [{ rps: 10, duration: '60s' }] },
  };
}

/** scenarioWith merges changes into the minimal scenario (null removes a key) and returns YAML text. */
export function scenarioWith(changes: Record<string, unknown>): string {
  return stringify(mergeOverrides(minimalScenario(), changes));
}

/** workloadWith changes the first workload of the minimal scenario. */
export function workloadWith(changes: Record<string, unknown>, rest: Record<string, unknown> = {}): string {
  const scenario = minimalScenario();
  const [web] = scenario.workloads as Record<string, unknown>[];
  return stringify({
    ...(mergeOverrides(scenario, rest) as object),
    workloads: [mergeOverrides(web, changes)],
  });
}

/** modelOf loads text that must be valid, failing the test with the problems otherwise. */
export function modelOf(text: string): ScenarioModel {
  const result = loadScenario(text);
  if (!result.model)
    throw new Error(
      `expected a valid scenario:\n${result.problems.map((p) => formatProblem('test', p)).join('\n')}`,
    );
  return result.model;
}

/** problemsOf returns the formatted problems of text, as `validate` prints them. */
export function problemsOf(text: string, file = 'test.yaml'): string[] {
  return loadScenario(text).problems.map((p) => formatProblem(file, p));
}

/** runCli runs the CLI as a function: argv in, exit code and output out, nothing touching the real process. */
export async function runCli(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: IO = {
    stdout: { write: (s) => void (stdout += s) },
    stderr: { write: (s) => void (stderr += s) },
    cwd,
    env: {},
    signal: new AbortController().signal,
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}
