/** A rate limit, resolved: at most `count` task starts per `periodMs`. */
export interface RateLimit {
  readonly count: number;
  readonly periodMs: number;
}

const PERIODS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000 };

/** Reads `20/s`, `600/m`, `1000/h` (spaces allowed); undefined for anything else. */
export function parseRateLimit(text: string): RateLimit | undefined {
  const match = /^\s*(\d{1,9})\s*\/\s*([smh])\s*$/.exec(text);
  if (!match) return undefined;
  const count = Number(match[1]);
  const periodMs = PERIODS[match[2] as string] as number;
  return count >= 1 ? { count, periodMs } : undefined;
}
