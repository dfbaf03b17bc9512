/** AMQP headers jworker reads and writes. Part of the wire contract (docs/protocol.md). */
export const HEADERS = {
  /** 1-based attempt number of this delivery; absent means 1. */
  attempt: 'x-jworker-attempt',
  /** The last attempt's error message, on retry copies. */
  lastError: 'x-jworker-last-error',
  /** Dead letters: why the task failed. */
  error: 'x-jworker-error',
  /** Dead letters: a short code (PERMANENT, EXHAUSTED, INVALID_JSON, INVALID_TASK, TOO_LARGE, TOO_DEEP, BAD_HEADER, UNSAFE_KEYS, or the error's own code). */
  errorCode: 'x-jworker-error-code',
  /** Dead letters: attempts made. */
  attempts: 'x-jworker-attempts',
  /** Dead letters: the worker type that gave up. */
  workerType: 'x-jworker-worker-type',
  /** Dead letters: ISO 8601 time of the failure. */
  failedAt: 'x-jworker-failed-at',
  /** Dead letters: why the task was dead-lettered, a {@link DeadLetterReason}. */
  reason: 'x-jworker-reason',
  /** Delayed tasks: the task must not start before this time, in epoch milliseconds (docs/scheduling.md). */
  notBefore: 'x-jworker-not-before',
  /** Delayed tasks from producers without a clock to trust: wait this many ms from the first arrival at a worker. */
  delayMs: 'x-jworker-delay-ms',
  /** Retries that waited for a `retryAfterMs` (they do not use up an attempt), counted on each copy. */
  deferrals: 'x-jworker-deferrals',
  /** Cancel requests: when the cancel was asked for, in epoch milliseconds. */
  cancelledAt: 'x-jworker-cancelled-at',
  /** Cancel stream: a worker's marker, read back to know it has read everything before it. */
  marker: 'x-jworker-marker',
} as const;

/**
 * Why a task was dead-lettered (the `x-jworker-reason` header): a permanent error, out of attempts, a message that
 * can never be a task (unreadable, unsafe, refused), or an internal error of the runtime while handling it.
 */
export type DeadLetterReason = 'permanent' | 'exhausted' | 'invalid' | 'internal';

/** Reads the attempt header: a positive integer, or absent (attempt 1). Returns an error message for anything else. */
export function parseAttemptHeader(value: unknown): { attempt: number } | { problem: string } {
  if (value === undefined || value === null) return { attempt: 1 };
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\d+$/.test(value)) n = Number(value);
  else if (typeof value === 'bigint') n = Number(value);
  if (n === undefined || !Number.isSafeInteger(n) || n < 1) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 50)) : typeof value;
    return { problem: `header ${HEADERS.attempt} must be a positive integer, got ${shown}` };
  }
  return { attempt: n };
}
