import { type Context, context, isSpanContextValid, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR, jworkerTracer } from './attributes.js';
import { headerSetter } from './carrier.js';
import { tracingInactive } from './global.js';

const tracer = jworkerTracer();

const PRODUCER = { kind: SpanKind.PRODUCER };

/**
 * Runs `publish` inside a PRODUCER span `send <queue>` (child of the caller's active span) and gives it the message
 * headers with the span's context injected (W3C `traceparent`/`tracestate` with the default propagator). Without a
 * registered SDK the span neither records nor carries a context, and `headers` comes back as given; with no
 * registration of the API at all, no span is even started: a plain function (no extra promise) on the path every task
 * of a user who does not trace takes.
 */
export function tracedPublish<T>(
  queue: string,
  taskId: string,
  headers: Readonly<Record<string, unknown>> | undefined,
  publish: (headers: Record<string, unknown> | undefined) => Promise<T>,
): Promise<T> {
  if (tracingInactive()) return publish(headers === undefined ? undefined : { ...headers });
  const active = context.active();
  const span = tracer.startSpan(`send ${queue}`, PRODUCER, active);
  const carrier = headers === undefined ? undefined : { ...headers };
  if (!span.isRecording()) {
    // Not sampled under a sampled-out parent: the decision still travels, so the consumer's spans follow it.
    if (isSpanContextValid(span.spanContext())) return publish(injected(trace.setSpan(active, span), carrier));
    return publish(carrier);
  }
  span.setAttributes({
    [ATTR.system]: 'rabbitmq',
    [ATTR.operationType]: 'send',
    [ATTR.operationName]: 'send',
    [ATTR.destination]: queue,
    [ATTR.routingKey]: queue,
    [ATTR.messageId]: taskId,
  });
  return recorded(span, () => publish(injected(trace.setSpan(active, span), carrier)));
}

/** The headers with the context's span written in by the registered propagator. */
function injected(traced: Context, carrier: Record<string, unknown> | undefined): Record<string, unknown> {
  const out = carrier ?? {};
  propagation.inject(traced, out, headerSetter);
  return out;
}

async function recorded<T>(span: Span, publish: () => Promise<T>): Promise<T> {
  try {
    return await publish();
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a span failed: error status with the message, the exception recorded, `error.type` its name or code. */
export function failSpan(span: Span, error: unknown): void {
  if (error instanceof Error) {
    span.recordException(error);
    const code = (error as { code?: unknown }).code;
    span.setAttribute(ATTR.errorType, typeof code === 'string' ? code : error.name);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  } else {
    span.setAttribute(ATTR.errorType, '_OTHER');
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
  }
}
