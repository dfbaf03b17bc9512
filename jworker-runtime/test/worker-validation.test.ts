import test from 'ava';
import { z } from 'zod';
import { BaseWorker, HEADERS, type TaskContext, TaskFailedError, WorkerError } from '../src/index.js';
import { AMQP_URL, uniqueQueue, waitFor } from './helpers/broker.js';
import { captureLogger } from './helpers/log-capture.js';
import { startWorker } from './helpers/worker.js';

const EmailTask = z.object({ to: z.string().email(), subject: z.string().min(1) });
type EmailTask = z.infer<typeof EmailTask>;

class SchemaWorker extends BaseWorker<EmailTask, { sentTo: string }> {
  protected override readonly taskSchema = EmailTask;
  protected getWorkerType() {
    return 'schema-email';
  }
  protected async executeTask(task: EmailTask, _context: TaskContext) {
    return { sentTo: task.to };
  }
}

class HookWorker extends BaseWorker<{ n: number }, number> {
  protected override async validateTask(raw: unknown): Promise<{ n: number }> {
    if (typeof raw !== 'object' || raw === null || typeof (raw as { n?: unknown }).n !== 'number') {
      throw new WorkerError('expected { n: number }', { permanent: true, code: 'BAD_SHAPE' });
    }
    return raw as { n: number };
  }
  protected getWorkerType() {
    return 'hook';
  }
  protected async executeTask(task: { n: number }) {
    return task.n * 2;
  }
}

async function setup(t: import('ava').ExecutionContext, make: (queue: string) => BaseWorker<never, unknown>) {
  const queue = uniqueQueue('validation');
  return startWorker(t, make(queue), queue);
}

test('a taskSchema (any Standard Schema: zod here) validates payloads; failures are permanent and name the fields', async (t) => {
  const { queue, client, broker } = await setup(
    t,
    (queue) => new SchemaWorker({ amqpUrl: AMQP_URL, queue, logger: captureLogger().logger }) as unknown as BaseWorker<never, unknown>,
  );
  t.deepEqual(await client.call(queue, { to: 'a@example.com', subject: 'hi' }), { sentTo: 'a@example.com' });
  const error = await t.throwsAsync(client.call(queue, { to: 'not-an-email', subject: '' }, { taskId: 'bad-shape' }), {
    instanceOf: TaskFailedError,
  });
  t.regex(error?.message ?? '', /^task failed validation: to: .+; subject: .+/);
  t.is(error?.code, 'INVALID_TASK');
  await waitFor('the dead letter', async () => (await broker.count(`${queue}.dead`)).messageCount === 1);
  const [dead] = await broker.drain(`${queue}.dead`);
  t.like(dead?.properties.headers, { [HEADERS.reason]: 'invalid', [HEADERS.attempts]: 1, [HEADERS.errorCode]: 'INVALID_TASK' });
});

test('a validateTask hook replaces the schema; what it throws is permanent', async (t) => {
  const { queue, client } = await setup(
    t,
    (queue) => new HookWorker({ amqpUrl: AMQP_URL, queue, logger: captureLogger().logger }) as unknown as BaseWorker<never, unknown>,
  );
  t.is(await client.call(queue, { n: 21 }), 42);
  const error = await t.throwsAsync(client.call(queue, { n: 'x' }), { instanceOf: TaskFailedError });
  t.is(error?.code, 'BAD_SHAPE');
  t.true(error?.permanent);
});

test('no password appears in any log line or error, even when the worker logs its config', async (t) => {
  const secret = 'pw-that-must-not-leak';
  const url = `amqp://guest:${secret}@127.0.0.1:1`;
  const logs = captureLogger('leak', 'trace', [secret]);
  const worker = new SchemaWorker({ amqpUrl: url, queue: uniqueQueue('leak'), logger: logs.logger });
  t.teardown(() => worker.stop());
  void worker.start();
  await waitFor('a connection failure line', () => logs.records.some((r) => String(r.msg).startsWith('cannot reach RabbitMQ')));
  t.false(logs.text().includes(secret));
  t.true(logs.text().includes('guest:***@'));
});
