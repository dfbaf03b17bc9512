import type { DroppedKind } from './event-buffer.js';

/** Counts dropped events and reports them at most once per interval, so a flood of drops makes a few log lines. */
export class DropWarning {
  readonly #intervalMs: number;
  readonly #report: (progress: number, status: number) => void;
  #progress = 0;
  #status = 0;
  #lastAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number, report: (progress: number, status: number) => void) {
    this.#intervalMs = intervalMs;
    this.#report = report;
  }

  /** Counts one drop: O(1); reads the clock only when no report is scheduled. */
  add(kind: DroppedKind): void {
    if (kind === 'PROGRESS') this.#progress++;
    else this.#status++;
    if (this.#timer !== undefined) return;
    const wait = this.#lastAt + this.#intervalMs - Date.now();
    if (wait <= 0) {
      this.flush();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, wait);
    this.#timer.unref();
  }

  /** Reports what was counted since the last report, if anything. */
  flush(): void {
    if (this.#progress === 0 && this.#status === 0) return;
    const progress = this.#progress;
    const status = this.#status;
    this.#progress = this.#status = 0;
    this.#lastAt = Date.now();
    this.#report(progress, status);
  }

  /** Cancels a scheduled report. */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
