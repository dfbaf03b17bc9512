import { HEADERS } from './headers.js';

/** The smallest delay bucket: 2^7 ms. Shorter remaining delays use it with a per-message TTL. */
const MIN_BUCKET_EXPONENT = 7;
/** The largest: 2^31 ms (24.8 days). Longer delays take more than one hop through it. */
const MAX_BUCKET_EXPONENT = 31;

/**
 * Every delay bucket, in ms: 2^7 (128 ms) to 2^31 (24.8 days), 25 queues `<queue>.delay.<ms>` at most, whatever the
 * delays asked for. Each bucket has one queue-level TTL, so its messages expire in arrival order and none waits behind
 * a longer one (a per-message TTL in one queue would block behind the head).
 */
export const DELAY_BUCKETS_MS: readonly number[] = Array.from(
  { length: MAX_BUCKET_EXPONENT - MIN_BUCKET_EXPONENT + 1 },
  (_, i) => 2 ** (MIN_BUCKET_EXPONENT + i),
);

/** Where a message that must wait `remainingMs` more goes next. */
export interface DelayHop {
  /** The bucket: the largest one no longer than the remaining delay (the smallest when the delay is shorter). */
  readonly bucketMs: number;
  /** A per-message TTL, only below the smallest bucket: it waits at most one small bucket's time behind another. */
  readonly expirationMs?: number;
}

/**
 * The next hop of a delayed message (pure). Each hop at least halves the remaining delay, so a 30-day delay takes at
 * most ~25 hops, each a pass through the work queue; the message never returns before its time.
 */
export function nextDelayHop(remainingMs: number): DelayHop {
  const smallest = DELAY_BUCKETS_MS[0] as number;
  if (remainingMs < smallest) return { bucketMs: smallest, expirationMs: Math.max(1, Math.ceil(remainingMs)) };
  const exponent = Math.min(MAX_BUCKET_EXPONENT, Math.floor(Math.log2(remainingMs)));
  return { bucketMs: 2 ** exponent };
}

/**
 * When a message may run, from its headers: `x-jworker-not-before` (epoch ms, a number or a string of digits), else
 * `x-jworker-delay-ms` (ms, counted from `now`, the first arrival at a worker), else undefined (run now). Returns a
 * problem for a value that is neither, so the message is refused rather than run early.
 */
export function parseNotBefore(
  headers: Readonly<Record<string, unknown>> | undefined,
  now: number,
): { notBefore: number | undefined } | { problem: string } {
  const absolute = headers?.[HEADERS.notBefore];
  if (absolute !== undefined && absolute !== null) {
    const ms = wholeNumber(absolute);
    return ms === undefined ? { problem: badHeader(HEADERS.notBefore, absolute, 'epoch milliseconds') } : { notBefore: ms };
  }
  const relative = headers?.[HEADERS.delayMs];
  if (relative !== undefined && relative !== null) {
    const ms = wholeNumber(relative);
    return ms === undefined ? { problem: badHeader(HEADERS.delayMs, relative, 'milliseconds') } : { notBefore: now + ms };
  }
  return { notBefore: undefined };
}

function wholeNumber(value: unknown): number | undefined {
  let n: number | undefined;
  if (typeof value === 'number') n = Math.round(value);
  else if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string' && /^\d{1,16}$/.test(value.trim())) n = Number(value.trim());
  return n !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function badHeader(name: string, value: unknown, expected: string): string {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 50)) : typeof value;
  return `header ${name} must be a whole number of ${expected}, got ${shown}`;
}

/** When a task may start, as a producer asks for it. */
export interface Schedule {
  /** Start no sooner than this many ms from now. */
  readonly delayMs?: number | undefined;
  /** Start no sooner than this time. */
  readonly notBefore?: Date | undefined;
}

/**
 * The `x-jworker-not-before` value (epoch ms) for a schedule, or undefined when the task may start now.
 * @throws RangeError for a negative or non-finite `delayMs`, an invalid `notBefore`, or both given.
 */
export function notBeforeOf(schedule: Schedule, now: number): number | undefined {
  const { delayMs, notBefore } = schedule;
  if (delayMs !== undefined && notBefore !== undefined) {
    throw new RangeError('give either delayMs or notBefore, not both');
  }
  if (delayMs !== undefined) {
    if (typeof delayMs !== 'number' || !Number.isFinite(delayMs) || delayMs < 0) {
      throw new RangeError(`delayMs must be a finite number of milliseconds >= 0, got ${String(delayMs)}`);
    }
    return delayMs === 0 ? undefined : now + Math.ceil(delayMs);
  }
  if (notBefore !== undefined) {
    const at = notBefore instanceof Date ? notBefore.getTime() : Number.NaN;
    if (!Number.isFinite(at)) throw new RangeError(`notBefore must be a valid Date, got ${String(notBefore)}`);
    return at > now ? at : undefined;
  }
  return undefined;
}
