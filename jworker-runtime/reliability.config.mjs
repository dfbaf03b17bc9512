// The reliability suite: fault scenarios against the real RabbitMQ. Serial, since some restart the broker.
export default {
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  files: ['test/reliability/**/*.test.ts'],
  timeout: '5m',
  concurrency: 1,
  serial: true,
  workerThreads: false,
};
