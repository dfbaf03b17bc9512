import amqplib from 'amqplib';
import type { ExecutionContext } from 'ava';
import { normalizeConfig } from '../../src/config/normalize.js';
import { loadConfig } from '../../src/index.js';
import { topology } from '../../src/wire/topology.js';
import { uniqueQueue } from '../helpers/broker.js';
import type { Cluster, ClusterNode } from '../helpers/cluster.js';
import { spawnWorker, type WorkerProcess } from '../helpers/process.js';
import { createLedger, type Ledger } from './ledger.js';

/** A connection to the first running node of the cluster. */
export async function connectAny(cluster: Cluster): Promise<amqplib.ChannelModel> {
  const errors: string[] = [];
  for (const node of cluster.nodes) {
    try {
      const connection = await amqplib.connect(node.url);
      connection.on('error', () => {});
      return connection;
    } catch (error) {
      errors.push(`${node.name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`no cluster node accepted a connection: ${errors.join('; ')}`);
}

/** Ready messages in a queue, asked of any running node. */
export async function readyCount(cluster: Cluster, queue: string): Promise<number> {
  const connection = await connectAny(cluster);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    return (await channel.checkQueue(queue)).messageCount;
  } catch {
    return 0;
  } finally {
    await connection.close().catch(() => {});
  }
}

export interface ClusterScenario {
  readonly queue: string;
  readonly ledger: Ledger;
  readonly workers: WorkerProcess[];
  /** Starts a worker whose AMQP_URL lists `urls` in this order (it connects to the first that answers). */
  spawn(urls: readonly string[]): WorkerProcess;
  /** Worker output tails and the scenario's queues on each node, for a failure message. */
  explain(): Promise<string>;
  /** Runs `body`; when it fails, logs {@link explain} before failing. */
  explaining(body: () => Promise<void>): Promise<void>;
}

/**
 * A scenario on the cluster: a quorum ledger queue on it, worker processes given the cluster's URLs; at the end the
 * workers are killed and every queue of the scenario deleted, so the next scenario starts on a clean cluster.
 */
export async function clusterScenario(t: ExecutionContext, cluster: Cluster, env: Record<string, string> = {}): Promise<ClusterScenario> {
  const queue = uniqueQueue('rel-cluster');
  const workers: WorkerProcess[] = [];
  const ledger = await createLedger(queue, { urls: cluster.nodes.map((n) => n.url), queueType: 'quorum' });
  t.teardown(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await ledger.close();
    const connection = await connectAny(cluster);
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    const specs = topology(normalizeConfig({ retry: loadConfig(env).retry ?? {} }, queue));
    for (const spec of specs) await channel.deleteQueue(spec.name).catch(() => {});
    await connection.close().catch(() => {});
  });
  const scenario: ClusterScenario = {
    queue,
    ledger,
    workers,
    spawn(urls) {
      const worker = spawnWorker({ AMQP_URL: urls.join(','), WORKER_QUEUE: queue, LOG_LEVEL: 'info', ...env }, 'reliable');
      workers.push(worker);
      return worker;
    },
    async explaining(body) {
      try {
        await body();
      } catch (error) {
        t.log(await scenario.explain());
        throw error;
      }
    },
    async explain() {
      const lines: string[] = [`tally: ${JSON.stringify(ledger.tally())}`];
      for (const node of cluster.nodes) {
        try {
          const rows = await cluster.ctl(
            node,
            '-q',
            'list_queues',
            'name',
            'type',
            'leader',
            'messages',
            'messages_ready',
            'messages_unacknowledged',
            'consumers',
          );
          lines.push(`${node.node}:`, ...rows.split('\n').filter((l) => l.includes(queue)));
          break;
        } catch (error) {
          lines.push(`${node.node}: ${(error as Error).message.split('\n')[0]}`);
        }
      }
      for (const [i, w] of workers.entries())
        lines.push(
          `worker ${i} (pid ${w.child.pid}):`,
          ...w
            .output()
            .split('\n')
            .filter((l) => !l.includes('"task '))
            .slice(-12),
        );
      return lines.join('\n');
    },
  };
  return scenario;
}

/** Waits for the worker to log `consuming from` again after `since` (ms since the epoch); resolves with that time. */
export async function consumingAfter(worker: WorkerProcess, since: number, timeoutMs = 90_000): Promise<number> {
  const record = await worker.waitForLog(
    (r) => typeof r.msg === 'string' && r.msg.startsWith('consuming from') && Date.parse(String(r.time)) >= since,
    timeoutMs,
  );
  return Date.parse(String(record.time));
}

/**
 * Consuming figures from the ledger's outcome arrivals after a fault at `since`: the longest gap between two
 * outcomes (from the fault on), and the time to recover: from the fault to the end of the last gap over 1 s
 * (outcomes flowing again without a pause), 0 when there was none.
 */
export function stallFigures(arrivals: readonly number[], since: number): { longestStallMs: number; recoverySeconds: number } {
  let previous = since;
  let longest = 0;
  let recoveredAt = since;
  for (const at of arrivals) {
    if (at < since) continue;
    const gap = at - previous;
    if (gap > longest) longest = gap;
    if (gap > 1000) recoveredAt = at;
    previous = at;
  }
  return { longestStallMs: longest, recoverySeconds: secondsBetween(since, recoveredAt) };
}

/** Seconds from `from` to `to` (ms since the epoch), to a tenth. */
export function secondsBetween(from: number, to: number): number {
  return Math.round((to - from) / 100) / 10;
}

/** Rotations of the node list: worker i connects to node i first. */
export function rotated(nodes: readonly ClusterNode[], first: number): string[] {
  return nodes.map((_, i) => (nodes[(first + i) % nodes.length] as ClusterNode).url);
}
