import test from 'ava';
import type { DeadLetterInfo } from '../src/cli/dead-letters.js';
import { HELP } from '../src/cli/help.js';
import { HEADERS, TaskClient } from '../src/index.js';
import { SampleWorker } from './fixtures/sample-worker.js';
import { AMQP_URL, declaredQueue, type RawBroker, uniqueQueue, waitFor } from './helpers/broker.js';
import { cli } from './helpers/cli.js';
import { captureLogger } from './helpers/log-capture.js';
import { startSample } from './helpers/worker.js';

/** Publishes `n` dead letters as a worker writes them: ids d-0…, the failure headers, replyTo and correlationId. */
async function fillDead(broker: RawBroker, queue: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    broker.channel.sendToQueue(`${queue}.dead`, Buffer.from(JSON.stringify({ action: 'echo', value: i })), {
      persistent: true,
      messageId: `d-${i}`,
      correlationId: `c-${i}`,
      replyTo: 'some-reply-queue',
      contentType: 'application/json',
      headers: {
        [HEADERS.attempt]: 3,
        [HEADERS.error]: `failure ${i}`,
        [HEADERS.errorCode]: 'EXHAUSTED',
        [HEADERS.reason]: 'exhausted',
        [HEADERS.attempts]: 3,
        [HEADERS.workerType]: 'sample',
        [HEADERS.failedAt]: '2024-05-01T10:00:00.000Z',
        tenant: 'acme',
      },
    });
  }
  await broker.channel.waitForConfirms();
}

async function listIds(queue: string): Promise<string[]> {
  const { code, stdout } = await cli(['dead', 'list', queue, '--json', '--limit', '10000']);
  if (code !== 0) throw new Error(`dead list exited ${code}`);
  return (JSON.parse(stdout) as DeadLetterInfo[]).map((letter) => letter.taskId ?? '');
}

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `d-${from + i}`);

for (const queueType of ['quorum', 'classic'] as const) {
  test(`dead list shows every dead letter in order and removes nothing (${queueType})`, async (t) => {
    const { queue, broker } = await declaredQueue(t, 'cli', queueType);
    await fillDead(broker, queue, 200);
    t.deepEqual(await listIds(queue), ids(0, 200));
    t.deepEqual(await listIds(queue), ids(0, 200), 'a second listing sees the same messages in the same order');
    await waitFor(
      `${queue}.dead to hold 200 (a quorum queue's count can lag)`,
      async () => (await broker.count(`${queue}.dead`)).messageCount === 200,
    );

    const limited = await cli(['dead', 'list', queue, '--json', '--limit', '5']);
    const letters = JSON.parse(limited.stdout) as DeadLetterInfo[];
    t.deepEqual(
      letters.map((l) => l.taskId),
      ids(0, 5),
    );
    t.like(letters[0], { reason: 'exhausted', code: 'EXHAUSTED', attempts: 3, error: 'failure 0', failedAt: '2024-05-01T10:00:00.000Z' });
    t.deepEqual(await listIds(queue), ids(0, 200), 'the limited listing handed its messages back in place');

    const text = await cli(['dead', 'list', queue, '--limit', '3']);
    t.is(text.code, 0);
    t.regex(text.stdout, /TASK ID\s+REASON\s+CODE\s+ATTEMPTS\s+FAILED AT\s+ERROR/);
    t.regex(text.stdout, /d-0\s+exhausted\s+EXHAUSTED\s+3\s+2024-05-01T10:00:00.000Z\s+failure 0/);
    t.regex(text.stdout, /3 of 200 dead letters/);
  });

  test(`dead replay moves 200 dead letters back with attempts reset, selected ones first (${queueType})`, async (t) => {
    const { queue, broker } = await declaredQueue(t, 'cli', queueType);
    await fillDead(broker, queue, 200);

    const some = await cli(['dead', 'replay', queue, '--task-id', 'd-3', '--task-id', 'd-150', '--json']);
    t.is(some.code, 0, some.stderr);
    t.deepEqual(JSON.parse(some.stdout), { replayed: 2, notFound: [] });
    await waitFor(`${queue} to hold 2 (a quorum queue's count can lag)`, async () => (await broker.count(queue)).messageCount === 2);
    t.deepEqual(
      await listIds(queue),
      ids(0, 200).filter((id) => id !== 'd-3' && id !== 'd-150'),
      'the other dead letters stay, in order',
    );

    const all = await cli(['dead', 'replay', queue, '--all']);
    t.is(all.code, 0, all.stderr);
    t.regex(all.stdout, /replayed 198 dead letters/);
    await waitFor(
      `${queue}.dead to hold 0 (a quorum queue's count can lag)`,
      async () => (await broker.count(`${queue}.dead`)).messageCount === 0,
    );
    await waitFor(`${queue} to hold 200 (a quorum queue's count can lag)`, async () => (await broker.count(queue)).messageCount === 200);

    const replayed = await broker.drain(queue);
    t.deepEqual(
      replayed.map((m) => m.properties.messageId),
      ['d-3', 'd-150', ...ids(0, 200).filter((id) => id !== 'd-3' && id !== 'd-150')],
    );
    const first = replayed[0];
    t.is(first?.properties.correlationId, 'c-3');
    t.is(first?.properties.replyTo, 'some-reply-queue');
    t.is(first?.properties.contentType, 'application/json');
    // A quorum queue adds its own x-delivery-count on delivery.
    const { 'x-delivery-count': _count, ...headers } = first?.properties.headers ?? {};
    t.deepEqual(headers, { tenant: 'acme' }, 'attempt and failure headers are gone; others stay');
    t.deepEqual(JSON.parse(first?.content.toString() ?? ''), { action: 'echo', value: 3 });
  });
}

test('dead replay of an unknown task id exits 1, names it and replays nothing', async (t) => {
  const { queue, broker } = await declaredQueue(t, 'cli');
  await fillDead(broker, queue, 3);
  const result = await cli(['dead', 'replay', queue, '--task-id', 'nope', '--task-id', 'd-1']);
  t.is(result.code, 1);
  t.regex(result.stdout, /replayed 1 dead letter from/);
  t.regex(result.stderr, /not found in .*\.dead: nope/);
  t.deepEqual(await listIds(queue), ['d-0', 'd-2']);
});

test('a replayed task reaches the worker again as attempt 1', async (t) => {
  const { queue, broker } = await declaredQueue(t, 'cli');
  const logs = captureLogger();
  const retry = { initialDelayMs: 10, maxAttempts: 2 };
  const worker = new SampleWorker({ amqpUrl: AMQP_URL, queue, logger: logs.logger, retry });
  t.teardown(async () => {
    await worker.stop();
    await broker.deleteAll(queue, retry);
  });
  const client = new TaskClient({ url: AMQP_URL });
  t.teardown(() => client.close());
  await worker.start();
  // Fails on every attempt: two attempts, then the dead-letter queue.
  await client.enqueue(queue, { action: 'flaky', failures: 10 }, { taskId: 'again' });
  await waitFor('the dead letter', async () => (await broker.count(`${queue}.dead`)).messageCount === 1);
  const listed = await cli(['dead', 'list', queue, '--json']);
  t.like((JSON.parse(listed.stdout) as DeadLetterInfo[])[0], { taskId: 'again', reason: 'exhausted', attempts: 2, workerType: 'sample' });

  const r = await cli(['dead', 'replay', queue, '--task-id', 'again']);
  t.is(r.code, 0);
  // The replayed task gets its full attempts again: it fails twice more and is back in the dead queue.
  await waitFor('the replayed attempts', () => worker.attempts.filter((a) => a.taskId === 'again').length === 4);
  await waitFor('the dead letter again', async () => (await broker.count(`${queue}.dead`)).messageCount === 1);
  t.deepEqual(
    worker.attempts.filter((a) => a.taskId === 'again').map((a) => a.attempt),
    [1, 2, 1, 2],
  );
});

test('dead purge refuses without --yes, then deletes and prints the count', async (t) => {
  const { queue, broker } = await declaredQueue(t, 'cli');
  await fillDead(broker, queue, 7);
  const refused = await cli(['dead', 'purge', queue]);
  t.is(refused.code, 2);
  t.regex(refused.stderr, /add --yes/);
  await waitFor(
    `${queue}.dead to hold 7 (a quorum queue's count can lag)`,
    async () => (await broker.count(`${queue}.dead`)).messageCount === 7,
  );
  const purged = await cli(['dead', 'purge', queue, '--yes']);
  t.is(purged.code, 0);
  t.regex(purged.stdout, /purged 7 dead letters from .*\.dead/);
  await waitFor(
    `${queue}.dead to hold 0 (a quorum queue's count can lag)`,
    async () => (await broker.count(`${queue}.dead`)).messageCount === 0,
  );
  t.deepEqual(JSON.parse((await cli(['dead', 'purge', queue, '--yes', '--json'])).stdout), { purged: 0 });
});

test('stats shows ready messages and consumers of the work, retry and dead queues', async (t) => {
  const { queue, broker } = await declaredQueue(t, 'cli');
  await broker.publish(queue, '{}');
  await broker.publish(queue, '{}');
  await broker.publish(`${queue}.retry.2000`, '{}');
  await fillDead(broker, queue, 4);
  const json = await cli(['stats', queue, '--json']);
  t.is(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as { queue: string; queues: Array<{ name: string; kind: string; ready: number; unacked: null }> };
  t.is(parsed.queue, queue);
  t.deepEqual(
    parsed.queues.map((q) => [q.name, q.kind, q.ready, q.unacked]),
    [
      [queue, 'work', 2, null],
      [`${queue}.retry.1000`, 'retry', 0, null],
      [`${queue}.retry.2000`, 'retry', 1, null],
      [`${queue}.retry.4000`, 'retry', 0, null],
      [`${queue}.retry.8000`, 'retry', 0, null],
      [`${queue}.dead`, 'dead', 4, null],
    ],
  );
  const text = await cli(['stats', queue]);
  t.regex(text.stdout, /QUEUE\s+KIND\s+READY\s+CONSUMERS/);
  t.regex(text.stdout, /unacknowledged counts are not available/);
  const custom = await cli(['stats', queue, '--json', '--retry-delays', '2000']);
  t.is((JSON.parse(custom.stdout) as typeof parsed).queues.length, 3);
  const fromEnv = await cli(['stats', queue, '--json'], { env: { AMQP_URL, RETRY_MAX_ATTEMPTS: '2' } });
  t.is((JSON.parse(fromEnv.stdout) as typeof parsed).queues.length, 3, 'RETRY_* sets the retry queues, as for the worker');
});

test('enqueue prints the task id, and with --wait the result or the failure', async (t) => {
  const { queue, worker } = await startSample(t, { queue: uniqueQueue('cli-enq') });

  const plain = await cli(['enqueue', queue, '{"action":"echo","value":1}', '--task-id', 'enq-1']);
  t.is(plain.code, 0, plain.stderr);
  t.is(plain.stdout, 'enq-1\n');
  await waitFor('the worker to run it', () => worker.attempts.some((a) => a.taskId === 'enq-1'));

  const waited = await cli(['enqueue', queue, '@task.json', '--wait', '--timeout', '10000'], {
    files: { 'task.json': '{"action":"echo","value":"from file"}' },
  });
  t.is(waited.code, 0, waited.stderr);
  t.deepEqual(JSON.parse(waited.stdout), { echoed: 'from file', attempt: 1 });

  const stdin = await cli(['enqueue', queue, '-', '--wait', '--json'], { stdin: '{"action":"echo","value":2}' });
  t.like(JSON.parse(stdin.stdout), { status: 'completed', result: { echoed: 2, attempt: 1 } });

  const failed = await cli(['enqueue', queue, '{"action":"permanent","value":"x"}', '--wait', '--task-id', 'bad-1']);
  t.is(failed.code, 1);
  t.regex(failed.stderr, /task bad-1 failed \(BAD_VALUE\): cannot process x/);
});

test('errors exit non-zero with a clear message and no password', async (t) => {
  const missing = await cli(['stats', uniqueQueue('absent')]);
  t.is(missing.code, 3);
  t.regex(missing.stderr, /no queue named/);
  t.is((await cli(['enqueue', uniqueQueue('absent'), '{}'])).code, 3);
  t.is((await cli(['dead', 'list', uniqueQueue('absent')])).code, 3);
  t.is((await cli(['dead', 'replay', uniqueQueue('absent'), '--all'])).code, 3);

  const badJson = await cli(['enqueue', 'q', '{"a":']);
  t.is(badJson.code, 2);
  t.regex(badJson.stderr, /not valid JSON/);
  t.is((await cli(['enqueue', 'q', '@missing.json'])).code, 2);
  t.is((await cli(['stats', 'bad name'])).code, 2);

  const unreachable = await cli(['stats', 'q'], { env: { AMQP_URL: 'amqp://admin:s3cret-pw@127.0.0.1:1' } });
  t.is(unreachable.code, 4);
  t.regex(unreachable.stderr, /cannot reach RabbitMQ \(amqp:\/\/admin:\*\*\*@127\.0\.0\.1:1/);
  t.false(unreachable.stderr.includes('s3cret-pw'));

  const badLogin = await cli(['stats', 'q'], { env: { AMQP_URL: 'amqp://guest:wrong-password@127.0.0.1:5672' } });
  t.is(badLogin.code, 4);
  t.false(badLogin.stderr.includes('wrong-password'));

  const badUrl = await cli(['stats', 'q'], { env: { AMQP_URL: 'http://x' } });
  t.is(badUrl.code, 2);
});

/**
 * The JSON shapes `enqueue --help` promises, in its own notation: `{"taskId","status":"completed","result"}` lists the
 * keys, with a value where the value is fixed. Read here as objects whose free values are "*".
 */
function documentedShapes(): unknown[] {
  return [...HELP.enqueue.matchAll(/^\s+(\{"taskId".*\})/gm)].map((match) =>
    JSON.parse((match[1] ?? '').replace(/([{,])"(\w+)"(?=[,}])/g, '$1"$2":"*"')),
  );
}

/** The same notation for printed output: `status` keeps its value, `error` its keys, everything else is "*". */
function shapeOf(printed: Record<string, unknown>): unknown {
  return Object.fromEntries(
    Object.entries(printed).map(([key, value]) => {
      if (key === 'status') return [key, value];
      if (key === 'error') return [key, shapeOf(value as Record<string, unknown>)];
      return [key, '*'];
    }),
  );
}

test('enqueue --json prints exactly the shapes its --help describes', async (t) => {
  const { queue } = await startSample(t, { queue: uniqueQueue('cli-json') });
  const runs = [
    await cli(['enqueue', queue, '{"action":"echo","value":1}', '--json']),
    await cli(['enqueue', queue, '{"action":"echo","value":{"nested":true}}', '--json', '--wait']),
    await cli(['enqueue', queue, '{"action":"permanent","value":"x"}', '--json', '--wait']),
  ];
  t.deepEqual(
    runs.map((run) => shapeOf(JSON.parse(run.stdout) as Record<string, unknown>)),
    documentedShapes(),
  );
});
