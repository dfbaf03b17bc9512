import type { EventEmitter } from 'node:events';
import type Logger from 'bunyan';
import type { ResolvedConfig } from '../config/normalize.js';
import { errorMessage } from '../errors/message.js';
import { isoNow } from '../log/iso-clock.js';
import { redact } from '../log/mask.js';
import { tracingInactive } from '../tracing/global.js';
import { type AttemptSpan, ProcessSpan, type SpanEnd, UNTRACED } from '../tracing/process-span.js';
import type { Delivery } from '../transport/delivery.js';
import { HEADERS, parseAttemptHeader } from '../wire/headers.js';
import { queueNames } from '../wire/names.js';
import { replyPatterns, replyToProblem } from '../wire/reply.js';
import { type AttemptHooks, type AttemptOutcome, runAttempt } from './attempt.js';
import { type Decoded, decodeDelivery } from './decode.js';
import type { InFlight } from './in-flight.js';
import { MissingQueueError, type RecordContext, recordOutcome, salvage } from './outcome.js';
import { logOutcome } from './outcome-log.js';
import { TaskAbort } from './task-abort.js';
import type { TaskOutcome, TaskRecord, WorkerEventMap } from './worker-events.js';

/** Everything a {@link DeliveryHandler} works with, all known once the worker has started. */
export interface DeliveryHandlerOptions<TTask, TResult> {
  readonly cfg: ResolvedConfig;
  readonly hooks: AttemptHooks<TTask, TResult>;
  readonly logger: Logger;
  /** Where `taskStart` and `taskEnd` go. */
  readonly events: Pick<EventEmitter<WorkerEventMap>, 'emit' | 'listenerCount'>;
  readonly inFlight: InFlight;
  /** Kept out of every error text the handler writes. */
  readonly secrets: readonly string[];
  /** One of the worker's queues is missing: declare them all again. */
  redeclare(): void;
}

/** bunyan's debug level. */
const DEBUG = 20;

/** At most this many causes of unroutable replies are logged, one line each. */
const MAX_UNROUTABLE_CAUSES = 100;

/**
 * Handles each delivery from arrival to ack: decode it, check its reply queue, run the attempt, record the outcome on
 * the broker, log the end line and emit `taskEnd`. A delivery that hits an error outside the attempt is salvaged to the
 * dead-letter queue; nothing is left unacked.
 */
export class DeliveryHandler<TTask, TResult> {
  readonly #cfg: ResolvedConfig;
  readonly #hooks: AttemptHooks<TTask, TResult>;
  readonly #logger: Logger;
  readonly #events: Pick<EventEmitter<WorkerEventMap>, 'emit' | 'listenerCount'>;
  readonly #inFlight: InFlight;
  readonly #record: RecordContext;
  readonly #replyAllowed: (name: string) => boolean;
  /** Causes of unroutable replies already logged. */
  readonly #unroutable = new Set<string>();

  constructor(options: DeliveryHandlerOptions<TTask, TResult>) {
    this.#cfg = options.cfg;
    this.#hooks = options.hooks;
    this.#logger = options.logger;
    this.#events = options.events;
    this.#inFlight = options.inFlight;
    const { secrets } = options;
    this.#record = {
      names: queueNames(options.cfg.queue),
      workerType: options.hooks.workerType,
      text: (error) => redact(errorMessage(error), secrets),
      unroutableReply: (replyTo) => this.#unroutableReply(replyTo),
      missingQueue: (queue) => {
        this.#logger.error(
          { queue },
          'a copy sent to %s reached no queue: it was deleted while the worker ran. Declaring the queues again; the task will be delivered again.',
          queue,
        );
        options.redeclare();
      },
    };
    this.#replyAllowed = replyPatterns(options.cfg.replyToAllow);
  }

  /** Takes one delivery; its work goes on asynchronously. Never throws. */
  handle(delivery: Delivery): void {
    this.#inFlight.enter();
    void this.#handle(delivery);
  }

  /** A reply came back unroutable: logged once per cause (a direct reply-to caller gone, a missing reply queue). */
  #unroutableReply(replyTo: string): void {
    const cause = replyTo.startsWith('amq.rabbitmq.reply-to.') ? 'direct reply-to' : replyTo;
    if (this.#unroutable.has(cause) || this.#unroutable.size > MAX_UNROUTABLE_CAUSES) return;
    this.#unroutable.add(cause);
    const more = this.#unroutable.size > MAX_UNROUTABLE_CAUSES ? ' (further causes are not logged)' : '';
    this.#logger.warn(
      { replyTo: cause },
      cause === 'direct reply-to'
        ? `a reply to direct reply-to reached nobody: its caller was gone (disconnected or timed out); logged once${more}`
        : `a reply to queue ${cause} reached no queue: it does not exist; logged once for this queue${more}`,
    );
  }

  async #handle(delivery: Delivery): Promise<void> {
    const startedAt = performance.now();
    let record: TaskRecord | undefined;
    try {
      record = await this.#process(delivery, startedAt);
    } catch (error) {
      record = await this.#salvage(delivery, error, startedAt);
    }
    try {
      this.#events.emit('taskEnd', record);
    } catch (error) {
      // The outcome is already recorded: a failing listener must not make it a second one.
      this.#logger.error({ err: error, taskId: record.taskId }, 'a taskEnd listener threw: %s', this.#record.text(error));
    } finally {
      this.#inFlight.leave();
    }
  }

  /** Decodes the delivery and runs its attempt inside the attempt's span. Not async: no extra promise per task. */
  #process(delivery: Delivery, startedAt: number): Promise<TaskRecord> {
    const cfg = this.#cfg;
    const { properties, fields, content } = delivery.message;
    const decoded = decodeDelivery({ content, messageId: properties.messageId, headers: properties.headers }, cfg.maxMessageBytes);
    // No OpenTelemetry registration in the process (most workers): no span, not even a no-op one.
    if (tracingInactive()) return this.#attempt(delivery, decoded, UNTRACED, startedAt);
    const span = new ProcessSpan({
      queue: cfg.queue,
      taskId: decoded.taskId,
      attempt: decoded.attempt,
      maxAttempts: cfg.retry.maxAttempts,
      workerType: this.#hooks.workerType,
      headers: properties.headers,
      routingKey: fields.routingKey,
      deliveryTag: fields.deliveryTag,
      redelivered: fields.redelivered,
      bodySize: content.length,
    });
    const done = span.run(() => this.#attempt(delivery, decoded, span, startedAt));
    if (span.ids === undefined) return done;
    // An error outside the attempt (salvaged by the caller) still ends a recording span.
    return done.catch((error: unknown) => {
      span.end({ outcome: 'dead_lettered', reason: 'internal', error });
      throw error;
    });
  }

  /** One attempt inside its span: run it (or refuse the message), record the outcome, log the end line. */
  async #attempt(delivery: Delivery, decoded: Decoded, span: AttemptSpan, startedAt: number): Promise<TaskRecord> {
    const cfg = this.#cfg;
    const { properties, fields, content } = delivery.message;
    const { taskId, attempt } = decoded;
    const requested = properties.replyTo as string | undefined;
    const replyProblem = requested ? replyToProblem(requested, cfg.queue, this.#replyAllowed) : undefined;
    const replyTo = replyProblem === undefined ? requested || undefined : undefined;
    const trace = span.ids;
    // No event object and no debug line to build when nobody reads them (most tasks of most workers).
    if (this.#events.listenerCount('taskStart') > 0) this.#events.emit('taskStart', { taskId, attempt });

    let outcome: AttemptOutcome<TResult>;
    if (decoded.ok && replyProblem === undefined) {
      const abort = new TaskAbort();
      this.#inFlight.attemptStarted(abort);
      if (this.#logger.level() <= DEBUG) this.#logger.debug({ taskId, attempt, redelivered: fields.redelivered, ...trace }, 'task started');
      try {
        outcome = await runAttempt(this.#hooks, {
          taskId,
          attempt,
          redelivered: fields.redelivered,
          payload: decoded.payload,
          controller: abort,
          serializeResult: replyTo !== undefined,
          trace,
        });
      } finally {
        this.#inFlight.attemptEnded(abort);
      }
    } else {
      const invalid = decoded.ok ? { code: 'REPLY_TO_REFUSED', message: replyProblem as string } : decoded;
      this.#hooks.sink.emit({
        taskId,
        workerType: this.#hooks.workerType,
        queue: cfg.queue,
        status: 'FAILED',
        attempt,
        maxAttempts: cfg.retry.maxAttempts,
        error: invalid.message,
        timestamp: isoNow(),
        ...(trace === undefined ? {} : { traceId: trace.trace_id }),
      });
      outcome = { status: 'dead_lettered', error: Object.assign(new Error(invalid.message), { code: invalid.code }), reason: 'invalid' };
    }

    let recorded: TaskOutcome;
    try {
      recorded = await recordOutcome(delivery, { taskId, attempt, content, properties, replyTo }, outcome, this.#record);
    } catch (error) {
      recorded = 'unrecorded';
      if (!(error instanceof MissingQueueError)) {
        this.#logger.warn(
          { taskId, attempt, err: error, ...trace },
          'could not record the outcome of task %s (the channel closed); the broker will deliver it again',
          taskId,
        );
      }
    }
    const durationMs = Math.round((performance.now() - startedAt) * 100) / 100;
    const record: TaskRecord =
      outcome.status === 'dead_lettered'
        ? { taskId, attempt, outcome: recorded, reason: outcome.reason, durationMs }
        : { taskId, attempt, outcome: recorded, durationMs };
    logOutcome(this.#logger, record, fields.redelivered, outcome, this.#record.text, trace);
    if (trace !== undefined) span.end(spanEnd(recorded, outcome));
    return record;
  }

  async #salvage(delivery: Delivery, error: unknown, startedAt: number): Promise<TaskRecord> {
    const { properties, content } = delivery.message;
    const taskId = (properties.messageId as string | undefined) || 'unknown';
    const parsed = parseAttemptHeader(properties.headers?.[HEADERS.attempt]);
    const attempt = 'attempt' in parsed ? parsed.attempt : 1;
    this.#logger.error(
      { err: error, taskId, attempt, outcome: 'dead_lettered', reason: 'internal' },
      'internal error handling task %s; moving it to the dead-letter queue: %s',
      taskId,
      this.#record.text(error),
    );
    const outcome = await salvage(delivery, { taskId, attempt, content, properties }, error, this.#record);
    const durationMs = Math.round((performance.now() - startedAt) * 100) / 100;
    return { taskId, attempt, outcome, reason: 'internal', durationMs };
  }
}

/** What the attempt's span records of its end: the recorded outcome, and the attempt's error and reason. */
function spanEnd<TResult>(recorded: TaskOutcome, outcome: AttemptOutcome<TResult>): SpanEnd {
  switch (outcome.status) {
    case 'completed':
      return { outcome: recorded };
    case 'retried':
      return { outcome: recorded, error: outcome.error, retryInMs: outcome.delayMs };
    case 'dead_lettered':
      return { outcome: recorded, error: outcome.error, reason: outcome.reason };
    case 'abandoned':
      return { outcome: recorded, error: outcome.error };
    default: {
      const exhaustive: never = outcome;
      throw new Error(`unknown outcome ${String(exhaustive)}`);
    }
  }
}
