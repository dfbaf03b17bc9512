import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import type { ProgressOptions, TaskEvent, TaskStatus } from '../src/index.js';
import { createProgressReporter } from '../src/progress/reporter.js';
import { waitFor } from './helpers/broker.js';
import { captureLogger } from './helpers/log-capture.js';
import { byTask, deadEndpoint, startProgressServer } from './progress-server.js';

function ev(taskId: string, status: TaskStatus, extra: Partial<TaskEvent> = {}): TaskEvent {
  return {
    taskId,
    workerType: 'sample',
    queue: 'q',
    status,
    attempt: 1,
    maxAttempts: 3,
    timestamp: new Date().toISOString(),
    ...extra,
  };
}

function reporter(options: ProgressOptions, secrets: readonly string[] = []) {
  const log = captureLogger('progress', 'debug');
  const sink = createProgressReporter(options, { logger: log.logger, secrets });
  const stats = () => sink.stats?.() ?? { sent: 0, dropped: 0, failed: 0, pending: 0 };
  return { sink, stats, log, warnings: () => log.records.filter((r) => r.level === 40) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('events of many tasks arrive in order per task, in far fewer requests than tasks', async (t) => {
  const server = await startProgressServer();
  t.teardown(() => server.close());
  const { sink, stats } = reporter({ url: server.url, flushIntervalMs: 20 });
  t.teardown(() => sink.close(1000));
  const tasks = 300;
  // Tasks start and finish in overlapping waves, as a worker with concurrency would run them.
  for (let i = 0; i < tasks + 2; i++) {
    if (i < tasks) sink.emit(ev(`t${i}`, 'STARTED', { step: 'Starting' }));
    if (i >= 1 && i - 1 < tasks) sink.emit(ev(`t${i - 1}`, 'PROGRESS', { percent: 50, step: 'halfway' }));
    if (i >= 2) sink.emit(ev(`t${i - 2}`, 'COMPLETED', { percent: 100, result: { n: i - 2 } }));
    if (i % 10 === 0) await tick();
  }
  await waitFor('every event delivered', () => stats().sent === tasks * 3);
  const perTask = byTask(server.events());
  t.is(perTask.size, tasks);
  for (const [taskId, events] of perTask) {
    t.deepEqual(
      events.map((e) => e.status),
      ['STARTED', 'PROGRESS', 'COMPLETED'],
      taskId,
    );
    t.deepEqual(events[2]?.result, { n: Number(taskId.slice(1)) });
  }
  t.log(`${tasks} tasks, ${tasks * 3} events: ${server.requests.length} requests`);
  t.true(server.requests.length <= tasks / 10, `${server.requests.length} requests for ${tasks} tasks`);
  t.deepEqual(stats(), { sent: tasks * 3, dropped: 0, failed: 0, pending: 0 });
});

test('no request carries more than maxBatchSize events', async (t) => {
  const server = await startProgressServer();
  t.teardown(() => server.close());
  const { sink } = reporter({ url: server.url, maxBatchSize: 7, flushIntervalMs: 10 });
  t.teardown(() => sink.close(1000));
  for (let i = 0; i < 50; i++) sink.emit(ev(`t${i}`, 'STARTED'));
  await waitFor('50 events', () => server.events().length === 50);
  t.true(server.requests.every((r) => r.events.length <= 7));
  t.deepEqual(
    server.events().map((e) => e.taskId),
    Array.from({ length: 50 }, (_, i) => `t${i}`),
  );
});

test('consecutive PROGRESS events of a task coalesce; status events are all delivered', async (t) => {
  const server = await startProgressServer();
  t.teardown(() => server.close());
  const { sink, stats } = reporter({ url: server.url, flushIntervalMs: 50 });
  t.teardown(() => sink.close(1000));
  sink.emit(ev('a', 'STARTED'));
  for (let p = 1; p <= 40; p++) sink.emit(ev('a', 'PROGRESS', { percent: p, step: `step ${p}` }));
  sink.emit(ev('a', 'RETRYING', { error: 'boom', message: 'retrying in 10 ms (attempt 2 of 3)' }));
  sink.emit(ev('a', 'STARTED', { attempt: 2 }));
  sink.emit(ev('a', 'PROGRESS', { attempt: 2, percent: 10 }));
  sink.emit(ev('a', 'PROGRESS', { attempt: 2, percent: 90 }));
  sink.emit(ev('a', 'COMPLETED', { attempt: 2, percent: 100, result: 'ok' }));
  await waitFor('COMPLETED', () => stats().sent === 6);
  t.deepEqual(
    server.events().map((e) => [e.status, e.attempt, e.percent ?? null, e.step ?? null]),
    [
      ['STARTED', 1, null, null],
      ['PROGRESS', 1, 40, 'step 40'],
      ['RETRYING', 1, null, null],
      ['STARTED', 2, null, null],
      ['PROGRESS', 2, 90, null],
      ['COMPLETED', 2, 100, null],
    ],
  );
});

test('the token goes out as Authorization: Bearer with the extra headers, and is never logged', async (t) => {
  const token = 'tok-8f2c1d9e-very-secret';
  const server = await startProgressServer({ mode: { kind: 'errors' } });
  t.teardown(() => server.close());
  const { sink, log } = reporter({ url: server.url, token, headers: { 'x-tenant': 'acme' }, flushIntervalMs: 10 }, [token]);
  t.teardown(() => sink.close(1000));
  sink.emit(ev('a', 'STARTED'));
  await waitFor('a warning about the rejected batch', () => log.records.some((r) => r.level === 40));
  server.setMode({ kind: 'ok' });
  await waitFor('the event delivered', () => server.requests.length > 0);
  t.is(server.requests[0]?.authorization, `Bearer ${token}`);
  t.is(server.requests[0]?.headers['x-tenant'], 'acme');
  t.false(log.text().includes(token));
  t.regex(log.text(), /progress store unavailable/);
});

test('a custom document and variables map events to an existing schema', async (t) => {
  const received: Array<{ updates: Array<{ id: string; state: string; pct: number | null }>; source: string }> = [];
  const server = await startProgressServer({
    typeDefs: /* GraphQL */ `
      input JobUpdate { id: ID!, state: String!, pct: Float }
      type Mutation { recordJobUpdates(source: String!, updates: [JobUpdate!]!): Int! }
      type Query { ok: Boolean }
    `,
    resolvers: {
      Mutation: {
        recordJobUpdates: (_root: unknown, args: (typeof received)[number]) => {
          received.push(args);
          return args.updates.length;
        },
      },
    },
  });
  t.teardown(() => server.close());
  const { sink, stats } = reporter({
    url: server.url,
    flushIntervalMs: 10,
    document: 'mutation Record($source: String!, $updates: [JobUpdate!]!) { recordJobUpdates(source: $source, updates: $updates) }',
    variables: (events) => ({
      source: 'jworker',
      updates: events.map((e) => ({ id: e.taskId, state: e.status.toLowerCase(), pct: e.percent ?? null })),
    }),
  });
  t.teardown(() => sink.close(1000));
  sink.emit(ev('a', 'STARTED'));
  sink.emit(ev('a', 'PROGRESS', { percent: 25 }));
  sink.emit(ev('a', 'COMPLETED', { percent: 100 }));
  await waitFor('the batch', () => stats().sent === 3);
  t.deepEqual(JSON.parse(JSON.stringify(received)), [
    {
      source: 'jworker',
      updates: [
        { id: 'a', state: 'started', pct: null },
        { id: 'a', state: 'progress', pct: 25 },
        { id: 'a', state: 'completed', pct: 100 },
      ],
    },
  ]);
});

test('an endpoint that is down: emit never throws, requests are retried with backoff, a warning names the cause', async (t) => {
  const { sink, stats, warnings } = reporter({ url: await deadEndpoint(), flushIntervalMs: 10 });
  for (let i = 0; i < 1000; i++) t.notThrows(() => sink.emit(ev(`t${i}`, 'STARTED')));
  await waitFor('a warning', () => warnings().length > 0);
  t.regex(String(warnings()[0]?.msg), /could not send task events to http:\/\/127\.0\.0\.1:\d+\/graphql: fetch failed \(ECONNREFUSED\)/);
  t.is(stats().pending, 1000);
  await sink.close(50);
  t.deepEqual(stats(), { sent: 0, dropped: 1000, failed: 0, pending: 0 });
  t.true(warnings().some((r) => /were not sent before the stop deadline/.test(String(r.msg))));
});

test('failed requests are retried in order until the endpoint answers again', async (t) => {
  const server = await startProgressServer({ mode: { kind: 'http500' } });
  t.teardown(() => server.close());
  const { sink, stats, log } = reporter({ url: server.url, flushIntervalMs: 10 });
  t.teardown(() => sink.close(1000));
  sink.emit(ev('a', 'STARTED'));
  sink.emit(ev('b', 'STARTED'));
  await waitFor('two failed attempts', () => server.attempts >= 2);
  sink.emit(ev('a', 'COMPLETED'));
  sink.emit(ev('b', 'FAILED', { error: 'nope' }));
  server.setMode({ kind: 'ok' });
  await waitFor('all four events', () => stats().sent === 4, 15_000);
  t.deepEqual(
    server.events().map((e) => `${e.taskId}:${e.status}`),
    ['a:STARTED', 'b:STARTED', 'a:COMPLETED', 'b:FAILED'],
  );
  t.regex(log.text(), /HTTP 500/);
  t.regex(log.text(), /is reachable again/);
});

test('a batch the endpoint keeps rejecting with GraphQL errors is given up and counted, and later batches still go', async (t) => {
  const server = await startProgressServer({ mode: { kind: 'errors' } });
  t.teardown(() => server.close());
  const { sink, stats, warnings } = reporter({ url: server.url, flushIntervalMs: 10 });
  t.teardown(() => sink.close(1000));
  sink.emit(ev('a', 'STARTED'));
  sink.emit(ev('a', 'COMPLETED'));
  await waitFor('the batch given up', () => stats().failed === 2, 15_000);
  t.is(server.attempts, 3);
  t.true(warnings().some((r) => /rejected a batch of 2 task events 3 times/.test(String(r.msg))));
  server.setMode({ kind: 'ok' });
  sink.emit(ev('b', 'STARTED'));
  await waitFor('the next batch', () => stats().sent === 1, 15_000);
  t.deepEqual(stats(), { sent: 1, dropped: 0, failed: 2, pending: 0 });
});

test('a slow endpoint (10 s) holds one request; events keep buffering and stop() gives up at its deadline', async (t) => {
  const server = await startProgressServer({ mode: { kind: 'slow', ms: 10_000 } });
  t.teardown(() => server.close());
  const { sink, stats } = reporter({ url: server.url, flushIntervalMs: 10 });
  sink.emit(ev('a', 'STARTED'));
  await waitFor('the request in flight', () => server.attempts === 1);
  for (let i = 0; i < 100; i++) sink.emit(ev(`t${i}`, 'STARTED'));
  t.is(server.attempts, 1);
  t.is(stats().pending, 101);
  await sink.close(100);
  t.is(server.attempts, 1);
  t.deepEqual(stats(), { sent: 0, dropped: 101, failed: 0, pending: 0 });
});

test('under pressure PROGRESS events are dropped first, counted, and warned about a few times, not per event', async (t) => {
  const server = await startProgressServer({ mode: { kind: 'http500' } });
  t.teardown(() => server.close());
  const { sink, stats, warnings } = reporter({ url: server.url, maxBufferedEvents: 100, flushIntervalMs: 50 });
  for (let i = 0; i < 60; i++) sink.emit(ev(`t${i}`, 'STARTED'));
  for (let i = 0; i < 2000; i++) sink.emit(ev(`t${i}`, 'PROGRESS', { percent: 50 }));
  t.is(stats().pending, 100);
  t.is(stats().dropped, 1960);
  server.setMode({ kind: 'ok' });
  await sink.close(10_000);
  const events = server.events();
  t.is(events.filter((e) => e.status === 'STARTED').length, 60);
  t.deepEqual(
    events.filter((e) => e.status === 'PROGRESS').map((e) => e.taskId),
    Array.from({ length: 40 }, (_, i) => `t${1960 + i}`),
  );
  const dropWarnings = warnings().filter((r) => /buffer full/.test(String(r.msg)));
  t.true(dropWarnings.length >= 1 && dropWarnings.length <= 3, `${dropWarnings.length} warnings`);
  t.is(
    dropWarnings.reduce((sum, r) => sum + Number(r.droppedProgress), 0),
    1960,
  );
  t.deepEqual(stats(), { sent: 100, dropped: 1960, failed: 0, pending: 0 });
});

test('with only status events buffered, the oldest are dropped', async (t) => {
  const server = await startProgressServer({ mode: { kind: 'http500' } });
  t.teardown(() => server.close());
  const { sink, stats } = reporter({ url: server.url, maxBufferedEvents: 10, flushIntervalMs: 50 });
  for (let i = 0; i < 15; i++) sink.emit(ev(`t${i}`, 'STARTED'));
  server.setMode({ kind: 'ok' });
  await sink.close(10_000);
  t.deepEqual(
    server.events().map((e) => e.taskId),
    Array.from({ length: 10 }, (_, i) => `t${i + 5}`),
  );
  t.is(stats().dropped, 5);
});

test('close() sends what is pending at once, is idempotent, and drops events emitted after it', async (t) => {
  const server = await startProgressServer();
  t.teardown(() => server.close());
  const { sink, stats } = reporter({ url: server.url, flushIntervalMs: 3_600_000, maxBatchSize: 40 });
  for (let i = 0; i < 100; i++) sink.emit(ev(`t${i}`, 'STARTED'));
  const first = sink.close(10_000);
  t.is(sink.close(10_000), first);
  await first;
  t.is(server.events().length, 100);
  t.is(server.requests.length, 3);
  sink.emit(ev('late', 'STARTED'));
  t.deepEqual(stats(), { sent: 100, dropped: 1, failed: 0, pending: 0 });
});

test('results that JSON cannot encode (BigInt, cycles) do not block the batch', async (t) => {
  const server = await startProgressServer();
  t.teardown(() => server.close());
  const { sink } = reporter({ url: server.url, flushIntervalMs: 10 });
  t.teardown(() => sink.close(1000));
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  sink.emit(ev('a', 'COMPLETED', { result: { big: 10n, cyclic } }));
  await waitFor('the event', () => server.events().length === 1);
  t.deepEqual(server.events()[0]?.result, { big: '10', cyclic: { name: 'loop', self: '[Circular]' } });
});

test('invalid options fail fast, naming the field', (t) => {
  const log = captureLogger();
  const error = t.throws(() =>
    createProgressReporter({ url: 'ftp://x', flushIntervalMs: 0, maxBatchSize: 1.5 }, { logger: log.logger, secrets: [] }),
  );
  t.regex(String(error?.message), /progress\.url/);
  t.regex(String(error?.message), /progress\.flushIntervalMs: expected an integer .* got 0/);
  t.regex(String(error?.message), /progress\.maxBatchSize/);
});

test('the reporter never holds the process open: a process that forgets close() still exits', async (t) => {
  const url = await deadEndpoint();
  const script = `
    import { createProgressReporter } from ${JSON.stringify(fileURLToPath(new URL('../src/progress/reporter.ts', import.meta.url)))};
    import bunyan from 'bunyan';
    const sink = createProgressReporter({ url: ${JSON.stringify(url)}, flushIntervalMs: 5 }, { logger: bunyan.createLogger({ name: 'x', level: 'fatal' }), secrets: [] });
    for (let i = 0; i < 100; i++) sink.emit({ taskId: 't' + i, workerType: 'w', queue: 'q', status: 'STARTED', attempt: 1, maxAttempts: 1, timestamp: new Date().toISOString() });
    setTimeout(() => console.log('done'), 100);
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    timeout: 60_000,
  });
  t.is(stdout.trim(), 'done');
});
