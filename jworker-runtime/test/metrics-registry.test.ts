import { EventEmitter } from 'node:events';
import test from 'ava';
import { liveness, readiness } from '../src/metrics/health.js';
import { createWorkerMetrics } from '../src/metrics/registry.js';
import type { ProgressStats } from '../src/progress/events.js';
import { TASK_OUTCOMES, type WorkerEventMap, type WorkerState } from '../src/worker/worker-events.js';
import { sampleValue } from './helpers/prometheus.js';

function fakeWorker() {
  return {
    events: new EventEmitter<WorkerEventMap>(),
    state: 'consuming' as WorkerState,
    inFlight: 0,
    progressStats: undefined as ProgressStats | undefined,
  };
}

test('every task outcome has its jworker_tasks_total series from the start, under the same word', async (t) => {
  const metrics = createWorkerMetrics(fakeWorker(), { workerType: 'w', queue: 'q', defaultMetrics: false });
  const text = await metrics.registry.metrics();
  for (const outcome of TASK_OUTCOMES)
    t.is(sampleValue(text, 'jworker_tasks_total', { worker_type: 'w', queue: 'q', outcome }), 0, outcome);
  metrics.dispose();
});

test('readiness is 200 only while consuming and connected; liveness is always 200', (t) => {
  t.is(readiness('consuming', true).status, 200);
  for (const state of ['idle', 'starting', 'connecting', 'reconnecting', 'stopping', 'stopped'] as const) {
    t.is(readiness(state, true).status, 503, state);
    t.is(liveness(state).status, 200, state);
  }
  t.is(readiness('consuming', false).status, 503);
  t.like(readiness('reconnecting', false).body, { state: 'reconnecting', connected: false });
});

test('task ends, connections and progress counters become the documented series', async (t) => {
  const worker = fakeWorker();
  const metrics = createWorkerMetrics(worker, { workerType: 'mail', queue: 'mails', defaultMetrics: false });
  const l = { worker_type: 'mail', queue: 'mails' };
  worker.events.emit('connected');
  worker.events.emit('taskEnd', { taskId: 'a', attempt: 1, outcome: 'completed', durationMs: 20 });
  worker.events.emit('taskEnd', { taskId: 'b', attempt: 1, outcome: 'retried', durationMs: 5 });
  worker.events.emit('taskEnd', { taskId: 'b', attempt: 2, outcome: 'dead_lettered', reason: 'exhausted', durationMs: 5 });
  worker.events.emit('disconnected');
  worker.events.emit('connected');
  worker.inFlight = 3;
  worker.progressStats = { sent: 10, dropped: 2, failed: 1, pending: 0 };
  let text = await metrics.registry.metrics();
  t.is(sampleValue(text, 'jworker_tasks_total', { ...l, outcome: 'completed' }), 1);
  t.is(sampleValue(text, 'jworker_tasks_total', { ...l, outcome: 'retried' }), 1);
  t.is(sampleValue(text, 'jworker_tasks_total', { ...l, outcome: 'dead_lettered' }), 1);
  t.is(sampleValue(text, 'jworker_tasks_total', { ...l, outcome: 'abandoned' }), 0);
  t.is(sampleValue(text, 'jworker_dead_lettered_total', { ...l, reason: 'exhausted' }), 1);
  t.is(sampleValue(text, 'jworker_dead_lettered_total', { ...l, reason: 'permanent' }), 0);
  t.is(sampleValue(text, 'jworker_task_duration_seconds_count', { ...l, outcome: 'completed' }), 1);
  t.is(sampleValue(text, 'jworker_task_duration_seconds_sum', { ...l, outcome: 'completed' }), 0.02);
  t.is(sampleValue(text, 'jworker_task_attempts_count', l), 3);
  t.is(sampleValue(text, 'jworker_task_attempts_sum', l), 4);
  t.is(sampleValue(text, 'jworker_tasks_in_flight', l), 3);
  t.is(sampleValue(text, 'jworker_broker_connected', l), 1);
  t.is(sampleValue(text, 'jworker_broker_reconnects_total', l), 1);
  t.is(sampleValue(text, 'jworker_progress_events_total', { ...l, result: 'sent' }), 10);
  t.is(sampleValue(text, 'jworker_progress_events_total', { ...l, result: 'dropped' }), 2);
  t.is(sampleValue(text, 'jworker_progress_events_total', { ...l, result: 'failed' }), 1);
  t.false(text.includes('taskId') || text.includes('"a"'), 'no task id in any label');

  worker.progressStats = { sent: 15, dropped: 2, failed: 1, pending: 4 };
  text = await metrics.registry.metrics();
  t.is(sampleValue(text, 'jworker_progress_events_total', { ...l, result: 'sent' }), 15, 'a second scrape adds only what is new');

  metrics.dispose();
  worker.events.emit('taskEnd', { taskId: 'c', attempt: 1, outcome: 'completed', durationMs: 1 });
  text = await metrics.registry.metrics();
  t.is(sampleValue(text, 'jworker_tasks_total', { ...l, outcome: 'completed' }), 1, 'a disposed registry no longer listens');
});

test('two workers in one process keep separate registries', async (t) => {
  const a = createWorkerMetrics(fakeWorker(), { workerType: 'a', queue: 'qa' });
  const b = createWorkerMetrics(fakeWorker(), { workerType: 'b', queue: 'qb' });
  const [ta, tb] = [await a.registry.metrics(), await b.registry.metrics()];
  t.true(ta.includes('queue="qa"') && !ta.includes('queue="qb"'));
  t.true(tb.includes('queue="qb"') && !tb.includes('queue="qa"'));
  t.true(ta.includes('process_cpu_user_seconds_total'), 'default process metrics are on each registry');
  a.dispose();
  b.dispose();
});

test('queue depths are reported by kind, and left out when the broker cannot tell', async (t) => {
  let depth: { work: number; retry: number; delay: number; dead: number } | undefined = { work: 4, retry: 2, delay: 9, dead: 7 };
  const metrics = createWorkerMetrics(fakeWorker(), { workerType: 'w', queue: 'q', defaultMetrics: false, queueDepth: async () => depth });
  let text = await metrics.registry.metrics();
  t.is(sampleValue(text, 'jworker_queue_messages', { worker_type: 'w', queue: 'q', kind: 'work' }), 4);
  t.is(sampleValue(text, 'jworker_queue_messages', { worker_type: 'w', queue: 'q', kind: 'retry' }), 2);
  t.is(sampleValue(text, 'jworker_queue_messages', { worker_type: 'w', queue: 'q', kind: 'dead' }), 7);
  t.is(sampleValue(text, 'jworker_queue_messages', { worker_type: 'w', queue: 'q', kind: 'delay' }), 9);
  depth = undefined;
  text = await metrics.registry.metrics();
  t.is(sampleValue(text, 'jworker_queue_messages', { worker_type: 'w', queue: 'q', kind: 'work' }), undefined);
  metrics.dispose();
});
