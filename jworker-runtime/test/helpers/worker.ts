import type { ExecutionContext } from 'ava';
import type { BaseWorker, RetryOptions, WorkerConfig } from '../../src/index.js';
import { TaskClient } from '../../src/index.js';
import { SampleWorker } from '../fixtures/sample-worker.js';
import { AMQP_URL, type RawBroker, rawBroker, uniqueQueue } from './broker.js';
import { captureLogger } from './log-capture.js';

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
