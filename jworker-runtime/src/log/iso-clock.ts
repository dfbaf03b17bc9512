let lastMs = Number.NaN;
let lastIso = '';

/**
 * `new Date().toISOString()`, formatted at most once per millisecond: a busy worker stamps many task events in the
 * same millisecond, and formatting a date costs about a microsecond.
 */
export function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}
