import { trace } from '@opentelemetry/api';
import test from 'ava';
import { TaskClient } from '../src/index.js';
import { hiddenTracerProvider } from '../src/tracing/registration.js';
import { deadLetterCopy, delayedCopy, replayCopy, retryCopy } from '../src/wire/copy.js';
import { AMQP_URL, declaredQueue, waitFor } from './helpers/broker.js';
import { startSample } from './helpers/worker.js';

// No SDK is registered in this process: tracing must leave no mark on messages, logs or events.

test.serial('with no SDK, a published task carries no trace headers', async (t) => {
  const { queue, broker } = await declaredQueue(t, 'i15-off');
  const client = new TaskClient({ url: AMQP_URL });
  t.teardown(() => client.close());
  await client.enqueue(queue, { n: 1 }, { taskId: 'i15-plain' });
  await client.enqueue(queue, { n: 2 }, { taskId: 'i15-own-headers', headers: { tenant: 'a' } });
  await waitFor('both tasks', async () => (await broker.count(queue)).messageCount === 2);
  const [plain, own] = await broker.drain(queue);
  // A quorum queue adds its delivery count: the only header besides the producer's own.
  t.deepEqual(plain?.properties.headers, { 'x-delivery-count': 0 });
  t.deepEqual(own?.properties.headers, { tenant: 'a', 'x-delivery-count': 0 });
});

test.serial('with no SDK, the log lines of an attempt carry no trace ids', async (t) => {
  const { client, queue, logs } = await startSample(t);
  await client.call(queue, { action: 'echo', value: 1 }, { taskId: 'i15-untraced' });
  const lines = () => logs.records.filter((r) => r.taskId === 'i15-untraced');
  // The end line is written once the outcome is recorded, after the reply went out.
  await waitFor('the end line', () => lines().some((r) => r.msg === 'task completed'));
  t.true(lines().some((r) => r.msg === 'task started'));
  t.true(lines().every((r) => !('trace_id' in r) && !('span_id' in r)));
});

test.serial('an SDK registered through an older copy of the API, which the runtime cannot see, is named in a warning', (t) => {
  t.is(hiddenTracerProvider(), undefined, 'nothing registered: nothing to say');
  const key = Symbol.for('opentelemetry.js.api.1');
  const global = globalThis as Record<symbol, unknown>;
  const before = global[key];
  // What an older copy of the API leaves behind after an SDK registered its provider through it (a copy accepts
  // registrations of its own minor version and newer ones only).
  global[key] = { version: '1.4.0', trace: { getTracer: () => undefined } };
  t.teardown(() => {
    global[key] = before;
  });
  t.regex(hiddenTracerProvider() ?? '', /registered through @opentelemetry\/api 1\.4\.0, which the copy jworker-runtime loads cannot see/);
  t.not(trace.getTracerProvider(), (global[key] as { trace: unknown }).trace);
});

test("retry copies, delayed copies, dead letters and replays keep the producer's traceparent and tracestate", (t) => {
  const trace = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=value' };
  const delivered = { messageId: 'i15-copy', headers: { ...trace, 'x-death': [], 'x-jworker-attempt': 2 } };
  const retry = retryCopy(delivered, 'i15-copy', { nextAttempt: 3, lastError: 'boom' });
  const dead = deadLetterCopy(delivered, 'i15-copy', { error: 'boom', code: 'E', reason: 'exhausted', attempts: 3, workerType: 'w' });
  const replayed = replayCopy(dead);
  const delayed = delayedCopy(delivered, 'i15-copy', Date.now() + 60_000);
  for (const [name, copy] of Object.entries({ retry, dead, replayed, delayed })) t.like(copy.headers, trace, name);
});
