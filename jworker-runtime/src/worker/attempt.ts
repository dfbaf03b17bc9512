import type Logger from 'bunyan';
import { errorCode, errorMessage } from '../errors/message.js';
import {
  isTaskCancelledError,
  isTaskValidationError,
  isWorkerError,
  type TaskCancelledError,
  TaskTimeoutError,
  TaskValidationError,
  WorkerError,
} from '../errors/worker-error.js';
import { isoNow } from '../log/iso-clock.js';
import { noopEventSink, type TaskEventSink } from '../progress/events.js';
import { decideRetry, isDeferral, jitteredDelayMs, type RetryPolicy } from '../retry/backoff.js';
import type { TraceIds } from '../tracing/process-span.js';
import type { TaskEvent, TaskStatus } from '../wire/task-event.js';
import { TaskAbort } from './task-abort.js';
import type { TaskContext } from './task-context.js';
import type { TaskOutcome } from './worker-events.js';

/** The parts of a worker one attempt needs. BaseWorker provides them; so does the test harness. */
export interface AttemptHooks<TTask, TResult> {
  readonly workerType: string;
  readonly queue: string;
  readonly retry: RetryPolicy;
  readonly taskTimeoutMs: number;
  readonly logger: Logger;
  /** Where task events go: the progress reporter, a recording sink in tests, or nowhere. */
  readonly sink: TaskEventSink;
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
  /**
   * Aborting it with any reason but a {@link TaskTimeoutError} abandons the attempt (forced stop). The worker passes a
   * {@link TaskAbort} (no AbortSignal unless the task reads one); an AbortController works too.
   */
  readonly controller: AbortController | TaskAbort;
  /**
   * The result will be sent as JSON (the task has a `replyTo`): serialise it here, so that a result with no JSON form
   * (a BigInt, a cycle) fails the attempt for good, with a reason, instead of failing to record.
   */
  readonly serializeResult?: boolean;
  /** Retries of this task so far that waited for a `retryAfterMs` without using up an attempt. @default 0 */
  readonly deferrals?: number;
  /** The attempt's span, when it records: the task's log lines and progress events carry its ids. */
  readonly trace?: TraceIds | undefined;
}

/** How one attempt ended: what is to be recorded (the {@link TaskOutcome} words, before they are made true). */
export type AttemptOutcome<TResult> =
  /** `resultJson` is the result as JSON, when `serializeResult` asked for it. */
  | { readonly status: 'completed'; readonly result: TResult; readonly resultJson?: string }
  /**
   * `queueDelayMs` names the retry queue; `delayMs` is the delay with jitter. `delayed`: the copy waits `delayMs` in
   * the delay buckets instead (a `retryAfterMs` longer than the backoff). `deferrals` goes on the copy.
   */
  | {
      readonly status: 'retried';
      readonly error: unknown;
      readonly delayMs: number;
      readonly queueDelayMs: number;
      readonly nextAttempt: number;
      readonly delayed: boolean;
      readonly deferrals: number;
    }
  | { readonly status: 'dead_lettered'; readonly error: unknown; readonly reason: 'permanent' | 'exhausted' | 'invalid' }
  /** Forced stop: no outcome is recorded; the broker delivers the task again. */
  | { readonly status: 'abandoned'; readonly error: unknown }
  /** Cancelled (before it started, or aborted while it ran): acked, the caller told. */
  | { readonly status: 'cancelled'; readonly error: TaskCancelledError };

/** The `retryAfterMs` of a WorkerError (also one from another copy of the package), when it is usable. */
function retryAfterOf(error: unknown): number | undefined {
  const value: unknown = isWorkerError(error) ? error.retryAfterMs : undefined;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.ceil(value) : undefined;
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
  const { taskId, attempt } = input;
  const abort = input.controller instanceof TaskAbort ? input.controller : TaskAbort.follow(input.controller);
  const { workerType, queue, sink } = hooks;
  const maxAttempts = hooks.retry.maxAttempts;
  // With reporting off, no event objects are built at all.
  const reporting = sink !== noopEventSink;
  const traced = input.trace === undefined ? undefined : { traceId: input.trace.trace_id };
  const emit = (status: TaskStatus, fields?: Partial<TaskEvent>): void => {
    const event: TaskEvent =
      fields === undefined
        ? { taskId, workerType, queue, attempt, maxAttempts, status, ...traced, timestamp: isoNow() }
        : { taskId, workerType, queue, attempt, maxAttempts, status, ...fields, ...traced, timestamp: isoNow() };
    sink.emit(event);
  };

  let task: TTask;
  try {
    const validated = hooks.validate(input.payload);
    task = validated instanceof Promise ? await validated : validated;
  } catch (error) {
    // Whatever validation throws is permanent; a code the hook gave is kept.
    const invalid = isTaskValidationError(error)
      ? error
      : new TaskValidationError([errorMessage(error)], {
          cause: error,
          ...(errorCode(error) === undefined ? {} : { code: errorCode(error) }),
        });
    if (reporting) emit('FAILED', { error: invalid.message });
    return { status: 'dead_lettered', error: invalid, reason: 'invalid' };
  }

  let finished = false;
  // Created on first use: most tasks never log through their own logger, and a bunyan child costs an object copy.
  let logger: Logger | undefined;
  const taskLogger = (): Logger => {
    logger ??= hooks.logger.child(
      input.trace === undefined ? { taskId, attempt, workerType } : { taskId, attempt, workerType, ...input.trace },
      true,
    );
    return logger;
  };
  const context: TaskContext = {
    taskId,
    attempt,
    maxAttempts,
    redelivered: input.redelivered,
    get signal() {
      return abort.signal;
    },
    get logger() {
      return taskLogger();
    },
    progress(percent, step, details) {
      if (finished || !reporting) return;
      const message = detailsText(details);
      emit('PROGRESS', {
        percent: clampPercent(percent),
        ...(step === undefined ? {} : { step }),
        ...(message === undefined ? {} : { message }),
      });
    },
  };

  if (reporting) {
    let step: string;
    try {
      step = hooks.initialStep(task);
    } catch (error) {
      step = `Starting ${workerType} task`;
      taskLogger().warn({ err: error }, 'getInitialStep threw; using a default step');
    }
    emit('STARTED', { step });
  }

  let timer: NodeJS.Timeout | undefined;
  if (hooks.taskTimeoutMs > 0) {
    timer = setTimeout(() => abort.abort(new TaskTimeoutError(hooks.taskTimeoutMs)), hooks.taskTimeoutMs);
  }
  try {
    let work: Promise<TResult>;
    try {
      work = hooks.execute(task, context);
    } catch (error) {
      // A synchronous throw fails the attempt like a rejection.
      work = Promise.reject(error);
    }
    const result = await abort.race(work);
    finished = true;
    let resultJson: string | undefined;
    if (input.serializeResult) {
      try {
        resultJson = JSON.stringify(result) ?? 'null';
      } catch (error) {
        const unsendable = new WorkerError(`the result of task ${taskId} cannot be sent as JSON: ${errorMessage(error)}`, {
          permanent: true,
          code: 'RESULT_NOT_SERIALIZABLE',
          cause: error,
        });
        if (reporting) emit('FAILED', { error: unsendable.message });
        return { status: 'dead_lettered', error: unsendable, reason: 'permanent' };
      }
    }
    if (reporting) emit('COMPLETED', { percent: 100, result });
    return resultJson === undefined ? { status: 'completed', result } : { status: 'completed', result, resultJson };
  } catch (thrown) {
    finished = true;
    const aborted = abort.aborted;
    const reason: unknown = aborted ? abort.reason : undefined;
    if (aborted && isTaskCancelledError(reason)) {
      if (reporting) emit('CANCELLED', { error: reason.message });
      return { status: 'cancelled', error: reason };
    }
    if (aborted && !(reason instanceof TaskTimeoutError)) {
      // Forced stop: record nothing, so the broker delivers the task again.
      return { status: 'abandoned', error: reason ?? thrown };
    }
    const error = aborted ? reason : thrown;
    let permanent: boolean;
    try {
      permanent = hooks.isPermanent(error, task);
    } catch (checkError) {
      taskLogger().warn({ err: checkError }, 'isPermanentError threw; treating the error as transient');
      permanent = false;
    }
    const retryAfter = retryAfterOf(error);
    const deferrals = input.deferrals ?? 0;
    if (isDeferral(hooks.retry, retryAfter, deferrals, permanent)) {
      const delayMs = retryAfter as number;
      if (reporting) {
        emit('RETRYING', {
          error: errorMessage(error),
          message: `retrying in ${delayMs} ms as the error asked (retryAfterMs); attempt ${attempt} of ${maxAttempts} is not used up`,
        });
      }
      return { status: 'retried', error, delayMs, queueDelayMs: delayMs, nextAttempt: attempt, delayed: true, deferrals: deferrals + 1 };
    }
    const decision = decideRetry(hooks.retry, attempt, permanent);
    if (decision.action === 'retry') {
      const delayMs = Math.max(jitteredDelayMs(hooks.retry, attempt), retryAfter ?? 0);
      if (reporting) {
        emit('RETRYING', {
          error: errorMessage(error),
          message: `retrying in ${delayMs} ms (attempt ${decision.nextAttempt} of ${maxAttempts})`,
        });
      }
      const delayed = delayMs > decision.delayMs;
      return { status: 'retried', error, delayMs, queueDelayMs: decision.delayMs, nextAttempt: decision.nextAttempt, delayed, deferrals };
    }
    if (reporting) emit('FAILED', { error: errorMessage(error) });
    return { status: 'dead_lettered', error, reason: decision.reason };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
