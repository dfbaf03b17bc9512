import test from 'ava';
import { DEFAULT_LIST_LIMIT, DEFAULT_TIMEOUT_MS, parseCommand, parseTaskJson } from '../src/cli/args.js';
import { EXIT, UsageError } from '../src/cli/errors.js';
import { producerHeaders, replayCopy } from '../src/wire/copy.js';

function usage(argv: string[]): string {
  const error = (() => {
    try {
      parseCommand(argv);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  if (!(error instanceof UsageError)) throw new Error(`expected a usage error for ${argv.join(' ')}`);
  if (error.exitCode !== EXIT.usage) throw new Error('usage errors exit with 2');
  return error.message;
}

test('help and --help ask for the main help; no arguments at all is a usage error that shows it', (t) => {
  for (const argv of [['help'], ['--help'], ['-h']]) t.deepEqual(parseCommand(argv), { command: 'help', topic: 'main' });
  t.deepEqual(parseCommand([]), { command: 'usage', topic: 'main' });
});

test('--version, -v and version ask for the version', (t) => {
  for (const argv of [['--version'], ['-v'], ['version']]) t.deepEqual(parseCommand(argv), { command: 'version' });
});

test('every command has its own --help', (t) => {
  t.deepEqual(parseCommand(['enqueue', '--help']), { command: 'help', topic: 'enqueue' });
  t.deepEqual(parseCommand(['stats', '-h']), { command: 'help', topic: 'stats' });
  t.deepEqual(parseCommand(['dead', '--help']), { command: 'help', topic: 'dead' });
  t.deepEqual(parseCommand(['dead']), { command: 'usage', topic: 'dead' }, 'a subcommand is missing');
  t.deepEqual(parseCommand(['dead', 'list', '--help']), { command: 'help', topic: 'dead list' });
  t.deepEqual(parseCommand(['dead', 'replay', 'q', '--help']), { command: 'help', topic: 'dead replay' });
  t.deepEqual(parseCommand(['dead', 'purge', '--help']), { command: 'help', topic: 'dead purge' });
});

test('enqueue takes inline JSON, @file or - with --wait, --timeout, --task-id and --json', (t) => {
  t.deepEqual(parseCommand(['enqueue', 'email', '{"a":1}']), {
    command: 'enqueue',
    queue: 'email',
    payload: { kind: 'inline', text: '{"a":1}' },
    wait: false,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    taskId: undefined,
    json: false,
    schedule: undefined,
  });
  t.like(parseCommand(['enqueue', 'email', '@task.json', '--wait', '--timeout', '5000', '--task-id', 't1', '--json']), {
    payload: { kind: 'file', path: 'task.json' },
    wait: true,
    timeoutMs: 5000,
    taskId: 't1',
    json: true,
  });
  t.like(parseCommand(['enqueue', 'email', '-']), { payload: { kind: 'stdin' } });
});

test('bad input is a usage error that says what is wrong', (t) => {
  t.regex(usage(['frob']), /unknown command "frob"/);
  t.regex(usage(['enqueue']), /missing <queue>/);
  t.regex(usage(['enqueue', 'q']), /missing the task/);
  t.regex(usage(['enqueue', 'bad queue', '{}']), /bad queue name "bad queue"/);
  t.regex(usage(['enqueue', 'amq.x', '{}']), /reserved/);
  t.regex(usage(['enqueue', 'q.dead', '{}']), /derived queues/);
  t.regex(usage(['enqueue', 'q', '{}', 'extra']), /unexpected argument "extra"/);
  t.regex(usage(['enqueue', 'q', '{}', '--timeout', '0']), /--timeout expects a positive integer/);
  t.regex(usage(['enqueue', 'q', '@']), /file path/);
  t.regex(usage(['stats', 'q', '--bogus']), /Unknown option '--bogus'/);
  t.regex(usage(['stats', 'q', '--retry-delays', '1000,x']), /--retry-delays/);
  t.regex(usage(['dead', 'list', 'q', '--limit', '-1']), /--limit|argument/);
  t.regex(usage(['dead', 'replay', 'q']), /--task-id <id> \(repeatable\) or --all/);
  t.regex(usage(['dead', 'replay', 'q', '--all', '--task-id', 'a']), /not both/);
  t.regex(usage(['dead', 'nope', 'q']), /unknown subcommand "nope"/);
});

test('dead subcommands parse their options', (t) => {
  t.deepEqual(parseCommand(['dead', 'list', 'q']), { command: 'dead list', queue: 'q', limit: DEFAULT_LIST_LIMIT, json: false });
  t.deepEqual(parseCommand(['dead', 'list', 'q', '--limit', '5', '--json']), { command: 'dead list', queue: 'q', limit: 5, json: true });
  t.deepEqual(parseCommand(['dead', 'replay', 'q', '--task-id', 'a', '--task-id', 'b', '--task-id', 'a']), {
    command: 'dead replay',
    queue: 'q',
    taskIds: ['a', 'b'],
    json: false,
  });
  t.like(parseCommand(['dead', 'replay', 'q', '--all']), { taskIds: 'all' });
  t.deepEqual(parseCommand(['dead', 'purge', 'q']), { command: 'dead purge', queue: 'q', yes: false, json: false });
  t.like(parseCommand(['dead', 'purge', 'q', '--yes']), { yes: true });
  t.like(parseCommand(['stats', 'q', '--retry-delays', '1000, 2000,1000']), { retryDelays: [1000, 2000] });
});

test('task JSON errors name the source', (t) => {
  t.deepEqual(parseTaskJson('{"a":[1]}', 'x'), { a: [1] });
  t.throws(() => parseTaskJson('{oops', 'task.json'), { instanceOf: UsageError, message: /task from task\.json is not valid JSON/ });
});

test('a replayed copy drops every failure header and keeps identity and reply routing', (t) => {
  const headers = {
    'x-jworker-attempt': 3,
    'x-jworker-error': 'boom',
    'x-jworker-error-code': 'E',
    'x-jworker-attempts': 3,
    'x-jworker-failed-at': 'now',
    'x-jworker-reason': 'exhausted',
    'x-jworker-last-error': 'boom',
    'x-death': [],
    'x-first-death-reason': 'delivery_limit',
    'x-delivery-count': 20,
    tenant: 'acme',
  };
  t.deepEqual(producerHeaders(headers), { tenant: 'acme' });
  const props = replayCopy({ messageId: 'm', correlationId: 'c', replyTo: 'r', contentType: 'application/json', headers });
  t.like(props, { messageId: 'm', correlationId: 'c', replyTo: 'r', persistent: true, mandatory: true, headers: { tenant: 'acme' } });
});

test('dashboard takes a port, a host, queues, a rate source and snapshot limits, with defaults', (t) => {
  t.deepEqual(parseCommand(['dashboard', '--help']), { command: 'help', topic: 'dashboard' });
  t.deepEqual(parseCommand(['dashboard']), {
    command: 'dashboard',
    host: '127.0.0.1',
    port: 8080,
    queues: undefined,
    retryDelays: undefined,
    prometheusUrl: undefined,
    metricsUrls: [],
    maxLetters: 50_000,
    autoSnapshot: 1000,
  });
  t.like(
    parseCommand([
      'dashboard',
      '--port',
      '0',
      '--host',
      '::1',
      '--queues',
      ' a, b ,a',
      '--metrics-url',
      'http://w1:9464/metrics,http://w2:9464/metrics',
      '--metrics-url',
      'http://w3:9464/metrics',
      '--max-letters',
      '10',
      '--auto-snapshot',
      '0',
    ]),
    {
      port: 0,
      host: '::1',
      queues: ['a', 'b'],
      metricsUrls: ['http://w1:9464/metrics', 'http://w2:9464/metrics', 'http://w3:9464/metrics'],
      maxLetters: 10,
      autoSnapshot: 0,
    },
  );
  t.like(parseCommand(['dashboard', '--prometheus-url', 'http://prom:9090']), { prometheusUrl: 'http://prom:9090/' });
  t.regex(usage(['dashboard', '--port', '70000']), /--port expects 0 to 65535/);
  t.regex(usage(['dashboard', '--queues', ',']), /--queues names no queue/);
  t.regex(usage(['dashboard', '--queues', 'x.dead']), /bad queue name "x\.dead"/);
  t.regex(usage(['dashboard', '--prometheus-url', 'ftp://x']), /--prometheus-url expects an http\(s\) URL/);
  t.regex(usage(['dashboard', 'extra']), /unexpected argument "extra"/);
});
