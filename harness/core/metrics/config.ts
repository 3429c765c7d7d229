/**
 * Config propagation per config update: from the update (harness clock) until every sampled pod of the
 * variant reports the new version, with per-pod times, or "never" by the end of the run. Times are the
 * samples' (host clock, 1 ms), so the precision is the sampling interval, reported beside. A pod that was
 * deleted before it reported the new version is not waited for; a pod created after the update is
 * flagged and must report the new version too, but its delay (a startup, not a propagation) does not set
 * the figure unless no other pod reported. Pure.
 */
import { type Duration, measured, missing, SOURCES } from './common.ts';
import type { PodHistory } from './history.ts';

export interface ConfigUpdate {
  variant: string;
  atMs: number;
  version: string;
  samples: readonly { pod: string; version: string; atMs: number }[];
}

export interface PodPropagation {
  pod: string;
  /** reportedAtMs: the first sample at or after the update that reports the new version. */
  reportedAtMs: number | null;
  delay: Duration;
  createdAfterUpdate: boolean;
  /** gone: deleted before it reported the new version (not waited for). */
  gone: boolean;
}

export interface ConfigPropagation {
  variant: string;
  version: string;
  atMs: number;
  outcome: 'propagated' | 'never' | 'no-samples';
  /** propagation: update → the last pod that existed at the update reports the new version. */
  propagation: Duration;
  /** never: pods that still did not report the new version by their last sample. */
  never: string[];
  pods: PodPropagation[];
  /** samplingIntervalMs: the median gap between two samples of one pod (the figure's precision). */
  samplingIntervalMs: number | null;
  source: string;
}

export function configPropagation(update: ConfigUpdate, pods: readonly PodHistory[]): ConfigPropagation {
  const byPod = new Map<string, { version: string; atMs: number }[]>();
  for (const s of update.samples) {
    const list = byPod.get(s.pod) ?? [];
    byPod.set(s.pod, list);
    list.push(s);
  }
  const gaps: number[] = [];
  const perPod: PodPropagation[] = [...byPod.entries()].map(([pod, samples]) => {
    samples.sort((a, b) => a.atMs - b.atMs);
    for (let i = 1; i < samples.length; i++)
      gaps.push((samples[i] as { atMs: number }).atMs - (samples[i - 1] as { atMs: number }).atMs);
    const reported = samples.find((s) => s.atMs >= update.atMs && s.version === update.version);
    const history = pods.find((p) => p.name === pod);
    const createdAfterUpdate =
      history !== undefined &&
      (history.createdMs !== undefined
        ? history.createdMs >= update.atMs
        : history.firstArrivalMs > update.atMs);
    const goneAt = history?.deletionRequestedAtMs ?? history?.deletedAtMs;
    const gone = !reported && goneAt !== undefined;
    return {
      pod,
      reportedAtMs: reported?.atMs ?? null,
      delay: reported
        ? measured(reported.atMs - update.atMs, SOURCES.harness, SOURCES.sample)
        : missing(gone ? 'deleted before it reported the new version' : 'never reported the new version'),
      createdAfterUpdate,
      gone,
    };
  });
  gaps.sort((a, b) => a - b);
  const samplingIntervalMs = gaps.length ? (gaps[Math.floor((gaps.length - 1) / 2)] as number) : null;
  const base = {
    variant: update.variant,
    version: update.version,
    atMs: update.atMs,
    pods: perPod,
    samplingIntervalMs,
  };
  if (!perPod.length)
    return {
      ...base,
      outcome: 'no-samples',
      propagation: missing('no version samples of the variant'),
      never: [],
      source: SOURCES.sample,
    };
  const never = perPod.filter((p) => p.reportedAtMs === null && !p.gone).map((p) => p.pod);
  const reportedAll = perPod.filter((p) => p.reportedAtMs !== null);
  // A pod created after the update starts with the new config: its time is a startup, not a propagation.
  const running = reportedAll.filter((p) => !p.createdAfterUpdate);
  const reported = running.length ? running : reportedAll;
  return {
    ...base,
    outcome: never.length || !reported.length ? 'never' : 'propagated',
    propagation:
      never.length || !reported.length
        ? missing(
            `never: ${never.length ? never.join(', ') : 'no pod'} did not report version ${update.version} by the end of the run`,
          )
        : measured(
            Math.max(...reported.map((p) => p.reportedAtMs as number)) - update.atMs,
            SOURCES.harness,
            SOURCES.sample,
          ),
    never,
    source: SOURCES.sample,
  };
}
