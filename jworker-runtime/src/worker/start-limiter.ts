import type { RateLimit } from '../config/rate-limit.js';

/**
 * `WORKER_RATE_LIMIT` in one process: task starts spread evenly, one every `periodMs / count`, in arrival order.
 * A start waits on a timer, never on the event loop; the deliveries waiting are bounded by the prefetch
 * (`WORKER_CONCURRENCY`). Starts keep to a timeline of due times, so timers that fire a little late (a busy process)
 * do not slow the rate down; one later than a whole interval restarts the timeline from now instead of bunching
 * starts to catch up. So no window of one period holds more than `count` starts plus two, whatever the concurrency.
 * Even spacing, not a bucket of tokens: there is no burst after a quiet time.
 */
export class StartLimiter {
  readonly #intervalMs: number;
  /** When the next start is due (performance.now() time). */
  #due = Number.NEGATIVE_INFINITY;
  readonly #waiting: Array<(start: boolean) => void> = [];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(limit: RateLimit) {
    this.#intervalMs = limit.periodMs / limit.count;
  }

  /** The least time between two starts, in ms. */
  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** Resolves true when a task may start now, or false once the worker stops (the task must then not start). */
  slot(): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      if (this.#timer === undefined) this.#next();
    });
  }

  /** Stopping: every waiting task is told not to start. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const resolve of this.#waiting.splice(0)) resolve(false);
  }

  /** Starts the first waiting task as soon as its gap has passed, then the next one. */
  #next(): void {
    this.#timer = undefined;
    if (this.#stopped || this.#waiting.length === 0) return;
    const now = performance.now();
    if (now < this.#due) {
      this.#timer = setTimeout(() => this.#next(), Math.ceil(this.#due - now));
      return;
    }
    // A little late: keep to the timeline. Idle or very late: start a new one from now.
    this.#due = (now - this.#due < this.#intervalMs ? this.#due : now) + this.#intervalMs;
    this.#waiting.shift()?.(true);
    if (this.#waiting.length > 0) this.#timer = setTimeout(() => this.#next(), Math.ceil(this.#due - now));
  }
}
