import type { TlsOptions } from './options.js';
import { urlProblem } from './problems.js';

/** Splits `AMQP_URL` on commas: several URLs are the nodes of a cluster, tried in turn. */
export function splitUrls(amqpUrl: string): string[] {
  return amqpUrl
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url.length > 0);
}

/** Checks each comma-separated broker URL (the nodes of a cluster); returns a problem description or undefined. */
export function amqpUrlProblem(value: string): string | undefined {
  const urls = splitUrls(value);
  if (urls.length === 0) return 'a URL (amqp://… or amqps://…)';
  for (const url of urls) {
    const problem = urlProblem(url, ['amqp:', 'amqps:']);
    if (problem) return urls.length > 1 ? `${problem} for each comma-separated node` : problem;
  }
  return undefined;
}

/**
 * TLS material with a node reached over plain `amqp://`: the files would be ignored and the password sent in clear.
 * Returns a problem description or undefined.
 */
export function tlsProblem(amqpUrl: string, tls: TlsOptions | undefined): string | undefined {
  if (tls?.ca === undefined && tls?.cert === undefined && tls?.key === undefined) return undefined;
  if (!splitUrls(amqpUrl).some((url) => url.toLowerCase().startsWith('amqp://'))) return undefined;
  return (
    'tls (AMQP_CA_FILE, AMQP_CERT_FILE, AMQP_KEY_FILE): TLS files are set but AMQP_URL has an amqp:// node, which does ' +
    'not use TLS: the files would be ignored and the password sent in clear. Use amqps:// for every node'
  );
}
