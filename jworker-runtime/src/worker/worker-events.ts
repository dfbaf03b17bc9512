import type { DeadLetterReason } from '../wire/headers.js';

/** Where a worker is in its life. */
export type WorkerState = 'idle' | 'starting' | 'connecting' | 'consuming' | 'reconnecting' | 'stopping' | 'stopped';

/**
 * How a delivery ended: the one vocabulary of logs (`outcome`), events (`taskEnd`), metrics
 * (`jworker_tasks_total{outcome}`) and the docs. `completed`: done, replied; `retried`: a retry copy waits in a retry
 * queue; `dead_lettered`: moved to `<queue>.dead`; `abandoned`: aborted by a forced stop, delivered again;
 * `unrecorded`: the channel closed before the outcome was safe, delivered again; `cancelled`: cancelled before it
 * started or while it ran, acked (docs/scheduling.md#cancelling).
 */
export type TaskOutcome = 'completed' | 'retried' | 'dead_lettered' | 'abandoned' | 'unrecorded' | 'cancelled';

/** Every {@link TaskOutcome}, in a stable order. */
export const TASK_OUTCOMES: readonly TaskOutcome[] = ['completed', 'retried', 'dead_lettered', 'abandoned', 'unrecorded', 'cancelled'];

/** Every {@link DeadLetterReason}, in a stable order. */
export const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = ['permanent', 'exhausted', 'invalid', 'internal'];

/** Emitted once per delivery when it is done. */
export interface TaskRecord {
  readonly taskId: string;
  readonly attempt: number;
  readonly outcome: TaskOutcome;
  /** Why the task was dead-lettered (or would have been, when the outcome could not be recorded). */
  readonly reason?: DeadLetterReason;
  readonly durationMs: number;
}

/** The events a worker emits on `worker.events`, for metrics and health. */
export interface WorkerEventMap {
  taskStart: [{ readonly taskId: string; readonly attempt: number }];
  taskEnd: [TaskRecord];
  state: [WorkerState];
  connected: [];
  disconnected: [];
}
