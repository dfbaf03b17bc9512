import test from 'ava';
import { z } from 'zod';
import { BaseWorker, type TaskContext, TaskTimeoutError, TaskValidationError, WorkerError } from '../src/index.js';
import { runTask } from '../src/testing/index.js';
import { type SampleResult, type SampleTask, SampleWorker } from './fixtures/sample-worker.js';

/** The sample worker, also logging through the task's logger. */
class LoggingWorker extends SampleWorker {
  protected override async executeTask(task: SampleTask, context: TaskContext): Promise<SampleResult> {
    this.log(context, 'info', 'working', { action: task.action });
    context.logger.debug({ value: task.value }, 'details');
    return super.executeTask(task, context);
  }
}

interface Email {
  readonly to: string;
}

/** Validates by hand, with validateTask. */
class ManualValidationWorker extends BaseWorker<Email, string> {
  protected getWorkerType(): string {
    return 'manual';
  }
  protected override async validateTask(raw: unknown): Promise<Email> {
    const to = (raw as { to?: unknown } | null)?.to;
    if (typeof to !== 'string') throw new TaskValidationError(['to: expected a string']);
    return { to };
  }
  protected async executeTask(task: Email): Promise<string> {
    return `sent to ${task.to}`;
  }
}

/** Validates with a zod schema (Standard Schema). */
class ZodWorker extends BaseWorker<{ to: string; count: number }, number> {
  protected override readonly taskSchema = z.object({ to: z.email(), count: z.number().int().default(1) });
  protected getWorkerType(): string {
    return 'zod';
  }
  protected async executeTask(task: { to: string; count: number }, context: TaskContext): Promise<number> {
    context.progress(100, `sending ${task.count} to ${task.to}`);
    return task.count;
  }
}

test('a successful task: completed, with its result, its events in order and its logs', async (t) => {
  const r = await runTask(new LoggingWorker({}), { action: 'echo', value: 42 }, { taskId: 'task-1' });
  t.is(r.outcome, 'completed');
  t.deepEqual(r.result, { echoed: 42, attempt: 1 });
  t.is(r.error, undefined);
  t.deepEqual(
    r.events.map((e) => e.status),
    ['STARTED', 'PROGRESS', 'COMPLETED'],
  );
  t.like(r.events[0], { taskId: 'task-1', workerType: 'sample', queue: 'sample', attempt: 1, maxAttempts: 5, step: 'Starting echo' });
  const progress = r.events.find((e) => e.status === 'PROGRESS');
  t.is(progress?.percent, 50);
  t.is(progress?.step, 'halfway');
  t.is(progress?.message, '{"action":"echo"}');
  t.like(r.events[2], { percent: 100, result: { echoed: 42, attempt: 1 } });
  t.like(r.logs[0], { level: 30, msg: 'working', action: 'echo', taskId: 'task-1', attempt: 1, workerType: 'sample' });
  t.like(r.logs[1], { level: 20, msg: 'details', value: 42, taskId: 'task-1' });
});

test('a permanent error: failed, with the error and a FAILED event', async (t) => {
  const r = await runTask(new SampleWorker({}), { action: 'permanent', value: 'x' });
  t.is(r.outcome, 'dead_lettered');
  t.is(r.reason, 'permanent');
  t.true(r.error instanceof WorkerError);
  t.is((r.error as WorkerError).code, 'BAD_VALUE');
  t.deepEqual(
    r.events.map((e) => e.status),
    ['STARTED', 'PROGRESS', 'FAILED'],
  );
  t.is(r.events.at(-1)?.error, 'cannot process x');
});

test('a transient error with attempts left: retry, with a RETRYING event and the delay', async (t) => {
  const r = await runTask(new SampleWorker({ retry: { initialDelayMs: 250 } }), { action: 'flaky', failures: 1 });
  t.is(r.outcome, 'retried');
  t.is(r.retryDelayMs, 250);
  t.regex(String((r.error as Error).message), /flaky failure on attempt 1/);
  t.deepEqual(
    r.events.map((e) => e.status),
    ['STARTED', 'PROGRESS', 'RETRYING'],
  );
  t.is(r.events.at(-1)?.message, 'retrying in 250 ms (attempt 2 of 5)');
});

test('the next attempt of a flaky task completes', async (t) => {
  const r = await runTask(new SampleWorker({}), { action: 'flaky', failures: 1 }, { attempt: 2, redelivered: true });
  t.is(r.outcome, 'completed');
  t.deepEqual(r.result, { echoed: undefined, attempt: 2 });
});

test('a transient error on the last attempt: failed (exhausted)', async (t) => {
  const r = await runTask(new SampleWorker({}), { action: 'flaky', failures: 9 }, { attempt: 3, config: { retry: { maxAttempts: 3 } } });
  t.is(r.outcome, 'dead_lettered');
  t.is(r.reason, 'exhausted');
  t.like(r.events.at(-1), { status: 'FAILED', attempt: 3, maxAttempts: 3, error: 'flaky failure on attempt 3' });
});

test('validateTask rejecting the payload: failed (invalid), with only a FAILED event', async (t) => {
  const r = await runTask(new ManualValidationWorker({}), { to: 42 });
  t.is(r.outcome, 'dead_lettered');
  t.is(r.reason, 'invalid');
  t.true(r.error instanceof TaskValidationError);
  t.deepEqual(
    r.events.map((e) => [e.status, e.error]),
    [['FAILED', 'task failed validation: to: expected a string']],
  );
  const ok = await runTask(new ManualValidationWorker({}), { to: 'a@example.com' });
  t.is(ok.outcome, 'completed');
  t.is(ok.result, 'sent to a@example.com');
});

test('a zod taskSchema rejecting the payload: failed (invalid), naming the field', async (t) => {
  const r = await runTask(new ZodWorker({}), { to: 'not an email' });
  t.is(r.outcome, 'dead_lettered');
  t.is(r.reason, 'invalid');
  t.deepEqual((r.error as TaskValidationError).issues.length, 1);
  t.regex((r.error as TaskValidationError).issues[0] ?? '', /^to: /);
  t.deepEqual(
    r.events.map((e) => e.status),
    ['FAILED'],
  );
});

test('a zod taskSchema accepting the payload: executeTask gets the parsed value (defaults applied)', async (t) => {
  const r = await runTask(new ZodWorker({}), { to: 'a@example.com' });
  t.is(r.outcome, 'completed');
  t.is(r.result, 1);
  t.is(r.events.find((e) => e.status === 'PROGRESS')?.step, 'sending 1 to a@example.com');
});

test('a task past taskTimeoutMs: retry, with a TaskTimeoutError', async (t) => {
  const r = await runTask(new SampleWorker({}), { action: 'sleep', ms: 60_000 }, { config: { taskTimeoutMs: 30 } });
  t.is(r.outcome, 'retried');
  t.true(r.error instanceof TaskTimeoutError);
});

test('aborting the signal stops the task like a forced stop: retry, no outcome event', async (t) => {
  const controller = new AbortController();
  const running = runTask(new SampleWorker({}), { action: 'sleep', ms: 60_000 }, { signal: controller.signal });
  controller.abort(new Error('stop'));
  const r = await running;
  t.is(r.outcome, 'retried');
  t.is((r.error as Error).message, 'stop');
  t.false(r.events.some((e) => e.status === 'COMPLETED' || e.status === 'FAILED' || e.status === 'RETRYING'));
});

test('the task goes through JSON like a real delivery, and a task without JSON form is refused', async (t) => {
  const r = await runTask(new SampleWorker({}), { action: 'echo', value: new Date(0) });
  t.deepEqual(r.result, { echoed: '1970-01-01T00:00:00.000Z', attempt: 1 });
  await t.throwsAsync(() => runTask(new SampleWorker({}), { action: 'echo', value: 1n }), { instanceOf: TypeError });
  await t.throwsAsync(() => runTask(new SampleWorker({}), { action: 'echo' }, { attempt: 0 }), { instanceOf: RangeError });
});
