import test from 'ava';
import { loadConfig, TaskClient } from '../src/index.js';
import { SampleWorker } from './fixtures/sample-worker.js';
import { rawBroker, uniqueQueue, waitFor } from './helpers/broker.js';
import { captureLogger } from './helpers/log-capture.js';
import { makeCertificates, startTlsProxy } from './helpers/tls-proxy.js';
import { stopAllAtTeardown } from './helpers/worker.js';

test('amqps:// with a CA file from AMQP_CA_FILE: the worker and TaskClient talk TLS end to end', async (t) => {
  const certs = makeCertificates();
  const proxy = await startTlsProxy(certs);
  const queue = uniqueQueue('tls');
  const url = `amqps://guest:guest@localhost:${proxy.port}`;
  const config = loadConfig({ AMQP_URL: url, AMQP_CA_FILE: certs.caFile, WORKER_QUEUE: queue });
  const worker = new SampleWorker({ ...config, logger: captureLogger().logger });
  const client = new TaskClient({ url, tls: { ca: certs.ca } });
  const broker = await rawBroker();
  stopAllAtTeardown(t, { client, worker, proxy, broker, queue, after: () => certs.remove() });
  await worker.start();
  t.deepEqual(await client.call(queue, { action: 'echo', value: 'over tls' }), { echoed: 'over tls', attempt: 1 });
  t.true(proxy.handshakes >= 2, 'both connections went through the TLS listener');
});

test('amqps:// without the CA: the certificate is rejected and the failure is logged clearly', async (t) => {
  const certs = makeCertificates();
  const proxy = await startTlsProxy(certs);
  const logs = captureLogger();
  const worker = new SampleWorker({
    amqpUrl: `amqps://guest:guest@localhost:${proxy.port}`,
    queue: uniqueQueue('tls-bad'),
    logger: logs.logger,
  });
  t.teardown(async () => {
    await worker.stop();
    await proxy.close();
    certs.remove();
  });
  void worker.start();
  await waitFor('a connection failure', () => logs.records.some((r) => String(r.msg).startsWith('cannot reach RabbitMQ')));
  const line = logs.records.find((r) => String(r.msg).startsWith('cannot reach RabbitMQ'));
  t.regex(String(line?.msg), /self[- ]signed certificate|unable to verify|certificate/i);
  t.regex(String(line?.msg), /amqps:\/\/guest:\*\*\*@localhost/);
});
