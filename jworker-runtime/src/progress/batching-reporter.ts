import type Logger from 'bunyan';
import type { ProgressSettings } from '../config/progress-settings.js';
import { maskCredentials, redact } from '../log/mask.js';
import { jitteredDelayMs, type RetryPolicy } from '../retry/backoff.js';
import type { TaskEvent } from '../wire/task-event.js';
import { DropWarning } from './drop-warning.js';
import { EventBuffer } from './event-buffer.js';
import type { ProgressStats, TaskEventSink } from './events.js';
import type { SendBatch, SendResult } from './graphql-transport.js';

/** A batch the endpoint rejects this many times in a row is given up (counted as `failed`), so it cannot block the rest. */
export const MAX_REJECTIONS = 3;
/** Drop warnings and send-failure warnings: at most one line per this many ms. */
export const WARN_INTERVAL_MS = 10_000;

/** Backoff between failed requests: from max(250 ms, flushIntervalMs), doubling, capped at 30 s, with jitter. */
function backoffPolicy(flushIntervalMs: number): RetryPolicy {
  return {
    maxAttempts: Number.POSITIVE_INFINITY,
    initialDelayMs: Math.max(250, flushIntervalMs),
    multiplier: 2,
    maxDelayMs: 30_000,
    jitter: 0.2,
  };
}

/**
 * The task event sink that batches events to a GraphQL endpoint. `emit` only buffers (O(1), never throws, never
 * waits); one timer sends what gathered, one request at a time, and retries failed requests with backoff, in order.
 */
export class BatchingReporter implements TaskEventSink {
  readonly #settings: ProgressSettings;
  readonly #send: SendBatch;
  readonly #logger: Logger;
  readonly #buffer: EventBuffer;
  readonly #drops: DropWarning;
  readonly #backoff: RetryPolicy;
  readonly #where: string;
  #timer: NodeJS.Timeout | undefined;
  #request: AbortController | undefined;
  #failures = 0;
  #rejections = 0;
  #lastFailureLogAt = Number.NEGATIVE_INFINITY;
  #sent = 0;
  #dropped = 0;
  #failed = 0;
  /** Set by close(): from then on, send at once and give up at this time. */
  #deadline: number | undefined;
  #onDrained: (() => void) | undefined;
  #closed = false;
  #closePromise: Promise<void> | undefined;
  readonly #secrets: readonly string[];

  constructor(settings: ProgressSettings, send: SendBatch, logger: Logger, secrets: readonly string[] = []) {
    this.#settings = settings;
    this.#secrets = secrets;
    this.#send = send;
    this.#logger = logger;
    this.#buffer = new EventBuffer(settings.maxBufferedEvents);
    this.#backoff = backoffPolicy(settings.flushIntervalMs);
    this.#where = maskCredentials(settings.url);
    this.#drops = new DropWarning(WARN_INTERVAL_MS, (progress, status) => this.#warnDropped(progress, status));
  }

  /** The event with every secret removed from its texts (an error message can quote a connection string). */
  #redacted(event: TaskEvent): TaskEvent {
    const { error, message, step } = event;
    const safeError = error === undefined ? undefined : redact(error, this.#secrets);
    const safeMessage = message === undefined ? undefined : redact(message, this.#secrets);
    const safeStep = step === undefined ? undefined : redact(step, this.#secrets);
    if (safeError === error && safeMessage === message && safeStep === step) return event;
    return {
      ...event,
      ...(safeError === undefined ? {} : { error: safeError }),
      ...(safeMessage === undefined ? {} : { message: safeMessage }),
      ...(safeStep === undefined ? {} : { step: safeStep }),
    };
  }

  emit(event: TaskEvent): void {
    try {
      if (this.#closed) {
        this.#dropped++;
        return;
      }
      const dropped = this.#buffer.push(this.#redacted(event));
      if (dropped !== undefined) {
        this.#dropped++;
        this.#drops.add(dropped);
      }
      if (this.#timer === undefined && this.#request === undefined)
        this.#schedule(this.#deadline === undefined ? this.#settings.flushIntervalMs : 0);
    } catch (error) {
      // Never in a task's way: a reporter bug costs an event, not the task.
      this.#dropped++;
      this.#logger.warn({ err: error }, 'progress: could not buffer a task event');
    }
  }

  stats(): ProgressStats {
    return { sent: this.#sent, dropped: this.#dropped, failed: this.#failed, pending: this.#buffer.size };
  }

  close(deadlineMs: number = this.#settings.flushTimeoutMs): Promise<void> {
    this.#closePromise ??= this.#close(deadlineMs);
    return this.#closePromise;
  }

  async #close(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + Math.max(0, deadlineMs);
    this.#deadline = deadline;
    if (this.#buffer.size > 0) {
      const drained = new Promise<void>((resolve) => {
        this.#onDrained = resolve;
      });
      // Send now rather than after the interval or a backoff.
      if (this.#request === undefined) {
        clearTimeout(this.#timer);
        this.#schedule(0);
      }
      let deadlineTimer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => {
        // Not unref'd: stop() must be able to finish its flush before the process may exit.
        deadlineTimer = setTimeout(resolve, deadline - Date.now());
      });
      await Promise.race([drained, expired]);
      clearTimeout(deadlineTimer);
    }
    this.#closed = true;
    this.#onDrained = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#request?.abort();
    this.#request = undefined;
    this.#drops.flush();
    this.#drops.cancel();
    const lost = this.#buffer.clear();
    if (lost > 0) {
      this.#dropped += lost;
      this.#logger.warn(
        { lost, url: this.#where, flushTimeoutMs: deadlineMs },
        'progress: %d task events were not sent before the stop deadline (%d ms, flushTimeoutMs); they are lost',
        lost,
        deadlineMs,
      );
    }
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    if (this.#deadline !== undefined) delayMs = Math.min(delayMs, Math.max(0, this.#deadline - Date.now()));
    this.#timer = setTimeout(() => this.#flush(), delayMs);
    this.#timer.unref();
  }

  #flush(): void {
    this.#timer = undefined;
    if (this.#closed || this.#request !== undefined) return;
    const batch = this.#buffer.takeBatch(this.#settings.maxBatchSize);
    if (batch.length === 0) {
      this.#onDrained?.();
      return;
    }
    const controller = new AbortController();
    this.#request = controller;
    const timeoutMs =
      this.#deadline === undefined
        ? this.#settings.requestTimeoutMs
        : Math.max(1, Math.min(this.#settings.requestTimeoutMs, this.#deadline - Date.now()));
    void this.#send(batch, timeoutMs, controller.signal).then(
      (result) => this.#settle(controller, result),
      (error: unknown) => this.#settle(controller, { kind: 'retry', reason: String(error) }),
    );
  }

  #settle(controller: AbortController, result: SendResult): void {
    if (this.#request !== controller) return; // close() gave up on this request
    this.#request = undefined;
    switch (result.kind) {
      case 'sent': {
        this.#sent += this.#buffer.ackBatch();
        if (this.#failures > 0) {
          this.#logger.info({ url: this.#where, failures: this.#failures }, 'progress: %s is reachable again', this.#where);
        }
        this.#failures = this.#rejections = 0;
        break;
      }
      case 'retry':
        this.#failures++;
        this.#buffer.returnBatch();
        break;
      case 'rejected': {
        this.#failures++;
        this.#rejections++;
        if (this.#rejections >= MAX_REJECTIONS) {
          const n = this.#buffer.ackBatch();
          this.#failed += n;
          this.#rejections = 0;
          this.#logger.warn(
            { url: this.#where, events: n, reason: result.reason },
            'progress: %s rejected a batch of %d task events %d times (%s); giving it up. Check that the endpoint implements schema/progress.graphql, or progress.document and progress.variables',
            this.#where,
            n,
            MAX_REJECTIONS,
            result.reason,
          );
        } else this.#buffer.returnBatch();
        break;
      }
      default: {
        const exhaustive: never = result;
        throw new Error(`unknown send result ${String(exhaustive)}`);
      }
    }
    if (result.kind !== 'sent') this.#warnFailure(result.reason);
    if (this.#buffer.size === 0) {
      this.#onDrained?.();
      return;
    }
    if (this.#buffer.queued === 0) return;
    if (result.kind !== 'sent') this.#schedule(jitteredDelayMs(this.#backoff, this.#failures));
    else if (this.#deadline !== undefined || this.#buffer.queued >= this.#settings.maxBatchSize) this.#schedule(0);
    else this.#schedule(this.#settings.flushIntervalMs);
  }

  #warnFailure(reason: string): void {
    const now = Date.now();
    if (this.#failures > 1 && now - this.#lastFailureLogAt < WARN_INTERVAL_MS) return;
    this.#lastFailureLogAt = now;
    this.#logger.warn(
      { url: this.#where, reason, failures: this.#failures, pending: this.#buffer.size },
      'progress: could not send task events to %s: %s. Retrying with backoff; %d events pending. Tasks are not affected',
      this.#where,
      reason,
      this.#buffer.size,
    );
  }

  #warnDropped(progress: number, status: number): void {
    this.#logger.warn(
      { droppedProgress: progress, droppedStatus: status, maxBufferedEvents: this.#settings.maxBufferedEvents, url: this.#where },
      'progress: buffer full (%d events, maxBufferedEvents): dropped %d PROGRESS and %d status events. Is %s slow or down?',
      this.#settings.maxBufferedEvents,
      progress,
      status,
      this.#where,
    );
  }
}
