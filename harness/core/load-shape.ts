/**
 * The load's timeline: each stage is a ramp (from the previous stage's rate) followed by a hold at its
 * target rate. Offsets are milliseconds from load start, the clock every timeline action uses.
 */
import type { Scenario } from '../config/v1alpha1.ts';
import { durationMs } from './duration.ts';

export interface StageWindow {
  index: number;
  rps: number;
  /** startMs is when the ramp towards this stage's rate begins. */
  startMs: number;
  /** holdStartMs is when the target rate is reached and held. */
  holdStartMs: number;
  endMs: number;
}

export function planStages(load: Scenario['load']): StageWindow[] {
  let cursor = 0;
  return load.stages.map((stage, index) => {
    const startMs = cursor;
    const holdStartMs = startMs + durationMs(stage.ramp);
    cursor = holdStartMs + durationMs(stage.duration);
    return { index, rps: stage.rps, startMs, holdStartMs, endMs: cursor };
  });
}

/** loadDurationMs is the total length of the load, ramps included. */
export function loadDurationMs(load: Scenario['load']): number {
  return planStages(load).at(-1)?.endMs ?? 0;
}
