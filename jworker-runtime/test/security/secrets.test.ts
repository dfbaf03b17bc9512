import type { GetMessage } from 'amqplib';
import test from 'ava';
import { rawBroker, uniqueQueue, waitFor } from '../helpers/broker.js';
import { cli } from '../helpers/cli.js';
import { consuming, spawnWorker } from '../helpers/process.js';
import { ensureUser, hasRabbitmqctl } from '../helpers/rabbitmqctl.js';
import { startProgressServer } from '../progress-server.js';

// The fixture's errors, progress steps and own log lines quote the worker's AMQP_URL (every node), its GRAPHQL_TOKEN
// and a foreign connection string. Not one of those secrets may come out of the worker or the CLI, anywhere.

const SECRETS = {
  /** The broker password, with the ":" and "@" that used to cut the URL mask short. */
  amqpPassword: 'sec:P@ss-w0rd-41d7',
  /** What was left of it after the old mask cut at the first "@". */
  amqpPasswordTail: 'ss-w0rd-41d7',
  amqpPasswordEncoded: 'sec%3AP%40ss-w0rd-41d7',
  /** The password of the second node of the comma-separated AMQP_URL (never connected to). */
  secondNode: 'node2-S3cret-88a',
  token: 'tok-9c1e-Secret-graphql',
  /** A password the runtime does not know, inside a URL in an error message. */
  foreign: 'db-Pa55-9e1',
};
const USER = 'jworker-security';

function secretsIn(text: string): string[] {
  return Object.entries(SECRETS)
    .filter(([, secret]) => text.includes(secret))
    .map(([name]) => name);
}

test('upstream errors quoting the secrets leak into no log line, header, reply, progress event or CLI output', async (t) => {
  const login = hasRabbitmqctl() ? `${USER}:${SECRETS.amqpPasswordEncoded}` : 'guest:guest';
  if (hasRabbitmqctl()) ensureUser(USER, SECRETS.amqpPassword);
  else t.log('rabbitmqctl is not available: the worker logs in as guest; the other secrets are still checked');
  const amqpUrl = `amqp://${login}@127.0.0.1:5672,amqp://n2:${SECRETS.secondNode}@127.0.0.1:1`;
  const queue = uniqueQueue('leaky');
  const replies = `${queue}.replies`;
  const retryQueue = `${queue}.retry.3000`;
  const endpoint = await startProgressServer();
  const broker = await rawBroker();
  await broker.channel.assertQueue(replies, { durable: true });
  const worker = spawnWorker(
    {
      AMQP_URL: amqpUrl,
      WORKER_QUEUE: queue,
      GRAPHQL_URL: endpoint.url,
      GRAPHQL_TOKEN: SECRETS.token,
      PROGRESS_FLUSH_INTERVAL_MS: '20',
      RETRY_INITIAL_DELAY_MS: '3000',
      RETRY_MAX_ATTEMPTS: '2',
      LEAK_DECODED: SECRETS.amqpPassword,
    },
    'leaky',
  );
  t.teardown(async () => {
    worker.child.kill('SIGKILL');
    await worker.exited;
    await broker.channel.deleteQueue(replies).catch(() => {});
    await broker.deleteAll(queue, { initialDelayMs: 3000, maxAttempts: 2 });
    await broker.close();
    await endpoint.close();
  });
  await consuming(worker);

  const send = (taskId: string, fail: string) =>
    broker.publish(queue, JSON.stringify({ fail }), { messageId: taskId, replyTo: replies, correlationId: taskId });
  await send('transient', 'transient');
  await send('permanent', 'permanent');
  await send('completes', 'never');
  await send('salvage-me', 'never');

  // The retry copy waits 3 s in its retry queue: read its headers there, then put it back.
  await waitFor('the retry copy', async () => (await broker.count(retryQueue)).messageCount === 1);
  const retryCopy = (await broker.channel.get(retryQueue, { noAck: false })) as GetMessage;
  const retryHeaders = JSON.stringify(retryCopy.properties.headers);
  broker.channel.nack(retryCopy, false, true);

  await waitFor('three dead letters', async () => (await broker.count(`${queue}.dead`)).messageCount === 3, 20_000);
  await waitFor('three replies', async () => (await broker.count(replies)).messageCount === 3, 20_000);
  await waitFor('the FAILED event of the retried task', () =>
    endpoint.events().some((event) => event.taskId === 'transient' && event.status === 'FAILED'),
  );

  const cliEnv = { AMQP_URL: amqpUrl };
  const outputs: Record<string, string> = {};
  for (const [name, argv] of Object.entries({
    'dead list': ['dead', 'list', queue],
    'dead list --json': ['dead', 'list', queue, '--json'],
    stats: ['stats', queue],
    'unreachable broker': ['stats', queue],
  })) {
    const env = name === 'unreachable broker' ? { AMQP_URL: `amqp://${login}@127.0.0.1:1` } : cliEnv;
    const run = await cli(argv, { env });
    outputs[`jworker ${name}`] = run.stdout + run.stderr;
  }
  const dead = await broker.drain(`${queue}.dead`);
  const replyBodies = await broker.drain(replies);
  worker.child.kill('SIGTERM');
  await worker.exited;

  outputs['worker stdout and stderr'] = worker.output();
  outputs['retry copy headers'] = retryHeaders;
  outputs['dead-letter headers'] = JSON.stringify(dead.map((m) => m.properties.headers));
  outputs.replies = replyBodies.map((m) => m.content.toString()).join('\n');
  outputs['progress events'] = JSON.stringify(endpoint.events());
  for (const [where, text] of Object.entries(outputs)) t.deepEqual(secretsIn(text), [], `${where} holds a secret`);

  // Nothing vacuous: the texts that would have carried the secrets are there, redacted.
  const errors = dead.map((m) => String(m.properties.headers?.['x-jworker-error']));
  t.is(errors.length, 3);
  for (const error of errors) t.regex(error, /postgres:\/\/app:\*\*\*@db\.internal:5432\/orders/);
  t.regex(errors.join('\n'), /internal error: listener bug/);
  t.regex(retryHeaders, /upstream refused/);
  t.regex(outputs.replies ?? '', /"status":"failed".*upstream refused/);
  t.regex(outputs.replies ?? '', /"status":"completed"/);
  t.regex(outputs['worker stdout and stderr'] ?? '', /my own line quotes/);
  t.regex(outputs['worker stdout and stderr'] ?? '', /task failed, retrying in \d+ ms: upstream refused/);
  t.regex(outputs['progress events'] ?? '', /still at \*\*\*/);
  t.regex(outputs['jworker dead list --json'] ?? '', /upstream refused/);
});
