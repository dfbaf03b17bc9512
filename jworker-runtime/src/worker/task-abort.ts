/**
 * Aborts one attempt (task timeout, forced stop). A cheap stand-in for a per-task `AbortController`: the controller and
 * its `AbortSignal` (an EventTarget, costly to create and listen to) exist only once `signal` is read, so a task that
 * never looks at `context.signal` costs two fields; the attempt's own race against abort is a plain callback.
 */
export class TaskAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  #onAbort: ((reason: unknown) => void) | undefined;

  /** Follows a caller's controller (the test harness's): aborting it aborts the attempt. */
  static follow(controller: AbortController): TaskAbort {
    const abort = new TaskAbort();
    abort.#controller = controller;
    const signal = controller.signal;
    if (signal.aborted) abort.abort(signal.reason);
    else signal.addEventListener('abort', () => abort.abort(signal.reason), { once: true });
    return abort;
  }

  /** The signal handed to `executeTask` as `context.signal`; created on first use, already aborted if the attempt is. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  /** Aborts once; later calls do nothing. */
  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    const onAbort = this.#onAbort;
    this.#onAbort = undefined;
    onAbort?.(reason);
  }

  /** Settles with `work`, or rejects with the abort reason as soon as the attempt is aborted. */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.#aborted) return Promise.reject(this.#reason);
    return new Promise<T>((resolve, reject) => {
      this.#onAbort = reject;
      work.then(
        (value) => {
          this.#onAbort = undefined;
          resolve(value);
        },
        (error: unknown) => {
          this.#onAbort = undefined;
          reject(error);
        },
      );
    });
  }
}
