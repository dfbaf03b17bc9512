import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type Logger from 'bunyan';
import type { ResolvedConfig } from '../config/normalize.js';
import { errorMessage } from '../errors/message.js';
import { TaskCancelledError } from '../errors/worker-error.js';
import { isoNow } from '../log/iso-clock.js';
import { redact } from '../log/mask.js';
import { type AttemptSpan, type TraceIds, UNTRACED } from '../tracing/process-span.js';
import type { Delivery } from '../transport/delivery.js';
import { delayedCopy } from '../wire/copy.js';
import { parseNotBefore } from '../wire/delay.js';
import { HEADERS, parseAttemptHeader } from '../wire/headers.js';
import { queueNames } from '../wire/names.js';
import { replyPatterns, replyToProblem } from '../wire/reply.js';
import { type AttemptHooks, type AttemptOutcome, runAttempt } from './attempt.js';
import { openAttemptSpan, spanEnd } from './attempt-span.js';
import type { Cancellations } from './cancellations.js';
import { MissingQueueError, publishDelayed } from './copies.js';
import { type Decoded, decodeDelivery } from './decode.js';
import type { InFlight } from './in-flight.js';
import { type RecordContext, recordOutcome, salvage } from './outcome.js';
import { logOutcome } from './outcome-log.js';
import type { StartLimiter } from './start-limiter.js';
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
  /** The cancels read from the queue's cancel stream, and the attempts they abort. */
  readonly cancels: Cancellations;
  /** `WORKER_RATE_LIMIT`: when each task may start; absent without a limit. */
  readonly limiter: StartLimiter | undefined;
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
  readonly #cancels: Cancellations;
  readonly #limiter: StartLimiter | undefined;
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
    this.#cancels = options.cancels;
    this.#limiter = options.limiter;
    const { secrets } = options;
    this.#record = {
      names: queueNames(options.cfg.queue),
      queueType: options.cfg.queueType,
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

  /** A reply to a queue came back unroutable (the queue does not exist): logged once per queue. */
  #unroutableReply(replyTo: string): void {
    if (this.#unroutable.has(replyTo) || this.#unroutable.size > MAX_UNROUTABLE_CAUSES) return;
    this.#unroutable.add(replyTo);
    const more = this.#unroutable.size > MAX_UNROUTABLE_CAUSES ? ' (further queues are not logged)' : '';
    this.#logger.warn({ replyTo }, `a reply to queue ${replyTo} reached no queue: it does not exist; logged once for this queue${more}`);
  }

  async #handle(delivery: Delivery): Promise<void> {
    const startedAt = performance.now();
    let record: TaskRecord | undefined;
    try {
      // Sent on to wait, or given back unstarted at a stop: not an outcome, no taskEnd. (No await on the common path.)
      const notBefore = this.#notYet(delivery);
      if (notBefore !== undefined) return await this.#sendOn(delivery, notBefore);
      if (this.#limiter && !(await this.#limiter.slot())) return this.#giveBack(delivery);
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

  /**
   * When a task whose time has not come may start (its `x-jworker-not-before`, epoch ms), or undefined when it may
   * start now. A cancelled task is not held back: it is dropped now, not at its time. A malformed header is refused
   * by decodeDelivery, with the other bad headers.
   */
  #notYet(delivery: Delivery): number | undefined {
    const { headers, messageId } = delivery.message.properties;
    if (headers === undefined) return undefined;
    const due = parseNotBefore(headers, Date.now());
    if (!('notBefore' in due) || due.notBefore === undefined || due.notBefore <= Date.now()) return undefined;
    return messageId && this.#cancels.isCancelled(messageId as string) ? undefined : due.notBefore;
  }

  /**
   * Sends a task whose time has not come on to its next delay bucket and acks it, without running it and without a
   * task event; if that fails (the channel closed, or the bucket refused the copy), the task goes back to its queue.
   */
  async #sendOn(delivery: Delivery, notBefore: number): Promise<void> {
    const { properties, content } = delivery.message;
    const taskId = (properties.messageId as string | undefined) || randomUUID();
    try {
      await publishDelayed(delivery, this.#record, content, delayedCopy(properties, taskId, notBefore), notBefore);
      delivery.ack();
      if (this.#logger.level() <= DEBUG) this.#logger.debug({ taskId, notBefore, waitMs: notBefore - Date.now() }, 'task delayed');
    } catch (error) {
      if (!(error instanceof MissingQueueError)) {
        // As with an outcome: a refused publish leaves the channel open, so give the delivery back now.
        delivery.requeue();
        this.#logger.warn(
          { taskId, err: error },
          'could not delay task %s (the channel closed or the broker refused a publish); it goes back to its queue',
          taskId,
        );
      }
    } finally {
      this.#inFlight.leave();
    }
  }

  /** The worker stops while the task waits for the rate limit: back to its queue, unstarted. */
  #giveBack(delivery: Delivery): void {
    delivery.requeue();
    this.#inFlight.leave();
  }

  /** Decodes the delivery and runs its attempt inside the attempt's span. Not async: no extra promise per task. */
  #process(delivery: Delivery, startedAt: number): Promise<TaskRecord> {
    const { properties, content } = delivery.message;
    const decoded = decodeDelivery({ content, messageId: properties.messageId, headers: properties.headers }, this.#cfg.maxMessageBytes);
    const span = openAttemptSpan(delivery, decoded, this.#cfg, this.#hooks.workerType);
    if (span === UNTRACED) return this.#attempt(delivery, decoded, span, startedAt);
    // An error outside the attempt (salvaged by the caller) still ends the span.
    return span
      .run(() => this.#attempt(delivery, decoded, span, startedAt))
      .catch((error: unknown) => {
        span.end({ outcome: 'dead_lettered', reason: 'internal', error });
        throw error;
      });
  }

  /** One attempt inside its span: run it (or refuse the message), record the outcome, log the end line. */
  async #attempt(delivery: Delivery, decoded: Decoded, span: AttemptSpan, startedAt: number): Promise<TaskRecord> {
    const cfg = this.#cfg;
    const { properties, fields, content } = delivery.message;
    const { taskId, attempt } = decoded;
    const trace = span.ids;
    const requested = properties.replyTo as string | undefined;
    const replyProblem = requested ? replyToProblem(requested, cfg.queue, this.#replyAllowed) : undefined;
    const replyTo = replyProblem === undefined ? requested || undefined : undefined;
    // No event object and no debug line to build when nobody reads them (most tasks of most workers).
    if (this.#events.listenerCount('taskStart') > 0) this.#events.emit('taskStart', { taskId, attempt });

    let outcome: AttemptOutcome<TResult>;
    if (this.#cancels.isCancelled(taskId)) {
      outcome = { status: 'cancelled', error: new TaskCancelledError(taskId) };
      this.#emit(taskId, attempt, 'CANCELLED', outcome.error.message, trace);
    } else if (decoded.ok && replyProblem === undefined) {
      const abort = new TaskAbort();
      this.#inFlight.attemptStarted(abort);
      this.#cancels.started(taskId, abort);
      if (this.#logger.level() <= DEBUG) this.#logger.debug({ taskId, attempt, redelivered: fields.redelivered, ...trace }, 'task started');
      try {
        outcome = await runAttempt(this.#hooks, {
          taskId,
          attempt,
          redelivered: fields.redelivered,
          payload: decoded.payload,
          controller: abort,
          serializeResult: replyTo !== undefined,
          deferrals: countHeader(properties.headers?.[HEADERS.deferrals]),
          trace,
        });
      } finally {
        this.#inFlight.attemptEnded(abort);
        this.#cancels.ended(abort);
      }
    } else {
      const invalid = decoded.ok ? { code: 'REPLY_TO_REFUSED', message: replyProblem as string } : decoded;
      this.#emit(taskId, attempt, 'FAILED', invalid.message, trace);
      outcome = { status: 'dead_lettered', error: Object.assign(new Error(invalid.message), { code: invalid.code }), reason: 'invalid' };
    }

    let recorded: TaskOutcome;
    try {
      recorded = await recordOutcome(delivery, { taskId, attempt, content, properties, replyTo }, outcome, this.#record);
    } catch (error) {
      recorded = 'unrecorded';
      if (!(error instanceof MissingQueueError)) {
        // A publish the broker refused (nacked: a quorum queue between leaders in a rolling restart) leaves the channel
        // open: unacked, the delivery would hold a prefetch slot until the connection drops. Give it back now; a quorum
        // queue's delivery limit ends the loop if the refusal lasts. Where the channel closed, the broker does it.
        delivery.requeue();
        this.#logger.warn(
          { taskId, attempt, err: error, ...trace },
          'could not record the outcome of task %s (the channel closed or the broker refused a publish); it goes back to its queue',
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

  /** A task event for a task that never started (refused or cancelled). */
  #emit(taskId: string, attempt: number, status: 'FAILED' | 'CANCELLED', error: string, trace: TraceIds | undefined): void {
    this.#hooks.sink.emit({
      taskId,
      workerType: this.#hooks.workerType,
      queue: this.#cfg.queue,
      status,
      attempt,
      maxAttempts: this.#cfg.retry.maxAttempts,
      error,
      timestamp: isoNow(),
      ...(trace === undefined ? {} : { traceId: trace.trace_id }),
    });
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

/** A count header (`x-jworker-deferrals`): a whole number, anything else 0. */
function countHeader(value: unknown): number {
  const n = typeof value === 'number' || typeof value === 'string' ? Number(value) : 0;
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}
