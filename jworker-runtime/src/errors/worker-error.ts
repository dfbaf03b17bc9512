/** Options for {@link WorkerError}. */
export interface WorkerErrorOptions {
  /**
   * True when retrying cannot help (bad input, a missing record): the task goes straight to the dead-letter queue.
   * @default false
   */
  readonly permanent?: boolean;
  /** A short machine-readable code, carried into results, dead-letter headers and progress events. */
  readonly code?: string;
  /** The error that caused this one. */
  readonly cause?: unknown;
  /**
   * Run the task again no sooner than this many ms from now, instead of after the backoff delay (an HTTP 429 or 503
   * with `Retry-After`: see {@link retryAfterMs}). Such a retry does not use up an attempt (docs/retries.md).
   * Ignored with `permanent: true`, and when not a finite number >= 0.
   */
  readonly retryAfterMs?: number | undefined;
}

/**
 * The error a worker throws to say how a task failed. `permanent: true` stops retries; `retryAfterMs` says when to try
 * again.
 *
 * @example
 * throw new WorkerError(`no user ${task.userId}`, { permanent: true, code: 'USER_NOT_FOUND' });
 * throw new WorkerError('rate limited (429)', { retryAfterMs: retryAfterMs(response.headers.get('retry-after')) ?? 60_000 });
 */
export class WorkerError extends Error {
  override name: string = 'WorkerError';
  /** True when retrying cannot help. */
  readonly permanent: boolean;
  /** A short machine-readable code, if one was given. */
  readonly code: string | undefined;
  /** The least wait before the next attempt, in ms, if one was given (a whole, finite number >= 0). */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: WorkerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.permanent = options.permanent ?? false;
    this.code = options.code;
    const after = options.retryAfterMs;
    this.retryAfterMs = typeof after === 'number' && Number.isFinite(after) && after >= 0 ? Math.ceil(after) : undefined;
  }
}

/**
 * True for a {@link WorkerError}, also one thrown by another copy of this package
 * (checked by `name` and shape, not only `instanceof`).
 */
export function isWorkerError(error: unknown): error is WorkerError {
  if (error instanceof WorkerError) return true;
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'WorkerError' &&
    typeof (error as { permanent?: unknown }).permanent === 'boolean'
  );
}

/** Thrown when a task's payload fails `validateTask` or `taskSchema`. Always permanent. */
export class TaskValidationError extends WorkerError {
  override name = 'TaskValidationError' as const;
  /** One line per problem found, e.g. `email: expected a string`. */
  readonly issues: readonly string[];

  constructor(issues: readonly string[], options: { cause?: unknown; code?: string } = {}) {
    super(`task failed validation: ${issues.join('; ')}`, { permanent: true, code: options.code ?? 'INVALID_TASK', cause: options.cause });
    this.issues = issues;
  }
}

/** True for a {@link TaskValidationError}, also from another copy of this package. */
export function isTaskValidationError(error: unknown): error is TaskValidationError {
  return error instanceof TaskValidationError || (isWorkerErrorLike(error) && (error as { name?: unknown }).name === 'TaskValidationError');
}

function isWorkerErrorLike(error: unknown): boolean {
  return typeof error === 'object' && error !== null && typeof (error as { permanent?: unknown }).permanent === 'boolean';
}

/** Thrown by {@link loadConfig} and by `worker.start()` for options given in code: lists every invalid setting at once. */
export class ConfigError extends Error {
  override name = 'ConfigError' as const;
  /** One line per invalid setting, each naming the setting, its value and what was expected. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid jworker configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** Thrown when a task attempt runs past `taskTimeoutMs`. A timeout is a transient failure. */
export class TaskTimeoutError extends WorkerError {
  override name = 'TaskTimeoutError' as const;
  constructor(timeoutMs: number) {
    super(`task timed out after ${timeoutMs} ms (taskTimeoutMs)`, { permanent: false, code: 'TASK_TIMEOUT' });
  }
}

/** Rejected by `TaskClient.call` when the worker reports that the task failed. */
export class TaskFailedError extends Error {
  override name: string = 'TaskFailedError';
  readonly taskId: string;
  readonly code: string | undefined;
  readonly permanent: boolean;
  constructor(taskId: string, error: { message: string; code?: string | undefined; permanent: boolean }) {
    super(error.message);
    this.taskId = taskId;
    this.code = error.code;
    this.permanent = error.permanent;
  }
}

/**
 * A task was cancelled (`TaskClient.cancel`, `jworker cancel`): the reason `context.signal` aborts with while it runs,
 * and what `TaskClient.call` rejects with. Code `CANCELLED`.
 *
 * @example
 * await fetch(url, { signal: context.signal }); // rejects with a TaskCancelledError once the task is cancelled
 */
export class TaskCancelledError extends TaskFailedError {
  override name = 'TaskCancelledError' as const;
  constructor(taskId: string) {
    super(taskId, { message: `task ${taskId} was cancelled`, code: 'CANCELLED', permanent: true });
  }
}

/** True for a {@link TaskCancelledError}, also one from another copy of this package. */
export function isTaskCancelledError(error: unknown): error is TaskCancelledError {
  return error instanceof TaskCancelledError || (error instanceof Error && error.name === 'TaskCancelledError');
}
