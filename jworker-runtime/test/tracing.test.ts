import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import test, { type ExecutionContext } from 'ava';
import { BaseWorker, type RetryOptions, type TaskContext, type WorkerConfig } from '../src/index.js';
import { AMQP_URL, uniqueQueue, waitFor } from './helpers/broker.js';
import { cli } from './helpers/cli.js';
import { captureLogger } from './helpers/log-capture.js';
import { startWorker } from './helpers/worker.js';
import { startProgressServer } from './progress-server.js';

// An application's SDK, registered after the runtime's modules were loaded (their tracers are proxies that find it).
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const app = trace.getTracer('the-application');

interface Task {
  /** Attempts that fail before one succeeds. */
  readonly failures: number;
}

/** Logs through its context logger and makes a span of its own on every attempt. */
class TracedWorker extends BaseWorker<Task, { attempt: number }> {
  /** Off: every attempt succeeds (a fixed bug, before a replay). */
  failing = true;

  protected getWorkerType(): string {
    return 'traced';
  }

  protected async executeTask(task: Task, ctx: TaskContext): Promise<{ attempt: number }> {
    ctx.logger.info('working on it');
    app.startActiveSpan('user work', (span) => span.end());
    if (this.failing && ctx.attempt <= task.failures) throw new Error(`failure on attempt ${ctx.attempt}`);
    return { attempt: ctx.attempt };
  }
}

const fast: RetryOptions = { initialDelayMs: 50, maxAttempts: 2 };

async function setup(t: ExecutionContext, config: WorkerConfig = {}) {
  const queue = uniqueQueue('i15-trace');
  const logs = captureLogger('traced', 'debug');
  const worker = new TracedWorker({ amqpUrl: AMQP_URL, queue, retry: fast, logger: logs.logger, ...config });
  return { ...(await startWorker(t, worker, queue, fast)), logs };
}

const spansOf = (traceId: string): ReadableSpan[] => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
const named = (spans: ReadableSpan[], name: string) =>
  spans
    .filter((span) => span.name === name)
    .sort((a, b) => Number(a.attributes['jworker.attempt'] ?? 0) - Number(b.attributes['jworker.attempt'] ?? 0));
const parentOf = (span: ReadableSpan | undefined) => span?.parentSpanContext?.spanId;

/** A trace as indented text (docs/observability.md shows one): name, kind, duration and jworker's attributes. */
function render(spans: readonly ReadableSpan[]): string {
  const kinds = ['internal', 'server', 'client', 'producer', 'consumer'];
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number): void => {
    const children = spans
      .filter((span) => parentOf(span) === parent)
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
    for (const span of children) {
      const ms = (span.duration[0] * 1e3 + span.duration[1] / 1e6).toFixed(1);
      const tags = Object.entries(span.attributes)
        .filter(([key]) => key.startsWith('jworker.') && key !== 'jworker.worker_type' && key !== 'jworker.max_attempts')
        .map(([key, value]) => `${key.slice(8)}=${String(value)}`);
      const status = span.status.code === SpanStatusCode.ERROR ? ` ERROR "${span.status.message}"` : '';
      lines.push(`${'  '.repeat(depth)}${span.name} [${kinds[span.kind]}] ${ms} ms ${tags.join(' ')}${status}`.trimEnd());
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}

test('a task called inside a span that fails once then succeeds: one trace, a producer span and a consumer span per attempt', async (t) => {
  const progress = await startProgressServer();
  t.teardown(() => progress.close());
  const { client, queue, logs } = await setup(t, { progress: { url: progress.url, flushTimeoutMs: 200 } });

  const caller = app.startSpan('caller');
  const result = await context.with(trace.setSpan(context.active(), caller), () =>
    client.call(queue, { failures: 1 }, { taskId: 'i15-flaky', timeoutMs: 15_000 }),
  );
  caller.end();
  t.deepEqual(result, { attempt: 2 });

  const traceId = caller.spanContext().traceId;
  await waitFor('both attempts’ spans', () => named(spansOf(traceId), `process ${queue}`).length === 2);
  const spans = spansOf(traceId);
  const [producer] = named(spans, `send ${queue}`);
  const [first, second] = named(spans, `process ${queue}`);
  const user = named(spans, 'user work');
  t.log(`the trace:\n${render(spans)}`);

  t.is(producer?.kind, SpanKind.PRODUCER);
  t.is(parentOf(producer), caller.spanContext().spanId, 'the producer span is a child of the caller’s span');
  t.like(producer?.attributes, {
    'messaging.system': 'rabbitmq',
    'messaging.operation.type': 'send',
    'messaging.destination.name': queue,
    'messaging.message.id': 'i15-flaky',
  });

  for (const [i, span] of [first, second].entries()) {
    t.is(span?.kind, SpanKind.CONSUMER);
    t.is(parentOf(span), producer?.spanContext().spanId, `attempt ${i + 1} is a child of the producer span`);
    t.like(span?.attributes, {
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'process',
      'messaging.destination.name': queue,
      'messaging.message.id': 'i15-flaky',
      'jworker.attempt': i + 1,
      'jworker.worker_type': 'traced',
    });
  }
  t.is(first?.attributes['jworker.outcome'], 'retried');
  t.is(first?.status.code, SpanStatusCode.ERROR);
  t.is(first?.status.message, 'failure on attempt 1');
  t.is(first?.events.find((e) => e.name === 'exception')?.attributes?.['exception.message'], 'failure on attempt 1');
  t.is(second?.attributes['jworker.outcome'], 'completed');
  t.is(second?.status.code, SpanStatusCode.UNSET);
  t.deepEqual(
    user.map(parentOf).sort(),
    [first, second].map((s) => s?.spanContext().spanId).sort(),
    'the worker’s own spans nest under their attempt',
  );

  // Every line of an attempt, the runtime's and the task's own, names its trace and its attempt's span.
  const lines = logs.records.filter((r) => r.taskId === 'i15-flaky');
  for (const [attempt, span] of [
    [1, first],
    [2, second],
  ] as const) {
    const own = lines.filter((r) => r.attempt === attempt);
    const end = attempt === 1 ? /^task failed, retrying in \d+ ms: failure on attempt 1$/ : /^task completed$/;
    t.deepEqual(
      own
        .map((r) => String(r.msg))
        .map((msg) => (end.test(msg) ? 'end line' : msg))
        .sort(),
      ['end line', 'task started', 'working on it'],
    );
    for (const line of own) t.like(line, { trace_id: traceId, span_id: span?.spanContext().spanId }, String(line.msg));
  }

  await waitFor('the progress events', () => progress.events().filter((e) => e.taskId === 'i15-flaky').length === 4);
  const events = progress.events().filter((e) => e.taskId === 'i15-flaky');
  t.deepEqual(
    events.map((e) => [e.status, e.traceId]),
    ['STARTED', 'RETRYING', 'STARTED', 'COMPLETED'].map((status) => [status, traceId]),
    'every progress event carries the trace id',
  );
});

test('a dead-lettered task replayed from its dead-letter queue continues its trace', async (t) => {
  const { client, queue, worker, broker } = await setup(t);
  const caller = app.startSpan('caller');
  await context.with(trace.setSpan(context.active(), caller), () => client.enqueue(queue, { failures: 9 }, { taskId: 'i15-dead' }));
  caller.end();
  const traceId = caller.spanContext().traceId;
  await waitFor('the dead letter', async () => (await broker.count(`${queue}.dead`)).messageCount === 1);

  worker.failing = false;
  const replay = await cli(['dead', 'replay', queue, '--all']);
  t.is(replay.code, 0, replay.stderr);
  await waitFor('the replayed attempt’s span', () => named(spansOf(traceId), `process ${queue}`).length === 3);

  const spans = spansOf(traceId);
  const [producer] = named(spans, `send ${queue}`);
  const attempts = exporter
    .getFinishedSpans()
    .filter((s) => s.spanContext().traceId === traceId && s.name === `process ${queue}`)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  t.deepEqual(
    attempts.map((s) => [s.attributes['jworker.attempt'], s.attributes['jworker.outcome'], s.status.code]),
    [
      [1, 'retried', SpanStatusCode.ERROR],
      [2, 'dead_lettered', SpanStatusCode.ERROR],
      [1, 'completed', SpanStatusCode.UNSET],
    ],
  );
  t.is(attempts[1]?.attributes['jworker.reason'], 'exhausted');
  t.true(
    attempts.every((s) => parentOf(s) === producer?.spanContext().spanId),
    'every attempt, the replayed one too, is a child of the producer span',
  );
});

test('a message from a producer that traces by hand (a traceparent header it wrote itself) is processed in its trace', async (t) => {
  const { queue, broker } = await setup(t);
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  // Another language's producer may send the header as an AMQP byte array: amqplib hands it over as a Buffer.
  await broker.publish(queue, '{"failures":0}', {
    messageId: 'i15-by-hand',
    headers: { traceparent: Buffer.from(`00-${traceId}-00f067aa0ba902b7-01`), tracestate: 'vendor=value' },
  });
  await waitFor('the attempt’s span', () => named(spansOf(traceId), `process ${queue}`).length === 1);
  const [span] = named(spansOf(traceId), `process ${queue}`);
  t.is(parentOf(span), '00f067aa0ba902b7');
  t.is(span?.spanContext().traceState?.get('vendor'), 'value');
});

test('the producer span fails when the queue does not exist, and nothing is left open', async (t) => {
  const { client } = await setup(t);
  const missing = uniqueQueue('i15-missing');
  const caller = app.startSpan('caller');
  await t.throwsAsync(
    context.with(trace.setSpan(context.active(), caller), () => client.enqueue(missing, {})),
    {
      name: 'QueueNotFoundError',
    },
  );
  caller.end();
  const [producer] = named(spansOf(caller.spanContext().traceId), `send ${missing}`);
  t.is(producer?.status.code, SpanStatusCode.ERROR);
  t.is(producer?.attributes['error.type'], 'QueueNotFoundError');
});
