import { TaskCancelledError } from '../errors/worker-error.js';
import type { TaskAbort } from './task-abort.js';

/** The most cancelled task ids one process remembers; past it the oldest are forgotten first. About 100 B each. */
export const MAX_REMEMBERED_CANCELS = 100_000;

/**
 * The cancels a worker process knows of, read from the queue's cancel stream: the task ids cancelled within the window
 * (bounded: expired and, past {@link MAX_REMEMBERED_CANCELS}, the oldest are dropped), and the attempts running now,
 * so that a cancel aborts one as it arrives.
 */
export class Cancellations {
  readonly #windowMs: number;
  /** Task id → when it was cancelled (epoch ms), oldest first as they were read. */
  readonly #cancelled = new Map<string, number>();
  /** The attempts running now and their task ids: a cancel (rare) looks through them, a task (often) costs one entry. */
  readonly #running = new Map<TaskAbort, string>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Task ids remembered now. */
  get size(): number {
    return this.#cancelled.size;
  }

  /** A cancel was read: remember it, and abort the task's running attempts with a {@link TaskCancelledError}. */
  cancel(taskId: string, at: number, now: number = Date.now()): void {
    if (at + this.#windowMs <= now) return;
    this.#cancelled.delete(taskId);
    this.#cancelled.set(taskId, at);
    this.#forgetOld(now);
    for (const [abort, id] of this.#running) if (id === taskId) abort.abort(new TaskCancelledError(taskId));
  }

  /** True when `taskId` was cancelled within the window. */
  isCancelled(taskId: string, now?: number): boolean {
    if (this.#cancelled.size === 0) return false;
    const at = this.#cancelled.get(taskId);
    return at !== undefined && at + this.#windowMs > (now ?? Date.now());
  }

  /** An attempt of `taskId` started: a cancel now aborts it. */
  started(taskId: string, abort: TaskAbort): void {
    this.#running.set(abort, taskId);
  }

  /** The attempt ended. */
  ended(abort: TaskAbort): void {
    this.#running.delete(abort);
  }

  #forgetOld(now: number): void {
    for (const [taskId, at] of this.#cancelled) {
      if (this.#cancelled.size <= MAX_REMEMBERED_CANCELS && at + this.#windowMs > now) break;
      this.#cancelled.delete(taskId);
    }
  }
}
