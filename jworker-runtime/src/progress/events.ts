import type { TaskEvent } from '../wire/task-event.js';

/** Where a worker sends its task events. The GraphQL reporter is one; the test harness records them. */
export interface TaskEventSink {
  /** Takes one event. Never throws and never waits: a slow or dead endpoint must not slow a task. */
  emit(event: TaskEvent): void;
  /** Sends what is pending, up to `deadlineMs`, and stops. Idempotent. */
  close(deadlineMs?: number): Promise<void>;
  /** Counters for metrics: events sent, dropped under pressure, lost to failed requests, and waiting now. */
  stats?(): ProgressStats;
}

/** Progress delivery counters. */
export interface ProgressStats {
  readonly sent: number;
  readonly dropped: number;
  readonly failed: number;
  readonly pending: number;
}

/** A sink that drops everything: reporting is off. */
export const noopEventSink: TaskEventSink = {
  emit() {},
  close: async () => {},
};
