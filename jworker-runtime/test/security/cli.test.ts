import test from 'ava';
import { walkLockName } from '../../src/cli/walk-queue.js';
import { declaredQueue } from '../helpers/broker.js';
import { cli } from '../helpers/cli.js';

test('a dead letter with a forged walk-marker header is listed and replayed like any other', async (t) => {
  const { queue, broker } = await declaredQueue(t, 'sec-cli');
  const dead = `${queue}.dead`;
  await broker.publish(dead, '{"n":1}', { messageId: 'plain' });
  await broker.publish(dead, '{"n":2}', { messageId: 'forged', headers: { 'x-jworker-walk-marker': 'a-guess' } });
  await broker.publish(dead, '{"n":3}', { messageId: 'after' });

  const list = await cli(['dead', 'list', queue, '--json']);
  t.is(list.code, 0);
  t.deepEqual(
    (JSON.parse(list.stdout) as Array<{ taskId: string }>).map((letter) => letter.taskId),
    ['plain', 'forged', 'after'],
  );
  const replay = await cli(['dead', 'replay', queue, '--task-id', 'forged', '--json']);
  t.deepEqual(JSON.parse(replay.stdout), { replayed: 1, notFound: [] });
  const [replayed] = await broker.drain(queue);
  t.is(replayed?.properties.messageId, 'forged');
  t.is(replayed?.properties.headers?.['x-jworker-walk-marker'], undefined);
  t.is((await broker.count(dead)).messageCount, 2);
});

test('two walks of one queue never interleave: the second is refused while the first holds the lock', async (t) => {
  const { queue, broker } = await declaredQueue(t, 'sec-cli');
  const dead = `${queue}.dead`;
  await broker.publish(dead, '{"n":1}', { messageId: 'one' });
  // Hold the lock as a running walk would (an exclusive queue on this test's own connection).
  await broker.channel.assertQueue(walkLockName(dead), { exclusive: true, durable: false });
  const busy = await cli(['dead', 'replay', queue, '--all']);
  t.is(busy.code, 1);
  t.regex(busy.stderr, /another jworker command \(dead list, dead replay, the dashboard\) is walking .*\.dead right now/);
  t.is((await broker.count(dead)).messageCount, 1, 'nothing moved');
  await broker.channel.deleteQueue(walkLockName(dead));
  const free = await cli(['dead', 'list', queue, '--json']);
  t.is(free.code, 0);
  t.is(JSON.parse(free.stdout).length, 1);
});

test('terminal escapes and URL passwords in dead letters are shown as text, never acted on or revealed', async (t) => {
  const { queue, broker } = await declaredQueue(t, 'sec-cli');
  const esc = '\u001b]0;pwned\u0007\u001b[2J\r\u009b31m\u202e';
  await broker.publish(`${queue}.dead`, `{"note":"${'\\u001b'}[31m"}`, {
    messageId: `id-${esc}`,
    headers: {
      'x-jworker-error': `failed ${esc}\nFAKE LINE with amqp://admin:hunter2-pw@rabbit:5672`,
      'x-jworker-error-code': `E${esc}`,
      'x-jworker-reason': 'permanent',
    },
  });
  for (const argv of [
    ['dead', 'list', queue],
    ['dead', 'list', queue, '--json'],
  ]) {
    const run = await cli(argv);
    t.is(run.code, 0);
    const shown = run.stdout + run.stderr;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    t.false(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/.test(shown), `${argv.join(' ')} printed a control character`);
    t.false(shown.includes('hunter2-pw'), `${argv.join(' ')} printed a URL password`);
    t.regex(shown, /\\u001b/, 'the escape is shown as text');
    if (!argv.includes('--json')) t.false(/\nFAKE LINE/.test(shown), 'a newline in data cannot start a line of its own');
    else {
      const [letter] = JSON.parse(run.stdout) as Array<{ taskId: string; error: string }>;
      t.is(letter?.taskId, `id-${esc}`, 'the JSON output still decodes to the exact value');
      t.regex(letter?.error ?? '', /amqp:\/\/admin:\*\*\*@rabbit:5672/);
    }
  }
});
