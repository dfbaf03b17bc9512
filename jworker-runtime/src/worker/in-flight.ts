import type { TaskAbort } from './task-abort.js';

/**
 * The deliveries a worker is handling now: how many, the aborts of the running attempts (a forced stop aborts them
 * all), and a wait for the count to reach zero (a graceful stop).
 */
export class InFlight {
  #count = 0;
  readonly #aborts = new Set<TaskAbort>();
  #onIdle: (() => void) | undefined;

  /** Deliveries being handled now. */
  get count(): number {
    return this.#count;
  }

  /** A delivery arrived. */
  enter(): void {
    this.#count++;
  }

  /** A delivery is done, however it ended. */
  leave(): void {
    this.#count--;
    if (this.#count === 0) this.#onIdle?.();
  }

  /** An attempt started: a forced stop aborts it through `abort`. */
  attemptStarted(abort: TaskAbort): void {
    this.#aborts.add(abort);
  }

  /** The attempt of `abort` ended. */
  attemptEnded(abort: TaskAbort): void {
    this.#aborts.delete(abort);
  }

  /** Aborts every running attempt with `reason`. */
  abortAll(reason: unknown): void {
    for (const abort of this.#aborts) abort.abort(reason);
  }

  /** Resolves true once nothing is in flight, or false after `timeoutMs`. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.#count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#onIdle = undefined;
        resolve(false);
      }, timeoutMs);
      this.#onIdle = () => {
        clearTimeout(timer);
        this.#onIdle = undefined;
        resolve(true);
      };
    });
  }
}
