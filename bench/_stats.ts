// Statistics the benchmarks share (files starting with _ are not benches: npm run bench skips them).

/** Nearest-rank percentile, p in 0..100 (NaN for no samples). Does not reorder `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

/** The lower median (the nearest-rank 50th percentile). */
export const median = (values: readonly number[]): number => percentile(values, 50);
