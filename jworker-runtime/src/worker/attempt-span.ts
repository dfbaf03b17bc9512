import type { ResolvedConfig } from '../config/normalize.js';
import { tracingInactive } from '../tracing/global.js';
import { type AttemptSpan, ProcessSpan, type SpanEnd, UNTRACED } from '../tracing/process-span.js';
import type { Delivery } from '../transport/delivery.js';
import type { AttemptOutcome } from './attempt.js';
import type { Decoded } from './decode.js';
import type { TaskOutcome } from './worker-events.js';

/**
 * The CONSUMER span of a delivery's attempt (tracing/process-span.ts), or {@link UNTRACED} while no OpenTelemetry
 * registration exists in the process: then not even a no-op span is made.
 */
export function openAttemptSpan(delivery: Delivery, decoded: Decoded, cfg: ResolvedConfig, workerType: string): AttemptSpan {
  if (tracingInactive()) return UNTRACED;
  const { properties, fields, content } = delivery.message;
  return new ProcessSpan({
    queue: cfg.queue,
    taskId: decoded.taskId,
    attempt: decoded.attempt,
    maxAttempts: cfg.retry.maxAttempts,
    workerType,
    headers: properties.headers,
    routingKey: fields.routingKey,
    deliveryTag: fields.deliveryTag,
    redelivered: fields.redelivered,
    bodySize: content.length,
  });
}

/** What the attempt's span records of its end: the recorded outcome, and the attempt's error and reason. */
export function spanEnd<TResult>(recorded: TaskOutcome, outcome: AttemptOutcome<TResult>): SpanEnd {
  switch (outcome.status) {
    case 'completed':
      return { outcome: recorded };
    case 'retried':
      return { outcome: recorded, error: outcome.error, retryInMs: outcome.delayMs };
    case 'dead_lettered':
      return { outcome: recorded, error: outcome.error, reason: outcome.reason };
    case 'abandoned':
    case 'cancelled':
      return { outcome: recorded, error: outcome.error };
    default: {
      const exhaustive: never = outcome;
      throw new Error(`unknown outcome ${String(exhaustive)}`);
    }
  }
}
