import type { ExecutionContext } from 'ava';
import type { BaseWorker, RetryOptions, WorkerConfig } from '../../src/index.js';
import { TaskClient } from '../../src/index.js';
import { SampleWorker } from '../fixtures/sample-worker.js';
import { AMQP_URL, type RawBroker, rawBroker, uniqueQueue } from './broker.js';
import { captureLogger } from './log-capture.js';
import { startTcpProxy } from './tcp-proxy.js';

/**
 * Starts `worker` on `queue` with a TaskClient and a raw broker connection beside it; everything is stopped and the
 * queues deleted when the test ends.
 */
export async function startWorker<W extends Pick<BaseWorker, 'start' | 'stop'>>(
  t: ExecutionContext,
  worker: W,
  queue: string,
  retry: RetryOptions = {},
) {
  const client = new TaskClient({ url: AMQP_URL });
  const broker: RawBroker = await rawBroker();
  t.teardown(async () => {
    await client.close();
    await worker.stop();
    await broker.deleteAll(queue, retry);
    await broker.close();
  });
  await worker.start();
  return { queue, worker, client, broker };
}

/** Starts a SampleWorker on its own queue with captured logs (see {@link startWorker}). */
export async function startSample(t: ExecutionContext, config: WorkerConfig = {}) {
  const queue = config.queue ?? uniqueQueue(t.title.replace(/[^a-z0-9]+/gi, '-').slice(0, 20));
  const logs = captureLogger('sample', 'debug');
  const worker = new SampleWorker({ amqpUrl: AMQP_URL, logger: logs.logger, ...config, queue });
  return { ...(await startWorker(t, worker, queue, config.retry)), logs };
}

/**
 * A SampleWorker connected through a TCP proxy on its own queue, so a test can cut its connection without touching
 * anyone else's; with a TaskClient and a raw broker connection (direct, not through the proxy). All stopped and the
 * queues deleted when the test ends. The worker is not started.
 */
export async function sampleBehindProxy(t: ExecutionContext, prefix: string, config: WorkerConfig = {}) {
  const proxy = await startTcpProxy();
  const queue = uniqueQueue(prefix);
  const logs = captureLogger('sample', 'debug', ['guest']);
  const worker = new SampleWorker({ amqpUrl: proxy.url, queue, logger: logs.logger, ...config });
  const client = new TaskClient({ url: AMQP_URL });
  const broker = await rawBroker();
  stopAllAtTeardown(t, { client, worker, proxy, broker, queue });
  return { proxy, queue, logs, worker, client, broker };
}

/** Closes a test's client, worker and proxy, then deletes its queues, when the test ends (in that order). */
export function stopAllAtTeardown(
  t: ExecutionContext,
  parts: {
    client: TaskClient;
    worker: Pick<BaseWorker, 'stop'>;
    proxy: { close(): Promise<void> };
    broker: RawBroker;
    queue: string;
    after?: () => void;
  },
): void {
  t.teardown(async () => {
    await parts.client.close();
    await parts.worker.stop();
    await parts.proxy.close();
    await parts.broker.deleteAll(parts.queue);
    await parts.broker.close();
    parts.after?.();
  });
}
