/**
 * A run is an ordered list of named steps with visible status (kind's model). Each step prints a start
 * line and an end line with its duration and outcome; a step may end as a warning without failing the
 * run. The first failure stops the list and is rethrown unchanged.
 */
import type { Output } from '../core/ports.ts';

export interface StepContext {
  signal: AbortSignal;
  /** note adds a detail line under the running step. */
  note: (text: string) => void;
}

export interface Step {
  name: string;
  /** run returns an optional one-line result shown on the step's end line. */
  run: (ctx: StepContext) => Promise<string | void>;
}

export class StepWarning extends Error {}

export interface StepReport {
  name: string;
  outcome: 'ok' | 'warning' | 'failed' | 'skipped';
  durationMs: number;
  detail?: string;
}

export async function runSteps(
  steps: readonly Step[],
  out: Output,
  signal: AbortSignal,
  now: () => number = () => performance.now(),
): Promise<StepReport[]> {
  const reports: StepReport[] = [];
  for (const [index, step] of steps.entries()) {
    if (signal.aborted) {
      for (const rest of steps.slice(index))
        reports.push({ name: rest.name, outcome: 'skipped', durationMs: 0 });
      throw signal.reason ?? new Error('aborted');
    }
    const started = now();
    out.write(`• ${step.name} …\n`);
    const seconds = () => ((now() - started) / 1000).toFixed(1);
    try {
      const detail = await step.run({ signal, note: (text) => out.write(`    ${text}\n`) });
      out.write(`✓ ${step.name} (${seconds()}s)${detail ? `: ${detail}` : ''}\n`);
      reports.push({
        name: step.name,
        outcome: 'ok',
        durationMs: now() - started,
        ...(detail ? { detail } : {}),
      });
    } catch (error) {
      if (error instanceof StepWarning) {
        out.write(`! ${step.name} (${seconds()}s): ${error.message}\n`);
        reports.push({
          name: step.name,
          outcome: 'warning',
          durationMs: now() - started,
          detail: error.message,
        });
        continue;
      }
      out.write(`✗ ${step.name} (${seconds()}s)\n`);
      reports.push({ name: step.name, outcome: 'failed', durationMs: now() - started });
      throw error;
    }
  }
  return reports;
}

/**
 * sleep waits ms, rejecting with the signal's reason as soon as it aborts. Without a signal it always
 * waits (teardown passes none, so a removal still waits after an abort).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!signal) return void setTimeout(resolve, ms);
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}
