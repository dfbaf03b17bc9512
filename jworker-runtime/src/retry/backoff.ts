/** The retry policy, fully resolved (see {@link RetryOptions} for the user-facing form). */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly multiplier: number;
  readonly maxDelayMs: number;
  /** 0..1: a delay is shortened by up to this fraction, at random. */
  readonly jitter: number;
  /**
   * Retries asked for with `retryAfterMs` that do not use up an attempt; past them such a retry counts like any
   * other. Absent: no limit.
   */
  readonly maxDeferrals?: number | undefined;
}

/**
 * The delay before attempt `attempt + 1`, after attempt `attempt` (1-based) failed:
 * `min(maxDelayMs, initialDelayMs × multiplier^(attempt − 1))`, rounded to a whole millisecond.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  const raw = policy.initialDelayMs * policy.multiplier ** (attempt - 1);
  return Math.round(Math.min(policy.maxDelayMs, raw));
}

/**
 * The delay with jitter applied: uniformly in `[delay × (1 − jitter), delay]`, so the queue-level TTL
 * (the un-jittered delay) stays an upper bound and messages in one delay queue never wait long behind each other.
 */
export function jitteredDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const delay = retryDelayMs(policy, attempt);
  if (policy.jitter <= 0) return delay;
  return Math.max(0, Math.round(delay * (1 - policy.jitter * random())));
}

/** What happens after a failed attempt. */
export type RetryDecision =
  | { readonly action: 'retry'; readonly delayMs: number; readonly nextAttempt: number }
  | { readonly action: 'dead'; readonly reason: 'permanent' | 'exhausted' };

/** Pure retry decision: permanent errors and the last attempt go to the dead-letter queue, the rest are retried. */
export function decideRetry(policy: RetryPolicy, attempt: number, permanent: boolean): RetryDecision {
  if (permanent) return { action: 'dead', reason: 'permanent' };
  if (attempt >= policy.maxAttempts) return { action: 'dead', reason: 'exhausted' };
  return { action: 'retry', delayMs: retryDelayMs(policy, attempt), nextAttempt: attempt + 1 };
}

/**
 * Whether a failure that asked to wait `retryAfterMs` is deferred: retried after that wait as the same attempt, not
 * using one up (docs/retries.md), while the policy's `maxDeferrals` allows. Permanent failures are never deferred.
 */
export function isDeferral(policy: RetryPolicy, retryAfterMs: number | undefined, deferrals: number, permanent: boolean): boolean {
  if (permanent || retryAfterMs === undefined) return false;
  return policy.maxDeferrals === undefined || deferrals < policy.maxDeferrals;
}

/** Every distinct delay the policy can produce, one retry queue each. */
export function allRetryDelays(policy: RetryPolicy): number[] {
  const delays = new Set<number>();
  for (let attempt = 1; attempt < policy.maxAttempts; attempt++) delays.add(retryDelayMs(policy, attempt));
  return [...delays];
}
