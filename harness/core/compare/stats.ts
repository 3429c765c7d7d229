/**
 * The statistics of a comparison: the median of a side's runs and a percentile bootstrap confidence
 * interval of the difference of two medians, with a seeded generator so that the same inputs always give
 * the same interval. Pure.
 *
 * Why a bootstrap and not a rank test: repeats are few (2-5 runs a side), and an exact Mann–Whitney U test
 * cannot reach α = 0.05 at all below 4 runs a side (its smallest two-sided p is 2 / C(n1 + n2, n1): 0.33
 * for 2 + 2, 0.10 for 3 + 3), so it would call even a perfectly repeatable change inconclusive, and more
 * runs would say less than one run per side. The bootstrap interval asks the question the verdict needs —
 * is the difference larger than the spread of the runs? — at any n, at the price of being optimistic at
 * very small n (with 2 runs a side it amounts to "do the two sides' ranges overlap?"). docs/compare.md says
 * so and recommends repeat ≥ 5 for a trustworthy answer.
 */

/** BOOTSTRAP: the parameters of the interval, stated in every comparison's output. */
export const BOOTSTRAP = {
  resamples: 10_000,
  seed: 20_261_123,
  alpha: 0.05,
  generator: 'mulberry32',
} as const;

/** mulberry32: a small, fast 32-bit generator; uniform in [0, 1). Deterministic for a seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** median: the middle value, or the mean of the two middle values of an even count. */
export function median(values: readonly number[]): number {
  if (!values.length) throw new Error('internal: median of no values');
  return sortedMedian(Float64Array.from(values).sort());
}

function sortedMedian(sorted: Float64Array): number {
  const n = sorted.length;
  const mid = n >> 1;
  return n % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface Interval {
  /** estimate: median(candidate) − median(base). */
  estimate: number;
  /** low/high: the (α/2, 1 − α/2) percentiles of the resampled differences. */
  low: number;
  high: number;
  /** significant: the interval excludes 0 (two-sided test at level α). */
  significant: boolean;
}

/**
 * bootstrapMedianDifference: percentile bootstrap interval of median(candidate) − median(base), each side
 * resampled with replacement on its own, `resamples` times, from a generator seeded with `seed`.
 */
export function bootstrapMedianDifference(
  base: readonly number[],
  candidate: readonly number[],
  options: { resamples?: number; seed?: number; alpha?: number } = {},
): Interval {
  const resamples = options.resamples ?? BOOTSTRAP.resamples;
  const alpha = options.alpha ?? BOOTSTRAP.alpha;
  const estimate = median(candidate) - median(base);
  // Every resample of two constant sides gives the same difference: the interval is that point.
  if (constant(base) && constant(candidate))
    return { estimate, low: estimate, high: estimate, significant: estimate !== 0 };
  const random = mulberry32(options.seed ?? BOOTSTRAP.seed);
  const b = new Float64Array(base.length);
  const c = new Float64Array(candidate.length);
  const diffs = new Float64Array(resamples);
  const draw = (from: readonly number[], into: Float64Array) => {
    for (let i = 0; i < into.length; i++) into[i] = from[Math.floor(random() * from.length)] as number;
    return sortedMedian(into.sort());
  };
  for (let r = 0; r < resamples; r++) {
    const mb = draw(base, b);
    diffs[r] = draw(candidate, c) - mb;
  }
  diffs.sort();
  const low = diffs[Math.floor((alpha / 2) * resamples)] as number;
  const high = diffs[Math.max(0, Math.ceil((1 - alpha / 2) * resamples) - 1)] as number;
  return {
    estimate,
    low,
    high,
    significant: low > 0 || high < 0,
  };
}

function constant(values: readonly number[]): boolean {
  return values.every((v) => v === values[0]);
}
