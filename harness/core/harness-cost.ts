/** HarnessCost: what the harness process itself cost over a run (measured by adapters/self-monitor.ts). */
export interface HarnessCost {
  /** eventLoopDelayMs: how late a 100 ms timer ran (perf_hooks.monitorEventLoopDelay, ns, rounded to 0.1 ms): a sample of the loop's lateness every 100 ms, which costs about 0.1% of a core (every 10 ms cost 0.7%). */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** cpuSeconds: user + system CPU of this process over the run (process.cpuUsage, µs). */
  cpuSeconds: number;
  /** peakRssMb: the process's largest resident set so far (getrusage maxrss, KB). */
  peakRssMb: number;
  /** wallSeconds: the span measured (this host, monotonic). */
  wallSeconds: number;
}
