import { type DashboardCommand, queueList } from '../args.js';
import type { CliSettings } from '../broker.js';
import { EXIT, type ExitCode, UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { retryDelaysFor } from '../stats.js';
import { isLoopback } from './access.js';
import { cachedRates, endpointRates, prometheusRates, type RateSource } from './rates.js';
import { startDashboard } from './server.js';

/** A token shorter than this is refused: it guards a page that replays and purges. */
const MIN_TOKEN_LENGTH = 16;

/**
 * `jworker dashboard`: serves the operators' page until SIGINT or SIGTERM. Queues come from --queues or JWORKER_QUEUES
 * (AMQP cannot list queues); a host other than a loopback address needs DASHBOARD_TOKEN.
 */
export async function dashboard(
  cmd: DashboardCommand,
  settings: CliSettings,
  io: CliIo,
  redact: (text: string) => string,
): Promise<ExitCode> {
  const fromEnv = io.env.JWORKER_QUEUES;
  const queues = cmd.queues ?? (fromEnv ? queueList(fromEnv, 'JWORKER_QUEUES') : undefined);
  if (!queues) throw new UsageError('dashboard: say which queues to show: --queues q1,q2 or JWORKER_QUEUES (AMQP cannot list queues)');
  const token = io.env.DASHBOARD_TOKEN === '' ? undefined : io.env.DASHBOARD_TOKEN;
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH)
    throw new UsageError(`dashboard: DASHBOARD_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters (try: openssl rand -hex 32)`);
  if (!isLoopback(cmd.host) && token === undefined)
    throw new UsageError(`dashboard: --host ${cmd.host} is reachable from other machines; set DASHBOARD_TOKEN to serve there`);
  if (cmd.prometheusUrl && cmd.metricsUrls.length > 0) throw new UsageError('dashboard: give --prometheus-url or --metrics-url, not both');
  let rates: RateSource | undefined;
  if (cmd.prometheusUrl) rates = cachedRates(prometheusRates(cmd.prometheusUrl));
  else if (cmd.metricsUrls.length > 0) rates = cachedRates(endpointRates(cmd.metricsUrls));

  let server: Awaited<ReturnType<typeof startDashboard>>;
  try {
    server = await startDashboard({
      settings,
      host: cmd.host,
      port: cmd.port,
      queues,
      retryDelays: (queue) => cmd.retryDelays ?? retryDelaysFor(settings, queue),
      token,
      rates,
      maxLetters: cmd.maxLetters,
      autoSnapshot: cmd.autoSnapshot,
      redact,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`dashboard: port ${cmd.port} on ${cmd.host} is taken; choose another with --port`);
    if (code === 'EADDRNOTAVAIL') throw new UsageError(`dashboard: ${cmd.host} is not an address of this machine`);
    throw error;
  }
  io.out(`jworker dashboard on ${server.url} for ${queues.join(', ')}${token ? ' (DASHBOARD_TOKEN required)' : ''}; Ctrl+C stops it\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  io.out('jworker dashboard stopped\n');
  return EXIT.ok;
}
