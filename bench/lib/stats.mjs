// Small statistics for benchmark figures.

export function median(values) {
  return percentile(values, 50);
}

/** Nearest-rank percentile of `values` (p in 0..100); NaN for an empty list. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function min(values) {
  return values.length === 0 ? Number.NaN : Math.min(...values);
}

export function max(values) {
  return values.length === 0 ? Number.NaN : Math.max(...values);
}
