import type Logger from 'bunyan';
import { isTaskValidationError, TaskTimeoutError, TaskValidationError } from '../errors/worker-error.js';
import type { TaskEvent, TaskEventSink, TaskStatus } from '../progress/events.js';
import { decideRetry, jitteredDelayMs, type RetryPolicy } from '../retry/backoff.js';
import type { TaskContext } from './task-context.js';

/** The parts of a worker one attempt needs. BaseWorker provides them; so does the test harness. */
export interface AttemptHooks<TTask, TResult> {
  readonly workerType: string;
  readonly queue: string;
  readonly retry: RetryPolicy;
  readonly taskTimeoutMs: number;
  readonly logger: Logger;
  readonly events: TaskEventSink;
  validate(raw: unknown): TTask | Promise<TTask>;
  execute(task: TTask, context: TaskContext): Promise<TResult>;
  isPermanent(error: unknown, task: TTask): boolean;
  initialStep(task: TTask): string;
}

export interface AttemptInput {
  readonly taskId: string;
  readonly attempt: number;
  readonly redelivered: boolean;
  readonly payload: unknown;
  /** Aborting it with any reason but a {@link TaskTimeoutError} abandons the attempt (forced stop). */
  readonly controller: AbortController;
}

/** How one attempt ended. */
export type AttemptOutcome<TResult> =
  | { readonly status: 'completed'; readonly result: TResult }
  /** `queueDelayMs` names the retry queue; `delayMs` is the delay with jitter. */
  | {
      readonly status: 'retry';
      readonly error: unknown;
      readonly delayMs: number;
      readonly queueDelayMs: number;
      readonly nextAttempt: number;
    }
  | { readonly status: 'failed'; readonly error: unknown; readonly reason: 'permanent' | 'exhausted' | 'invalid' }
  /** Forced stop: no outcome is recorded; the broker delivers the task again. */
  | { readonly status: 'abandoned'; readonly error: unknown };

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/** The code of an error, if it carries a string one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function clampPercent(percent: number): number {
  if (!Number.isFinite(percent)) return 0;
  return Math.min(100, Math.max(0, percent));
}

function detailsText(details: unknown): string | undefined {
  if (details === undefined) return undefined;
  if (typeof details === 'string') return details;
  try {
    return JSON.stringify(details);
  } catch {
    return String(details);
  }
}

/**
 * Runs one attempt of a task: validation, STARTED, executeTask under timeout and abort, then the retry decision,
 * with the task events emitted in order. Never throws.
 */
export async function runAttempt<TTask, TResult>(
  hooks: AttemptHooks<TTask, TResult>,
  input: AttemptInput,
): Promise<AttemptOutcome<TResult>> {
  const { taskId, attempt, controller } = input;
  const maxAttempts = hooks.retry.maxAttempts;
  const base = { taskId, workerType: hooks.workerType, queue: hooks.queue, attempt, maxAttempts };
  const emit = (status: TaskStatus, fields?: Partial<TaskEvent>): void => {
    hooks.events.emit({ ...base, status, ...fields, timestamp: new Date().toISOString() });
  };

  let task: TTask;
  try {
    task = await hooks.validate(input.payload);
  } catch (error) {
    // Whatever validation throws is permanent; a code the hook gave is kept.
    const invalid = isTaskValidationError(error)
      ? error
      : new TaskValidationError([errorMessage(error)], {
          cause: error,
          ...(errorCode(error) === undefined ? {} : { code: errorCode(error) }),
        });
    emit('FAILED', { error: invalid.message });
    return { status: 'failed', error: invalid, reason: 'invalid' };
  }

  let finished = false;
  const logger = hooks.logger.child({ taskId, attempt, workerType: hooks.workerType }, true);
  const context: TaskContext = {
    taskId,
    attempt,
    maxAttempts,
    redelivered: input.redelivered,
    signal: controller.signal,
    logger,
    progress(percent, step, details) {
      if (finished) return;
      const message = detailsText(details);
      emit('PROGRESS', {
        percent: clampPercent(percent),
        ...(step === undefined ? {} : { step }),
        ...(message === undefined ? {} : { message }),
      });
    },
  };

  let step: string;
  try {
    step = hooks.initialStep(task);
  } catch (error) {
    step = `Starting ${hooks.workerType} task`;
    logger.warn({ err: error }, 'getInitialStep threw; using a default step');
  }
  emit('STARTED', { step });

  let timer: NodeJS.Timeout | undefined;
  if (hooks.taskTimeoutMs > 0) {
    timer = setTimeout(() => controller.abort(new TaskTimeoutError(hooks.taskTimeoutMs)), hooks.taskTimeoutMs);
  }
  try {
    const result = await raceAbort(
      Promise.resolve().then(() => hooks.execute(task, context)),
      controller.signal,
    );
    finished = true;
    emit('COMPLETED', { percent: 100, result });
    return { status: 'completed', result };
  } catch (thrown) {
    finished = true;
    const aborted = controller.signal.aborted;
    const reason: unknown = aborted ? controller.signal.reason : undefined;
    if (aborted && !(reason instanceof TaskTimeoutError)) {
      // Forced stop: record nothing, so the broker delivers the task again.
      return { status: 'abandoned', error: reason ?? thrown };
    }
    const error = aborted ? reason : thrown;
    let permanent: boolean;
    try {
      permanent = hooks.isPermanent(error, task);
    } catch (checkError) {
      logger.warn({ err: checkError }, 'isPermanentError threw; treating the error as transient');
      permanent = false;
    }
    const decision = decideRetry(hooks.retry, attempt, permanent);
    if (decision.action === 'retry') {
      const delayMs = jitteredDelayMs(hooks.retry, attempt);
      emit('RETRYING', {
        error: errorMessage(error),
        message: `retrying in ${delayMs} ms (attempt ${decision.nextAttempt} of ${maxAttempts})`,
      });
      return { status: 'retry', error, delayMs, queueDelayMs: decision.delayMs, nextAttempt: decision.nextAttempt };
    }
    emit('FAILED', { error: errorMessage(error) });
    return { status: 'failed', error, reason: decision.reason };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
