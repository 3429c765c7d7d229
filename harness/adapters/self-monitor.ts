/**
 * The harness measuring itself over a run: how late its event loop ran (the watchers stamp an arrival when
 * their callback runs, so a busy loop makes every arrival late by as much), its CPU time and its peak
 * memory. Reported in run.json as `harness`, so a run says how far its own stamps can be trusted.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { HarnessCost } from '../core/harness-cost.ts';

const RESOLUTION_MS = 100;

export function startSelfMonitor(): { stop(): HarnessCost } {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const cpu = process.cpuUsage();
  const started = performance.now();
  return {
    stop() {
      histogram.disable();
      const used = process.cpuUsage(cpu);
      // The histogram holds the intervals between its timer's runs; the lateness is what exceeds the period.
      const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10);
      return {
        eventLoopDelayMs: {
          p50: ms(histogram.percentile(50)),
          p99: ms(histogram.percentile(99)),
          max: ms(histogram.max),
        },
        cpuSeconds: Math.round((used.user + used.system) / 1e4) / 100,
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        wallSeconds: Math.round(performance.now() - started) / 1000,
      };
    },
  };
}
