import { errorMessage } from '../../errors/message.js';
import { maskCredentials } from '../../log/mask.js';

/** Tasks per second of one queue, by how they ended. */
export interface QueueRates {
  readonly completed: number;
  /** Dead-lettered: failed for good. */
  readonly failed: number;
  readonly retried: number;
}

/** Rates per queue, where they come from, and what could not be read. */
export interface Rates {
  readonly source: 'prometheus' | 'metrics';
  /** Per work queue; a queue no worker reported is absent. */
  readonly queues: Readonly<Record<string, QueueRates>>;
  readonly errors: readonly string[];
}

const OUTCOMES = { completed: 'completed', dead_lettered: 'failed', retried: 'retried' } as const;
type Outcome = keyof typeof OUTCOMES;
const isOutcome = (value: string): value is Outcome => Object.hasOwn(OUTCOMES, value);

/** Reads completed/failed/retried rates from a Prometheus server or from the workers' metrics endpoints. */
export interface RateSource {
  read(): Promise<Rates>;
}

/** A metrics endpoint or Prometheus slower than this is reported as an error on the page, the other sources still read. */
const FETCH_TIMEOUT_MS = 5000;

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}

function add(into: Record<string, Record<keyof QueueRates, number>>, queue: string, outcome: Outcome, value: number): void {
  const rates = into[queue] ?? { completed: 0, failed: 0, retried: 0 };
  rates[OUTCOMES[outcome]] += value;
  into[queue] = rates;
}

/** Rates over the last minute from Prometheus (`rate(jworker_tasks_total[1m])`, summed over the workers of a queue). */
export function prometheusRates(baseUrl: string): RateSource {
  const query = 'sum by (queue, outcome) (rate(jworker_tasks_total{outcome=~"completed|dead_lettered|retried"}[1m]))';
  const url = new URL(`api/v1/query?query=${encodeURIComponent(query)}`, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).href;
  return {
    async read() {
      const queues: Record<string, Record<keyof QueueRates, number>> = {};
      try {
        const answer = JSON.parse(await fetchText(url)) as {
          data?: { result?: Array<{ metric: Record<string, string>; value: [number, string] }> };
        };
        for (const { metric, value } of answer.data?.result ?? []) {
          const { queue, outcome } = metric;
          if (queue && outcome && isOutcome(outcome)) add(queues, queue, outcome, Number(value[1]) || 0);
        }
        return { source: 'prometheus', queues, errors: [] };
      } catch (error) {
        return { source: 'prometheus', queues, errors: [`Prometheus: ${maskCredentials(errorMessage(error))}`] };
      }
    },
  };
}

/** The `jworker_tasks_total` samples of a Prometheus text exposition, by queue and outcome. */
export function taskCounters(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('jworker_tasks_total{')) continue;
    const match = /^jworker_tasks_total\{(.*)\} (\S+)/.exec(line);
    if (!match?.[1]) continue;
    const labels = Object.fromEntries([...match[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (labels.queue && labels.outcome && isOutcome(labels.outcome)) out.set(`${labels.queue}\u0000${labels.outcome}`, Number(match[2]));
  }
  return out;
}

/**
 * Rates from the workers' own `/metrics` endpoints, without Prometheus: each endpoint's counters are read on every
 * call and compared with its previous reading (a counter that went down is a restarted worker: counted from 0).
 * The first reading of an endpoint gives no rate yet.
 */
export function endpointRates(urls: readonly string[]): RateSource {
  const previous = new Map<string, { at: number; counters: Map<string, number> }>();
  return {
    async read() {
      const queues: Record<string, Record<keyof QueueRates, number>> = {};
      const errors: string[] = [];
      await Promise.all(
        urls.map(async (url) => {
          try {
            const counters = taskCounters(await fetchText(url));
            const at = performance.now();
            const before = previous.get(url);
            previous.set(url, { at, counters });
            if (!before) return;
            const seconds = (at - before.at) / 1000;
            for (const [key, value] of counters) {
              const [queue = '', outcome = ''] = key.split('\u0000');
              const old = before.counters.get(key) ?? 0;
              if (seconds > 0 && isOutcome(outcome)) add(queues, queue, outcome, (value >= old ? value - old : value) / seconds);
            }
          } catch (error) {
            errors.push(`${maskCredentials(url)}: ${maskCredentials(errorMessage(error))}`);
          }
        }),
      );
      return { source: 'metrics', queues, errors };
    },
  };
}

/** Serves one reading to every page that asks within `maxAgeMs`, so several open pages do not multiply the scrapes. */
export function cachedRates(source: RateSource, maxAgeMs = 5000): RateSource {
  let last: { at: number; value: Promise<Rates> } | undefined;
  return {
    read() {
      const now = performance.now();
      if (!last || now - last.at >= maxAgeMs) last = { at: now, value: source.read() };
      return last.value;
    },
  };
}
