import { type Tracer, trace } from '@opentelemetry/api';
import { VERSION } from '../version.js';

/**
 * Span attribute names: the OpenTelemetry messaging semantic conventions (v1.27 and later: `send`/`process`
 * operations, span names `<operation> <destination>`), plus jworker's own under `jworker.*` (docs/observability.md).
 */
export const ATTR = {
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  /** The work queue. jworker publishes through the default exchange, where the routing key is the queue. */
  destination: 'messaging.destination.name',
  routingKey: 'messaging.rabbitmq.destination.routing_key',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  bodySize: 'messaging.message.body.size',
  deliveryTag: 'messaging.rabbitmq.message.delivery_tag',
  errorType: 'error.type',
  attempt: 'jworker.attempt',
  maxAttempts: 'jworker.max_attempts',
  workerType: 'jworker.worker_type',
  redelivered: 'jworker.redelivered',
  outcome: 'jworker.outcome',
  reason: 'jworker.reason',
  retryInMs: 'jworker.retry_in_ms',
} as const;

/** The instrumentation scope of every jworker span. */
export const TRACER_NAME = 'jworker-runtime';

/**
 * The runtime's tracer. The API hands out a proxy that finds an SDK registered later, so it may be taken before the
 * application registers its tracer provider.
 */
export function jworkerTracer(): Tracer {
  return trace.getTracer(TRACER_NAME, VERSION);
}
