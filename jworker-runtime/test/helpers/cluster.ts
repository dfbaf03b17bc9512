import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { alive, freeSlot, killQuietly, PREFIX, removeAbandoned } from './cluster-host.js';

// A throwaway 3-node RabbitMQ cluster on this machine, beside the shared broker on 5672 (which it never touches):
// nodes c1..c3@localhost with their own AMQP and distribution ports and their own data and log folders under a temp
// dir, run as the `rabbitmq` user (its ~/.erlang.cookie), without plugins. Debian's rabbitmq-server 3.10 starts one
// in about 8 s on 2 cores; the three start side by side, then c2 and c3 join c1.

const run = promisify(execFile);
const BIN = process.env.JWORKER_RABBITMQ_BIN ?? '/usr/lib/rabbitmq/bin';
const RABBITMQ_HOME = '/var/lib/rabbitmq';
const AS_RABBITMQ = ['--reuid=rabbitmq', '--regid=rabbitmq', '--init-groups', '--'];

/** Why a cluster cannot be started here, or undefined when it can. */
export function clusterUnavailable(): string | undefined {
  if (!existsSync(path.join(BIN, 'rabbitmq-server'))) return `no rabbitmq-server in ${BIN} (set JWORKER_RABBITMQ_BIN)`;
  if (process.getuid?.() !== 0) return 'not root: the nodes run as the rabbitmq user, which needs root to switch to';
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'no setpriv (util-linux) to run the nodes as the rabbitmq user';
  }
  try {
    execFileSync('id', ['-u', 'rabbitmq'], { stdio: 'ignore' });
  } catch {
    return 'no rabbitmq user';
  }
  if (!existsSync(path.join(RABBITMQ_HOME, '.erlang.cookie'))) return `no Erlang cookie in ${RABBITMQ_HOME}`;
  return undefined;
}

export interface ClusterNode {
  /** `c1`, `c2`, `c3`. */
  readonly name: string;
  /** The Erlang node name, e.g. `c1@localhost`. */
  readonly node: string;
  readonly port: number;
  readonly url: string;
}

/** Starts the cluster. Call `close()` when done (also registered to run at process exit). */
export async function startCluster(options: { size?: number } = {}) {
  const size = options.size ?? 3;
  removeAbandoned();
  const slot = await freeSlot(size);
  const dir = mkdtempSync(path.join(os.tmpdir(), PREFIX));
  // Whose cluster this is: a run killed before its cleanup (SIGKILL, a CI timeout) leaves nodes that the next run removes.
  writeFileSync(path.join(dir, 'owner'), String(process.pid));
  writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '');
  const nodes: ClusterNode[] = Array.from({ length: size }, (_, i) => {
    const name = slot.names[i] as string;
    const port = slot.basePort + i;
    return { name, node: `${name}@localhost`, port, url: `amqp://guest:guest@127.0.0.1:${port}` };
  });
  for (const node of nodes) {
    mkdirSync(path.join(dir, node.name));
    // Its own config file: /etc/rabbitmq/rabbitmq.conf binds 5672, which belongs to the shared broker.
    writeFileSync(path.join(dir, node.name, 'rabbitmq.conf'), `listeners.tcp.1 = 127.0.0.1:${node.port}\nloopback_users = none\n`);
  }
  execFileSync('chown', ['-R', 'rabbitmq:rabbitmq', dir]);
  const processes = new Map<string, ChildProcess>();
  const beamPid = (node: ClusterNode): number | undefined => {
    try {
      return Number(readFileSync(path.join(dir, node.name, 'pid'), 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  const killAll = () => {
    for (const node of nodes) {
      const pid = beamPid(node);
      if (pid) killQuietly(pid);
    }
    for (const child of processes.values()) if (child.pid) killQuietly(-child.pid);
  };
  const removeAll = () => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', removeAll);
  // An interrupted run (Ctrl-C, a CI timeout's SIGTERM) skips 'exit' handlers: remove the nodes, then die as asked.
  const onSignal = (signal: NodeJS.Signals) => {
    removeAll();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);

  /** Runs rabbitmqctl (or another CLI tool) as the rabbitmq user; resolves with its stdout. */
  async function cli(tool: string, node: ClusterNode, ...args: string[]): Promise<string> {
    const { stdout } = await run('setpriv', [...AS_RABBITMQ, path.join(BIN, tool), '-n', node.node, ...args], {
      env: { ...process.env, HOME: RABBITMQ_HOME },
      cwd: RABBITMQ_HOME,
      timeout: 120_000,
      encoding: 'utf8',
    });
    return stdout;
  }
  const ctl = (node: ClusterNode, ...args: string[]) => cli('rabbitmqctl', node, ...args);

  /** Boots a node's Erlang VM (a fresh node, or one killed or stopped before) and waits for RabbitMQ to run. */
  async function boot(node: ClusterNode): Promise<void> {
    rmSync(path.join(dir, node.name, 'pid'), { force: true });
    const out = openSync(path.join(dir, `${node.name}.out`), 'a');
    const child = spawn('setpriv', [...AS_RABBITMQ, path.join(BIN, 'rabbitmq-server')], {
      env: {
        ...process.env,
        HOME: RABBITMQ_HOME,
        RABBITMQ_NODENAME: node.node,
        RABBITMQ_NODE_PORT: String(node.port),
        RABBITMQ_DIST_PORT: String(node.port + 20_000),
        RABBITMQ_MNESIA_BASE: path.join(dir, node.name, 'mnesia'),
        RABBITMQ_LOG_BASE: path.join(dir, node.name, 'log'),
        RABBITMQ_CONFIG_FILE: path.join(dir, node.name, 'rabbitmq.conf'),
        RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
        RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
        RABBITMQ_PID_FILE: path.join(dir, node.name, 'pid'),
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
        ERL_EPMD_ADDRESS: '127.0.0.1',
      },
      cwd: dir,
      detached: true,
      stdio: ['ignore', out, out],
    });
    processes.set(node.name, child);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`${node.node} exited with ${code} while starting; see ${dir}/${node.name}.out`))),
    );
    exited.catch(() => {});
    // A restarted node waits for the peers it last saw before it serves: await_startup covers that too.
    await Promise.race([
      waitUntil(() => existsSync(path.join(dir, node.name, 'pid')), 60_000, `${node.node} to write its pid file`),
      exited,
    ]);
    await Promise.race([ctl(node, '-q', 'await_startup', '--timeout', '120'), exited]);
  }

  const byName = (name: string): ClusterNode => {
    const node = nodes.find((n) => n.name === name || n.node === name);
    if (!node) throw new Error(`no cluster node ${name}`);
    return node;
  };
  const first = nodes[0] as ClusterNode;

  let closed: Promise<void> | undefined;
  const cluster = {
    dir,
    nodes,
    /** Every node's URL, comma-separated: an AMQP_URL for a worker. `order` rotates which node comes first. */
    amqpUrl(order: readonly ClusterNode[] = nodes): string {
      return order.map((n) => n.url).join(',');
    },
    node: byName,
    ctl,
    cli,
    /** kill -9 of a node's Erlang VM, as a crash or a power cut would. */
    kill(node: ClusterNode): void {
      const pid = beamPid(node);
      if (!pid) throw new Error(`${node.node} has no pid file: not running?`);
      process.kill(pid, 'SIGKILL');
    },
    /** Stops a node gracefully (the whole VM, as a service restart does) and waits until it exited. */
    async stop(node: ClusterNode): Promise<void> {
      const child = processes.get(node.name);
      const exited = child && child.exitCode === null ? onceExit(child) : Promise.resolve();
      await ctl(node, '-q', 'stop');
      await exited;
    },
    /** Starts a node killed or stopped before, and waits until it runs (it rejoins the cluster on its own). */
    boot,
    /**
     * Waits until stopping `node` would leave every quorum queue a majority (its members elsewhere caught up):
     * what a rolling restart checks before taking the next node down.
     */
    async awaitNotQuorumCritical(node: ClusterNode, timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          await cli('rabbitmq-queues', node, '-q', 'check_if_node_is_quorum_critical');
          return;
        } catch (error) {
          if (Date.now() > deadline)
            throw new Error(`${node.node} is still quorum-critical after ${timeoutMs} ms: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    },
    /** Brings every node back: boots those whose VM is gone, starts RabbitMQ on the others (a no-op where it runs). */
    async heal(): Promise<void> {
      await Promise.all(
        nodes.map(async (n) => {
          const pid = beamPid(n);
          if (pid === undefined || !alive(pid)) await boot(n);
          else await ctl(n, '-q', 'start_app');
        }),
      );
    },
    /** The nodes RabbitMQ runs on now, as `via` sees them. */
    async runningNodes(via: ClusterNode = first): Promise<string[]> {
      return (JSON.parse(await ctl(via, '-q', 'cluster_status', '--formatter', 'json')) as { running_nodes: string[] }).running_nodes;
    },
    /** Stops RabbitMQ on a node, keeping its VM (quick to start again with `startApp`). */
    stopApp: (node: ClusterNode) => ctl(node, '-q', 'stop_app').then(() => {}),
    startApp: (node: ClusterNode) => ctl(node, '-q', 'start_app').then(() => {}),
    /** The node that holds the leader of a quorum queue, asked of `via` (a running node). */
    async leaderOf(queue: string, via: ClusterNode = first): Promise<ClusterNode> {
      const rows = JSON.parse(await ctl(via, '-q', 'list_queues', 'name', 'leader', '--formatter', 'json')) as Array<{
        name: string;
        leader: string;
      }>;
      const row = rows.find((r) => r.name === queue);
      if (!row) throw new Error(`no queue ${queue} on the cluster`);
      return byName(row.leader);
    },
    /** The node a client is connected to, found by the `pid <pid>` in its connection name; undefined when not connected. */
    async nodeOfConnection(pid: number, via: ClusterNode = first): Promise<ClusterNode | undefined> {
      const rows = JSON.parse(await ctl(via, '-q', 'list_connections', 'port', 'client_properties', '--formatter', 'json')) as Array<{
        port: number;
        client_properties: unknown;
      }>;
      const row = rows.find((r) => JSON.stringify(r.client_properties).includes(`pid ${pid}"`));
      return row ? nodes.find((n) => n.port === row.port) : undefined;
    },
    /** Kills every node and removes the data. Idempotent. */
    close(): Promise<void> {
      closed ??= (async () => {
        killAll();
        await Promise.all([...processes.values()].map((child) => (child.exitCode === null ? onceExit(child) : undefined)));
        process.removeListener('exit', removeAll).removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal);
        rmSync(dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };

  try {
    await Promise.all(nodes.map(boot));
    for (const node of nodes.slice(1)) {
      await ctl(node, '-q', 'stop_app');
      await ctl(node, '-q', 'join_cluster', first.node);
      await ctl(node, '-q', 'start_app');
    }
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

export type Cluster = Awaited<ReturnType<typeof startCluster>>;

function onceExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
