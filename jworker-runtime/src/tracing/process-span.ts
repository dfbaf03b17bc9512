import { type Context, context, isSpanContextValid, propagation, ROOT_CONTEXT, type Span, SpanKind, trace } from '@opentelemetry/api';
import { ATTR, jworkerTracer } from './attributes.js';
import { type HeaderCarrier, headerGetter } from './carrier.js';
import { failSpan } from './publish-span.js';

const tracer = jworkerTracer();
const CONSUMER = { kind: SpanKind.CONSUMER };

/** What the CONSUMER span of one attempt is named and tagged with. */
export interface ProcessSpanInput {
  readonly queue: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly workerType: string;
  readonly headers: HeaderCarrier | undefined;
  readonly routingKey: string;
  readonly deliveryTag: number;
  readonly redelivered: boolean;
  readonly bodySize: number;
}

/** The trace and span id of a recording span, as log lines and progress events carry them. */
export interface TraceIds {
  readonly trace_id: string;
  readonly span_id: string;
}

/** How an attempt ended, as its span records it. */
export interface SpanEnd {
  /** The recorded outcome (`completed`, `retried`, `dead_lettered`, `abandoned`, `unrecorded`). */
  readonly outcome: string;
  /** The attempt's error, for anything but a completed task. */
  readonly error?: unknown;
  readonly reason?: string;
  readonly retryInMs?: number;
}

/** An attempt's span as the worker uses it: its ids when it records, running the attempt inside it, ending it. */
export interface AttemptSpan {
  readonly ids: TraceIds | undefined;
  run<T>(fn: () => T): T;
  end(end: SpanEnd): void;
}

/** No tracing in the process: nothing to extract, start, run inside or end. */
export const UNTRACED: AttemptSpan = {
  ids: undefined,
  run: (fn) => fn(),
  end() {},
};

/**
 * The CONSUMER span `process <queue>` of one attempt, whose parent is the producer's context read from the message
 * headers (retry copies, dead letters and replays keep them, so every attempt lands in the producer's trace).
 * `ids` is undefined when the span does not record (no SDK, or not sampled): then nothing else is paid for.
 */
export class ProcessSpan implements AttemptSpan {
  readonly span: Span;
  readonly ids: TraceIds | undefined;
  /** The context to run the attempt in (user spans made inside `executeTask` become children of this one), if any. */
  readonly #context: Context | undefined;

  constructor(input: ProcessSpanInput) {
    const parent = propagation.extract(ROOT_CONTEXT, input.headers, headerGetter);
    this.span = tracer.startSpan(`process ${input.queue}`, CONSUMER, parent);
    if (!this.span.isRecording()) {
      this.ids = undefined;
      // No SDK: no context to carry. Not sampled: the decision is carried, so user spans are not sampled either.
      this.#context = isSpanContextValid(this.span.spanContext()) ? trace.setSpan(parent, this.span) : undefined;
      return;
    }
    this.#context = trace.setSpan(parent, this.span);
    const { traceId, spanId } = this.span.spanContext();
    this.ids = { trace_id: traceId, span_id: spanId };
    this.span.setAttributes({
      [ATTR.system]: 'rabbitmq',
      [ATTR.operationType]: 'process',
      [ATTR.operationName]: 'process',
      [ATTR.destination]: input.queue,
      [ATTR.routingKey]: input.routingKey,
      [ATTR.messageId]: input.taskId,
      [ATTR.deliveryTag]: input.deliveryTag,
      [ATTR.bodySize]: input.bodySize,
      [ATTR.attempt]: input.attempt,
      [ATTR.maxAttempts]: input.maxAttempts,
      [ATTR.workerType]: input.workerType,
      [ATTR.redelivered]: input.redelivered,
    });
  }

  /** Runs `fn` with this span active. */
  run<T>(fn: () => T): T {
    return this.#context === undefined ? fn() : context.with(this.#context, fn);
  }

  /** Records the outcome (an error status and the exception for anything but `completed`) and ends the span. */
  end(end: SpanEnd): void {
    if (this.ids !== undefined) {
      this.span.setAttribute(ATTR.outcome, end.outcome);
      if (end.reason !== undefined) this.span.setAttribute(ATTR.reason, end.reason);
      if (end.retryInMs !== undefined) this.span.setAttribute(ATTR.retryInMs, end.retryInMs);
      if (end.outcome !== 'completed') failSpan(this.span, end.error ?? new Error(`task ${end.outcome}`));
    }
    this.span.end();
  }
}
