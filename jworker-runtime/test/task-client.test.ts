import test from 'ava';
import { TaskClient } from '../src/index.js';
import { uniqueQueue, waitFor } from './helpers/broker.js';
import { captureLogger } from './helpers/log-capture.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';
import { startSample } from './helpers/worker.js';

/** A client behind its own TCP proxy, so the test can cut the client's connection and nobody else's. */
async function proxiedClient(t: import('ava').ExecutionContext) {
  const proxy = await startTcpProxy();
  const client = new TaskClient({ url: proxy.url, logger: captureLogger().logger });
  t.teardown(async () => {
    await client.close();
    await proxy.close();
  });
  return { proxy, client };
}

test.serial('a call whose reply can no longer arrive (its channel was cut) is rejected, not left hanging', async (t) => {
  const { queue, worker } = await startSample(t);
  const { proxy, client } = await proxiedClient(t);
  const pending = client.call(queue, { action: 'sleep', ms: 1500, value: 'x' }, { timeoutMs: 60_000 });
  await waitFor('the task to start', () => worker.attempts.length === 1);
  proxy.cut();
  await t.throwsAsync(pending, { message: /connection was lost while waiting for the result of task .* the task may still run/ });
});

test.serial('enqueue while the broker is unreachable waits, and resolves once it is back', async (t) => {
  const { queue, worker } = await startSample(t);
  const { proxy, client } = await proxiedClient(t);
  await client.enqueue(queue, { action: 'echo', value: 'first' });
  proxy.refuse(true);
  proxy.cut();
  let resolved = false;
  const pending = client.enqueue(queue, { action: 'echo', value: 'during outage' }, { taskId: 'outage' }).then((id) => {
    resolved = true;
    return id;
  });
  await waitFor('a refused reconnect', () => proxy.accepted >= 1);
  t.false(resolved, 'not confirmed while disconnected');
  proxy.refuse(false);
  t.is(await pending, 'outage');
  await waitFor('the task to run', () => worker.attempts.some((a) => a.taskId === 'outage'));
});

test.serial('enqueue refuses a task that is not JSON-serialisable, naming the queue', async (t) => {
  const { client } = await proxiedClient(t);
  await t.throwsAsync(client.enqueue(uniqueQueue('x'), undefined), { instanceOf: TypeError, message: /cannot be sent as JSON/ });
});

test.serial('close rejects pending calls and is idempotent', async (t) => {
  const { queue } = await startSample(t);
  const { client } = await proxiedClient(t);
  const pending = client.call(queue, { action: 'sleep', ms: 2000 }, { timeoutMs: 60_000 });
  const closing = client.close();
  t.is(client.close(), closing);
  await t.throwsAsync(pending, { message: /the client was closed before task .* returned a result/ });
  await closing;
  await t.throwsAsync(client.enqueue(queue, {}), { message: /the task client is closed/ });
});
