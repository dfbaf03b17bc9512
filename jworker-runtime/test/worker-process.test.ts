import test, { type ExecutionContext } from 'ava';
import { HEADERS, TaskClient } from '../src/index.js';
import { AMQP_URL, rawBroker, uniqueQueue, waitFor } from './helpers/broker.js';
import { consuming, spawnWorker } from './helpers/process.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

/** A unique queue, a TaskClient and a raw broker connection for one test; the queues are deleted when it ends. */
async function queueAndClient(t: ExecutionContext, name: string) {
  const queue = uniqueQueue(name);
  const broker = await rawBroker();
  const client = new TaskClient({ url: AMQP_URL });
  t.teardown(async () => {
    await client.close();
    await broker.deleteAll(queue);
    await broker.close();
  });
  return { queue, broker, client };
}

test.serial('SIGTERM stops the worker gracefully: the task in flight finishes, exit code 0', async (t) => {
  const { queue, client } = await queueAndClient(t, 'sigterm');
  const worker = spawnWorker({ WORKER_QUEUE: queue, SHUTDOWN_TIMEOUT_MS: '10000' });
  await consuming(worker);
  const result = client.call(queue, { action: 'sleep', ms: 800, value: 'finish me' }, { timeoutMs: 15_000 });
  await worker.waitForLog((r) => r.msg === 'task started');
  worker.child.kill('SIGTERM');
  t.deepEqual(await result, { echoed: 'finish me', attempt: 1 });
  t.deepEqual(await worker.exited, { code: 0, signal: null });
  t.true(worker.records.some((r) => r.msg === 'stopped'));
  t.true(
    worker.records.some((r) => r.msg === 'beforeExit ran'),
    'runWorker ran beforeExit (a tracing flush) once stopped',
  );
});

test.serial(
  "one Ctrl-C that arrives twice (the terminal's, then a parent's relay) stops gracefully; a later one forces the exit",
  async (t) => {
    const { queue, client } = await queueAndClient(t, 'double-sigint');
    const worker = spawnWorker({ WORKER_QUEUE: queue, SHUTDOWN_TIMEOUT_MS: '10000' });
    await consuming(worker);
    const result = client.call(queue, { action: 'sleep', ms: 800, value: 'finish me' }, { timeoutMs: 15_000 });
    await worker.waitForLog((r) => r.msg === 'task started');
    // The terminal's SIGINT, then the one a parent (tsx watch, npm) relays once the first was handled (two signals
    // sent at once would reach the process as one).
    worker.child.kill('SIGINT');
    await worker.waitForLog((r) => String(r.msg).startsWith('received SIGINT'));
    worker.child.kill('SIGINT');
    t.deepEqual(await result, { echoed: 'finish me', attempt: 1 });
    t.deepEqual(await worker.exited, { code: 0, signal: null });
    t.false(worker.records.some((r) => String(r.msg).startsWith('second SIGINT')));

    const impatient = spawnWorker({ WORKER_QUEUE: queue, SHUTDOWN_TIMEOUT_MS: '10000' });
    await consuming(impatient);
    void client.call(queue, { action: 'sleep', ms: 5000, value: 'long' }, { timeoutMs: 30_000 }).catch(() => {});
    await impatient.waitForLog((r) => r.msg === 'task started');
    impatient.child.kill('SIGINT');
    const received = await impatient.waitForLog((r) => String(r.msg).startsWith('received SIGINT'));
    // A person pressing Ctrl-C again: later than a relayed copy would come.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(String(received.time)) + 1100 - Date.now())));
    impatient.child.kill('SIGINT');
    t.deepEqual(await impatient.exited, { code: 1, signal: null });
    t.true(impatient.records.some((r) => r.msg === 'second SIGINT: forcing exit'));
  },
);

test.serial('past the shutdown timeout, tasks in flight are aborted and delivered again to the next worker', async (t) => {
  const { queue, client } = await queueAndClient(t, 'shutdown-timeout');
  const first = spawnWorker({ WORKER_QUEUE: queue, SHUTDOWN_TIMEOUT_MS: '300' });
  await consuming(first);
  const result = client.call(queue, { action: 'sleep', ms: 3000, value: 'long' }, { taskId: 'long-task', timeoutMs: 30_000 });
  await first.waitForLog((r) => r.msg === 'task started');
  first.child.kill('SIGTERM');
  await first.waitForLog((r) => r.msg === 'task aborted by a forced stop; it will be delivered again');
  t.deepEqual(await first.exited, { code: 0, signal: null });
  const second = spawnWorker({ WORKER_QUEUE: queue });
  t.teardown(() => {
    second.child.kill('SIGKILL');
  });
  const started = await second.waitForLog((r) => r.msg === 'task started' && r.taskId === 'long-task');
  t.is(started.redelivered, true);
  t.deepEqual(await result, { echoed: 'long', attempt: 1 });
  second.child.kill('SIGTERM');
  t.is((await second.exited).code, 0);
});

test.serial('a worker killed mid-task loses nothing: another instance finishes the tasks', async (t) => {
  const { queue, client } = await queueAndClient(t, 'sigkill');
  const victim = spawnWorker({ WORKER_QUEUE: queue, WORKER_CONCURRENCY: '5' });
  await consuming(victim);
  const results = Array.from({ length: 5 }, (_, i) =>
    client.call(queue, { action: 'sleep', ms: 2000, value: i }, { taskId: `k${i}`, timeoutMs: 30_000 }),
  );
  await waitFor('five tasks in flight', () => victim.records.filter((r) => r.msg === 'task started').length === 5);
  victim.child.kill('SIGKILL');
  t.is((await victim.exited).signal, 'SIGKILL');
  const rescuer = spawnWorker({ WORKER_QUEUE: queue, WORKER_CONCURRENCY: '5' });
  t.teardown(() => {
    rescuer.child.kill('SIGKILL');
  });
  t.deepEqual(
    (await Promise.all(results)).map((r) => (r as { echoed: number }).echoed),
    [0, 1, 2, 3, 4],
  );
  const redelivered = rescuer.records.filter((r) => r.msg === 'task started' && r.redelivered === true);
  t.is(redelivered.length, 5, 'each was delivered again, marked redelivered');
  rescuer.child.kill('SIGTERM');
  t.is((await rescuer.exited).code, 0);
});

test.serial('a message that keeps killing the process ends in <queue>.dead after the delivery limit', async (t) => {
  const queue = uniqueQueue('poison');
  const broker = await rawBroker();
  t.teardown(async () => {
    await broker.deleteAll(queue);
    await broker.close();
  });
  const env = { WORKER_QUEUE: queue, WORKER_DELIVERY_LIMIT: '2' };
  let runs = 0;
  const first = spawnWorker(env);
  await consuming(first);
  await broker.publish(queue, JSON.stringify({ action: 'crash' }), { messageId: 'poison' });
  await first.exited;
  runs++;
  // Each new process gets the poison message again until the broker gives up on it.
  while ((await broker.count(`${queue}.dead`)).messageCount === 0 && runs < 6) {
    const next = spawnWorker(env);
    const outcome = await Promise.race([next.exited.then(() => 'died' as const), consuming(next).then(() => 'up' as const)]);
    if (outcome === 'up') {
      const died = await Promise.race([
        next.exited.then(() => true),
        waitFor('the dead letter', async () => (await broker.count(`${queue}.dead`)).messageCount === 1, 5000).then(() => false),
      ]);
      if (!died) {
        next.child.kill('SIGTERM');
        await next.exited;
        break;
      }
    }
    runs++;
  }
  const [dead] = await broker.drain(`${queue}.dead`);
  t.is(dead?.properties.messageId, 'poison');
  t.true(runs <= 4, `dead-lettered after ${runs} crashed processes`);
  const death = (dead?.properties.headers?.['x-death'] as Array<{ reason: string }> | undefined)?.[0];
  t.is(death?.reason, 'delivery_limit');
  t.is(HEADERS.error in (dead?.properties.headers ?? {}), false, 'no worker lived to add x-jworker-error: x-death says why');
});

test.serial('a configuration error exits 1 with one clear line naming every bad variable', async (t) => {
  const worker = spawnWorker({ WORKER_CONCURRENCY: 'many', RETRY_MAX_ATTEMPTS: '-2' });
  const { code } = await worker.exited;
  t.is(code, 1);
  const fatal = worker.records.find((r) => r.level === 60);
  t.regex(String(fatal?.msg), /WORKER_CONCURRENCY: expected an integer from 1 to 65535, got "many"/);
  t.regex(String(fatal?.msg), /RETRY_MAX_ATTEMPTS/);
});

test.serial('a worker process whose broker is gone for a while stays up and consumes again when it is back', async (t) => {
  const proxy = await startTcpProxy();
  const queue = uniqueQueue('outage');
  const broker = await rawBroker();
  const client = new TaskClient({ url: AMQP_URL });
  const worker = spawnWorker({ AMQP_URL: proxy.url, WORKER_QUEUE: queue });
  t.teardown(async () => {
    worker.child.kill('SIGKILL');
    await client.close();
    await proxy.close();
    await broker.deleteAll(queue);
    await broker.close();
  });
  await consuming(worker);
  proxy.refuse(true);
  proxy.cut();
  // Several failed attempts in a row: the process waits in its backoff, with nothing else to do.
  await worker.waitForLog((r) => r.attempt === 3 && String(r.msg).startsWith('cannot reach RabbitMQ'), 30_000);
  t.is(worker.child.exitCode, null, 'still running');
  proxy.refuse(false);
  await worker.waitForLog((r) => String(r.msg).startsWith('connected to RabbitMQ after'), 30_000);
  t.deepEqual(await client.call(queue, { action: 'echo', value: 'back' }, { timeoutMs: 20_000 }), { echoed: 'back', attempt: 1 });
  worker.child.kill('SIGTERM');
  t.deepEqual(await worker.exited, { code: 0, signal: null });
});
