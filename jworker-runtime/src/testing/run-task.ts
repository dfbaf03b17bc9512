import { randomUUID } from 'node:crypto';
import { normalizeConfig } from '../config/normalize.js';
import type { WorkerConfig } from '../config/options.js';
import type { TaskEvent } from '../wire/task-event.js';
import { runAttempt } from '../worker/attempt.js';
import type { BaseWorker } from '../worker/base-worker.js';
import { attemptHooks, hooksOf } from '../worker/hooks.js';
import { capturingLogger, recordingSink } from './capture.js';

/** Options for {@link runTask}. */
export interface RunTaskOptions {
  /** Which attempt this is (1-based); the last one (`retry.maxAttempts`) fails instead of retrying. @default 1 */
  readonly attempt?: number;
  /** The task id (`context.taskId`). @default a random UUID */
  readonly taskId?: string;
  /** `context.redelivered`. @default false */
  readonly redelivered?: boolean;
  /** Used instead of the configuration the worker was constructed with (e.g. `retry.maxAttempts`, `taskTimeoutMs`). */
  readonly config?: WorkerConfig;
  /**
   * Aborting it aborts `context.signal`, as a forced stop would; the outcome is then `retried` (delivered again), or
   * `cancelled` when the reason is a `TaskCancelledError`.
   */
  readonly signal?: AbortSignal;
}

/** What one attempt did. */
export interface RunTaskResult<TResult = unknown> {
  /**
   * What the worker would record: `completed`; `retried` (transient error, attempts left, or a forced stop);
   * `dead_lettered` (permanent, invalid payload, or the last attempt); `cancelled` (`signal` aborted with a
   * `TaskCancelledError`, as a cancel would). The words of `TaskOutcome`.
   */
  readonly outcome: 'completed' | 'retried' | 'dead_lettered' | 'cancelled';
  /** What `executeTask` returned, for `completed`. */
  readonly result?: TResult;
  /** What was thrown (or the validation / timeout error), for `retried` and `dead_lettered`. */
  readonly error?: unknown;
  /** For `dead_lettered`: why the task would go to the dead-letter queue. */
  readonly reason?: 'permanent' | 'exhausted' | 'invalid';
  /** For `retried`: the delay before the next attempt, in ms. */
  readonly retryDelayMs?: number;
  /** The task events the attempt emitted, in order (what the GraphQL endpoint would receive). */
  readonly events: TaskEvent[];
  /** The bunyan records written through `context.logger` (and `this.log(context, …)`), as JSON objects. */
  readonly logs: Record<string, unknown>[];
}

/**
 * Runs ONE attempt of a worker's task without a broker, through the same code as a real delivery: the payload is
 * JSON-encoded and decoded, validated (`validateTask` / `taskSchema`), executed, and the outcome decided by the
 * worker's `isPermanentError` and retry policy.
 *
 * @throws TypeError when `task` cannot be JSON-encoded (it could never be sent), RangeError for a bad `attempt`,
 * ConfigError when the configuration is invalid.
 * @example
 * import { runTask } from 'jworker-runtime/testing';
 * const r = await runTask(new EmailWorker({}), { to: 'a@example.com' });
 * assert.equal(r.outcome, 'completed');
 * assert.deepEqual(r.events.map((e) => e.status), ['STARTED', 'PROGRESS', 'COMPLETED']);
 */
export async function runTask<TTask, TResult>(
  worker: BaseWorker<TTask, TResult>,
  task: unknown,
  options: RunTaskOptions = {},
): Promise<RunTaskResult<TResult>> {
  const attempt = options.attempt ?? 1;
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`runTask: options.attempt must be an integer >= 1, got ${String(attempt)}`);
  }
  const payload = wireCopy(task);
  const { logger, records } = capturingLogger('jworker-test');
  const { sink, events } = recordingSink();
  const access = hooksOf<TTask, TResult>(worker);
  const hooks = attemptHooks(access, normalizeConfig(options.config ?? access.config, access.workerType()), logger, sink);

  const controller = new AbortController();
  const signal = options.signal;
  const onAbort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const outcome = await runAttempt(hooks, {
      taskId: options.taskId ?? randomUUID(),
      attempt,
      redelivered: options.redelivered ?? false,
      payload,
      controller,
    });
    switch (outcome.status) {
      case 'completed':
        return { outcome: 'completed', result: outcome.result, events, logs: records };
      case 'retried':
        return { outcome: 'retried', error: outcome.error, retryDelayMs: outcome.delayMs, events, logs: records };
      case 'dead_lettered':
        return { outcome: 'dead_lettered', error: outcome.error, reason: outcome.reason, events, logs: records };
      case 'cancelled':
        return { outcome: 'cancelled', error: outcome.error, events, logs: records };
      case 'abandoned':
        // A forced stop records nothing: the broker delivers the task again.
        return { outcome: 'retried', error: outcome.error, events, logs: records };
      default: {
        const exhaustive: never = outcome;
        throw new Error(`unknown attempt outcome ${String(exhaustive)}`);
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The payload as the worker would receive it from the broker: JSON-encoded, then parsed. */
function wireCopy(task: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(task);
  } catch (error) {
    throw new TypeError(`runTask: the task cannot be JSON-encoded, so it could never be sent to a worker: ${String(error)}`, {
      cause: error,
    });
  }
  if (text === undefined) {
    throw new TypeError(`runTask: the task (${typeof task}) has no JSON form, so it could never be sent to a worker; pass an object`);
  }
  return JSON.parse(text) as unknown;
}
