import type Logger from 'bunyan';
import { infoLine } from '../log/logger.js';
import type { TraceIds } from '../tracing/process-span.js';
import type { AttemptOutcome } from './attempt.js';
import type { TaskRecord } from './worker-events.js';

/**
 * The end line of a delivery, the one line a task writes at `info`: `info` for a completed task, `warn` for a retry or a
 * forced stop, `error` for a dead letter, each with taskId, attempt, durationMs, outcome and redelivered (and the
 * error, secrets removed by `text`), and `trace_id`/`span_id` when the attempt's span records.
 */
export function logOutcome<TResult>(
  logger: Logger,
  record: TaskRecord,
  redelivered: boolean,
  attempt: AttemptOutcome<TResult>,
  text: (error: unknown) => string,
  trace?: TraceIds,
): void {
  const { taskId, durationMs, outcome } = record;
  const fields =
    trace === undefined
      ? { taskId, attempt: record.attempt, durationMs, outcome, redelivered }
      : { taskId, attempt: record.attempt, durationMs, outcome, redelivered, ...trace };
  switch (attempt.status) {
    case 'completed':
      infoLine(logger, fields, 'task completed');
      return;
    case 'retried':
      logger.warn(
        { ...fields, err: attempt.error, retryInMs: attempt.delayMs },
        'task failed, retrying in %d ms: %s',
        attempt.delayMs,
        text(attempt.error),
      );
      return;
    case 'dead_lettered':
      logger.error(
        { ...fields, reason: attempt.reason, err: attempt.error },
        'task failed (%s), moved to the dead-letter queue: %s',
        attempt.reason,
        text(attempt.error),
      );
      return;
    case 'abandoned':
      logger.warn(fields, 'task aborted by a forced stop; it will be delivered again');
      return;
    case 'cancelled':
      infoLine(logger, fields, 'task cancelled');
      return;
    default: {
      const exhaustive: never = attempt;
      throw new Error(`unknown outcome ${String(exhaustive)}`);
    }
  }
}
