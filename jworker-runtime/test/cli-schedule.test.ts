import test from 'ava';
import { parseCommand } from '../src/cli/args.js';
import { HELP } from '../src/cli/help.js';
import { HEADERS } from '../src/index.js';
import { waitFor } from './helpers/broker.js';
import { cli } from './helpers/cli.js';
import { startSample } from './helpers/worker.js';

test('enqueue --delay takes ms, s, m, h and d; --at an ISO time; not both', (t) => {
  const delay = (text: string) => {
    const command = parseCommand(['enqueue', 'q', '{}', '--delay', text]);
    return command.command === 'enqueue' ? command.schedule : undefined;
  };
  t.deepEqual(delay('90s'), { delayMs: 90_000 });
  t.deepEqual(delay('500ms'), { delayMs: 500 });
  t.deepEqual(delay('2m'), { delayMs: 120_000 });
  t.deepEqual(delay('1.5h'), { delayMs: 5_400_000 });
  t.deepEqual(delay('30d'), { delayMs: 2_592_000_000 });
  t.deepEqual(delay('250'), { delayMs: 250 });
  t.throws(() => delay('soon'), { message: /--delay expects a duration like 90s/ });
  t.throws(() => delay('5 days'), { message: /--delay expects a duration/ });
  const at = parseCommand(['enqueue', 'q', '{}', '--at', '2026-12-01T09:00:00Z']);
  t.like(at, { schedule: { notBefore: new Date('2026-12-01T09:00:00Z') } });
  t.throws(() => parseCommand(['enqueue', 'q', '{}', '--at', 'tomorrow']), { message: /--at expects an ISO 8601 time/ });
  t.throws(() => parseCommand(['enqueue', 'q', '{}', '--at', '2026-12-01T09:00:00Z', '--delay', '1s']), { message: /not both/ });
});

test('cancel takes a queue and a task id', (t) => {
  t.deepEqual(parseCommand(['cancel', 'email', 't-1']), { command: 'cancel', queue: 'email', taskId: 't-1', json: false });
  t.throws(() => parseCommand(['cancel', 'email']), { message: /missing <taskId>/ });
  t.deepEqual(parseCommand(['cancel', '--help']), { command: 'help', topic: 'cancel' });
  t.regex(HELP.main, /cancel <queue> <taskId>/);
  t.regex(HELP.enqueue, /--delay <time>/);
  t.regex(HELP.enqueue, /--at <ISO time>/);
});

test('enqueue --delay puts the task in the delay buckets, stats counts it, and cancel drops it', async (t) => {
  const { queue, worker, broker } = await startSample(t);
  const records: string[] = [];
  worker.events.on('taskEnd', (record) => records.push(record.outcome));
  const sent = await cli(['enqueue', queue, '{"action":"echo"}', '--delay', '1h', '--task-id', 'later']);
  t.is(sent.code, 0, sent.stderr);
  t.is(sent.stdout, 'later\n');
  await waitFor('the task in a delay bucket', async () => (await broker.count(`${queue}.delay.2097152`)).messageCount === 1);
  const [copy] = await broker.drain(`${queue}.delay.2097152`);
  t.true(Number(copy?.properties.headers?.[HEADERS.notBefore]) > Date.now() + 3_500_000);
  // Back where it waited, for stats and cancel to find it.
  await broker.publish(`${queue}.delay.2097152`, copy?.content ?? '', { ...copy?.properties });
  const stats = await cli(['stats', queue, '--json']);
  const rows = (JSON.parse(stats.stdout) as { queues: Array<{ name: string; kind: string; ready: number }> }).queues;
  t.like(
    rows.find((row) => row.kind === 'delay'),
    { name: `${queue}.delay.*`, ready: 1 },
  );
  const cancelled = await cli(['cancel', queue, 'later', '--json']);
  t.is(cancelled.code, 0, cancelled.stderr);
  t.deepEqual(JSON.parse(cancelled.stdout), { queue, taskId: 'later', cancelled: true });
  t.is(worker.attempts.length, 0);
});

test('cancel of a queue that does not exist exits 3', async (t) => {
  const result = await cli(['cancel', 'jw-14-no-such-queue', 't']);
  t.is(result.code, 3);
  t.regex(result.stderr, /jw-14-no-such-queue/);
});
