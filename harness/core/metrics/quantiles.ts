/** Quantile summaries by nearest rank (the same method as the load series), with n and errored. */
import { nearestRank } from '../load/series.ts';

export interface Quantiles {
  method: 'nearest-rank';
  source: string;
  /** n: samples that completed (both ends observed). */
  n: number;
  /** errored: samples of the population that never completed (not part of n). */
  errored: number;
  /** p50 … max: ms; null when n is 0 (see reason). */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  min: number | null;
  reason?: string;
}

export function quantiles(values: readonly number[], errored: number, source: string): Quantiles {
  if (values.length === 0)
    return {
      method: 'nearest-rank',
      source,
      n: 0,
      errored,
      p50: null,
      p90: null,
      p99: null,
      max: null,
      min: null,
      reason: errored ? `none of ${errored} sample(s) completed` : 'no samples',
    };
  const sorted = Float64Array.from(values).sort();
  return {
    method: 'nearest-rank',
    source,
    n: sorted.length,
    errored,
    p50: nearestRank(sorted, 0.5),
    p90: nearestRank(sorted, 0.9),
    p99: nearestRank(sorted, 0.99),
    max: sorted[sorted.length - 1] as number,
    min: sorted[0] as number,
  };
}
