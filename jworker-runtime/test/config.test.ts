import test from 'ava';
import { normalizeConfig } from '../src/config/normalize.js';
import { ConfigError, loadConfig } from '../src/index.js';

test('loadConfig reads every documented variable', (t) => {
  const config = loadConfig({
    AMQP_URL: 'amqp://user:pw@rabbit:5672/vh',
    WORKER_QUEUE: 'jupiter.email',
    WORKER_QUEUE_TYPE: 'classic',
    WORKER_CONCURRENCY: '4',
    WORKER_DELIVERY_LIMIT: '7',
    RETRY_MAX_ATTEMPTS: '3',
    RETRY_INITIAL_DELAY_MS: '250',
    RETRY_MULTIPLIER: '1.5',
    RETRY_MAX_DELAY_MS: '60000',
    RETRY_JITTER: '0.1',
    RETRY_MAX_DEFERRALS: '12',
    TASK_TIMEOUT_MS: '9000',
    SHUTDOWN_TIMEOUT_MS: '15000',
    MAX_MESSAGE_BYTES: '1024',
    LOG_LEVEL: 'DEBUG',
    GRAPHQL_URL: 'http://api:4000/graphql',
    GRAPHQL_TOKEN: 'tok',
    METRICS_PORT: '9464',
  });
  t.like(config, {
    amqpUrl: 'amqp://user:pw@rabbit:5672/vh',
    queue: 'jupiter.email',
    queueType: 'classic',
    concurrency: 4,
    deliveryLimit: 7,
    retry: { maxAttempts: 3, initialDelayMs: 250, multiplier: 1.5, maxDelayMs: 60000, jitter: 0.1, maxDeferrals: 12 },
    taskTimeoutMs: 9000,
    shutdownTimeoutMs: 15000,
    maxMessageBytes: 1024,
    logLevel: 'debug',
    progress: { url: 'http://api:4000/graphql', token: 'tok' },
    metricsPort: 9464,
  });
});

test('absent variables leave the defaults to normalizeConfig', (t) => {
  const config = loadConfig({});
  t.deepEqual(config, {});
  const resolved = normalizeConfig(config, 'email');
  t.like(resolved, {
    amqpUrl: 'amqp://localhost:5672',
    queue: 'email',
    queueType: 'quorum',
    concurrency: 10,
    retry: { maxAttempts: 5, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 300000, jitter: 0 },
    taskTimeoutMs: 0,
    shutdownTimeoutMs: 30000,
    logLevel: 'info',
  });
  t.is(resolved.progress, undefined, 'no GRAPHQL_URL: reporting off');
});

test('every invalid variable is reported in one error naming the variable, value and expectation', (t) => {
  const error = t.throws(
    () =>
      loadConfig({
        WORKER_CONCURRENCY: 'ten',
        RETRY_MAX_ATTEMPTS: '0',
        RETRY_MULTIPLIER: 'x',
        LOG_LEVEL: 'loud',
        WORKER_QUEUE_TYPE: 'lazy',
        GRAPHQL_URL: 'ftp://nope',
        TASK_TIMEOUT_MS: '1.5',
      }),
    { instanceOf: ConfigError },
  );
  t.is(error?.problems.length, 7);
  t.regex(error?.message ?? '', /WORKER_CONCURRENCY: expected an integer from 1 to 65535, got "ten"/);
  t.regex(error?.message ?? '', /RETRY_MAX_ATTEMPTS: expected an integer from 1 to 1000, got "0"/);
  t.regex(error?.message ?? '', /LOG_LEVEL: expected trace, debug, info, warn, error, fatal, got "loud"/);
  t.regex(error?.message ?? '', /WORKER_QUEUE_TYPE: expected "quorum" or "classic", got "lazy"/);
  t.regex(error?.message ?? '', /GRAPHQL_URL: expected a URL with scheme http: or https:, got "ftp:\/\/nope"/);
  t.regex(error?.message ?? '', /TASK_TIMEOUT_MS/);
});

test('a malformed AMQP_URL is reported without echoing it (it may hold a password)', (t) => {
  const error = t.throws(() => loadConfig({ AMQP_URL: 'rabbit:s3cret-pw@host' }), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /AMQP_URL: expected a URL/);
  t.notRegex(error?.message ?? '', /s3cret-pw/);
});

test('options given in code are checked the same way, naming the field', (t) => {
  const error = t.throws(
    () => normalizeConfig({ concurrency: 0, retry: { jitter: 2 }, queue: 'amq.bad', shutdownTimeoutMs: -1 }, 'email'),
    {
      instanceOf: ConfigError,
    },
  );
  t.regex(error?.message ?? '', /concurrency: expected an integer from 1 to 65535, got 0/);
  t.regex(error?.message ?? '', /retry\.jitter: expected a number from 0 to 1, got 2/);
  t.regex(error?.message ?? '', /queue: names starting with "amq\." are reserved/);
  t.regex(error?.message ?? '', /shutdownTimeoutMs/);
});

test('a queue name that collides with derived queues is refused', (t) => {
  t.throws(() => normalizeConfig({ queue: 'emails.dead' }, 'x'), { message: /derived queues/ });
  t.throws(() => normalizeConfig({ queue: 'emails.retry.1000' }, 'x'), { message: /derived queues/ });
  t.throws(() => normalizeConfig({ queue: 'has space' }, 'x'), { message: /queue: expected letters/ });
});

test('code options override the environment when merged', (t) => {
  const resolved = normalizeConfig({ ...loadConfig({ WORKER_CONCURRENCY: '3' }), concurrency: 8 }, 'w');
  t.is(resolved.concurrency, 8);
});

test('an unreadable TLS file is named in the error', (t) => {
  t.throws(() => loadConfig({ AMQP_CA_FILE: '/nonexistent/ca.pem' }), {
    message: /AMQP_CA_FILE: expected a readable file \(ENOENT\), got "\/nonexistent\/ca.pem"/,
  });
});

test('AMQP_URL may list the nodes of a cluster, comma-separated, each checked', (t) => {
  const url = 'amqp://u:p@node1:5672,amqp://u:p@node2:5672';
  t.is(loadConfig({ AMQP_URL: url }).amqpUrl, url);
  t.is(normalizeConfig({ amqpUrl: url }, 'w').amqpUrl, url);
  t.throws(() => loadConfig({ AMQP_URL: 'amqp://node1:5672,http://node2' }), {
    message: /AMQP_URL: expected a URL with scheme amqp: or amqps: for each comma-separated node/,
  });
});

test('the progress buffer and stop flush deadline can be set from the environment', (t) => {
  t.like(
    loadConfig({ GRAPHQL_URL: 'http://api/graphql', PROGRESS_MAX_BUFFERED_EVENTS: '500', PROGRESS_FLUSH_TIMEOUT_MS: '2500' }).progress,
    {
      maxBufferedEvents: 500,
      flushTimeoutMs: 2500,
    },
  );
});
