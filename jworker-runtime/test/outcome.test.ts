import type { Options } from 'amqplib';
import test from 'ava';
import { WorkerError } from '../src/index.js';
import { queueNames } from '../src/wire/names.js';
import type { AttemptOutcome } from '../src/worker/attempt.js';
import { MissingQueueError, type OutcomeTarget, type RecordedDelivery, recordOutcome, salvage } from '../src/worker/outcome.js';

// Outcome recording without a broker: a target that keeps what would be published, acked and requeued.

interface Published {
  readonly queue: string;
  readonly body: string;
  readonly options: Options.Publish;
}

function fakeTarget(failOn?: (queue: string) => boolean, missing?: (queue: string) => boolean) {
  const published: Published[] = [];
  const settled: string[] = [];
  const target: OutcomeTarget = {
    async publish(queue, content, options) {
      if (failOn?.(queue)) throw new Error('channel closed');
      if (missing?.(queue)) return false;
      published.push({ queue, body: content.toString(), options });
      return true;
    },
    async declare(spec) {
      settled.push(`declare ${spec.name}`);
    },
    ack: () => settled.push('ack'),
    requeue: () => settled.push('requeue'),
  };
  return { target, published, settled };
}

const ctx = {
  names: queueNames('orders'),
  queueType: 'quorum' as const,
  workerType: 'orders',
  text: (error: unknown) => String((error as Error).message).replace('s3cret', '***'),
  unroutableReply: () => {},
  missingQueue: () => {},
};

/** The context, noting what it is told about missing queues and unroutable replies. */
function noting() {
  const noticed: string[] = [];
  return {
    noticed,
    ctx: {
      ...ctx,
      unroutableReply: (replyTo: string) => void noticed.push(`unroutable ${replyTo}`),
      missingQueue: (queue: string) => void noticed.push(`missing ${queue}`),
    },
  };
}

const delivery = (overrides: Partial<RecordedDelivery> = {}): RecordedDelivery => ({
  taskId: 't-1',
  attempt: 2,
  content: Buffer.from('{"n":1}'),
  properties: { messageId: 't-1', correlationId: 'c-1', headers: { tenant: 'acme', CC: ['elsewhere'], 'x-jworker-attempt': 2 } },
  replyTo: 'amq.rabbitmq.reply-to.abc',
  ...overrides,
});

test('a completed task: the reply (mandatory, persistent, correlated), then the ack', async (t) => {
  const { target, published, settled } = fakeTarget();
  const outcome: AttemptOutcome<unknown> = { status: 'completed', result: { ok: 1 }, resultJson: '{"ok":1}' };
  t.is(await recordOutcome(target, delivery(), outcome, ctx), 'completed');
  t.is(published.length, 1);
  t.like(published[0], { queue: 'amq.rabbitmq.reply-to.abc', body: '{"taskId":"t-1","status":"completed","result":{"ok":1}}' });
  t.like(published[0]?.options, { correlationId: 'c-1', messageId: 't-1', persistent: true, mandatory: true });
  t.deepEqual(settled, ['ack']);
});

test('a retried task: a copy in the retry queue of its delay, with the next attempt and the last error, then the ack', async (t) => {
  const { target, published, settled } = fakeTarget();
  const outcome: AttemptOutcome<unknown> = {
    status: 'retried',
    error: new Error('upstream s3cret refused'),
    delayMs: 1500,
    queueDelayMs: 2000,
    nextAttempt: 3,
    delayed: false,
    deferrals: 0,
  };
  t.is(await recordOutcome(target, delivery(), outcome, ctx), 'retried');
  t.deepEqual(
    published.map((p) => p.queue),
    ['orders.retry.2000'],
    'no reply for an attempt that will be retried',
  );
  t.like(published[0]?.options, {
    messageId: 't-1',
    persistent: true,
    expiration: '1500',
    headers: { tenant: 'acme', 'x-jworker-attempt': 3, 'x-jworker-last-error': 'upstream *** refused' },
  });
  t.is(published[0]?.options.headers?.CC, undefined);
  t.deepEqual(settled, ['ack']);
});

test('a dead-lettered task: the dead letter with its failure headers, the failure reply, then the ack', async (t) => {
  const { target, published, settled } = fakeTarget();
  const error = new WorkerError('no such customer', { permanent: true, code: 'NO_CUSTOMER' });
  t.is(await recordOutcome(target, delivery(), { status: 'dead_lettered', error, reason: 'permanent' }, ctx), 'dead_lettered');
  t.deepEqual(
    published.map((p) => p.queue),
    ['orders.dead', 'amq.rabbitmq.reply-to.abc'],
  );
  t.like(published[0]?.options.headers, {
    tenant: 'acme',
    'x-jworker-error': 'no such customer',
    'x-jworker-error-code': 'NO_CUSTOMER',
    'x-jworker-reason': 'permanent',
    'x-jworker-attempts': 2,
    'x-jworker-worker-type': 'orders',
  });
  t.is(published[0]?.options.headers?.['x-jworker-attempt'], undefined, 'the reserved headers are the copy’s own');
  t.deepEqual(JSON.parse(published[1]?.body ?? ''), {
    taskId: 't-1',
    status: 'failed',
    error: { message: 'no such customer', code: 'NO_CUSTOMER', permanent: true },
  });
  t.deepEqual(settled, ['ack']);
});

test('an exhausted task without a code gets EXHAUSTED and a reply saying it may succeed later', async (t) => {
  const { target, published } = fakeTarget();
  await recordOutcome(
    target,
    delivery({ replyTo: 'x.replies' }),
    { status: 'dead_lettered', error: new Error('flaky'), reason: 'exhausted' },
    ctx,
  );
  t.is(published[0]?.options.headers?.['x-jworker-error-code'], 'EXHAUSTED');
  t.like(JSON.parse(published[1]?.body ?? ''), { error: { code: 'EXHAUSTED', permanent: false } });
});

test('a publish that is not confirmed rejects and leaves the delivery unacked (the broker delivers it again)', async (t) => {
  const { target, settled } = fakeTarget((queue) => queue === 'orders.dead');
  await t.throwsAsync(recordOutcome(target, delivery(), { status: 'dead_lettered', error: new Error('x'), reason: 'permanent' }, ctx), {
    message: 'channel closed',
  });
  t.deepEqual(settled, []);
});

test('an abandoned attempt records nothing and is not acked', async (t) => {
  const { target, published, settled } = fakeTarget();
  t.is(await recordOutcome(target, delivery(), { status: 'abandoned', error: new Error('stop') }, ctx), 'abandoned');
  t.deepEqual(published, []);
  t.deepEqual(settled, []);
});

test('salvage parks the message in the dead queue as internal, or gives it back to its queue when even that fails', async (t) => {
  const parked = fakeTarget();
  const { replyTo: _, ...input } = delivery();
  t.is(await salvage(parked.target, input, new Error('bug with s3cret'), ctx), 'dead_lettered');
  t.is(parked.published[0]?.queue, 'orders.dead');
  t.like(parked.published[0]?.options.headers, {
    'x-jworker-error': 'internal error: bug with ***',
    'x-jworker-error-code': 'INTERNAL',
    'x-jworker-reason': 'internal',
  });
  t.deepEqual(parked.settled, ['ack']);

  const stuck = fakeTarget(() => true);
  t.is(await salvage(stuck.target, input, new Error('bug'), ctx), 'unrecorded');
  t.deepEqual(stuck.settled, ['requeue']);
});

test('a copy that reaches no queue (a deleted retry queue) is not made: the queue is reported missing, nothing is acked', async (t) => {
  const { noticed, ctx } = noting();
  const { target, settled } = fakeTarget(undefined, (queue) => queue === 'orders.retry.2000');
  const outcome: AttemptOutcome<unknown> = {
    status: 'retried',
    error: new Error('x'),
    delayMs: 2000,
    queueDelayMs: 2000,
    nextAttempt: 2,
    delayed: false,
    deferrals: 0,
  };
  await t.throwsAsync(recordOutcome(target, delivery(), outcome, ctx), { instanceOf: MissingQueueError });
  t.deepEqual(noticed, ['missing orders.retry.2000']);
  t.deepEqual(settled, []);
});

test('a reply that reaches no queue is reported, and the task is still acked', async (t) => {
  const { noticed, ctx } = noting();
  const { target, settled } = fakeTarget(undefined, (queue) => queue.startsWith('amq.rabbitmq.reply-to'));
  await recordOutcome(target, delivery(), { status: 'completed', result: 1, resultJson: '1' }, ctx);
  t.deepEqual(noticed, ['unroutable amq.rabbitmq.reply-to.abc']);
  t.deepEqual(settled, ['ack']);
});
