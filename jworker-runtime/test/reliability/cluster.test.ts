import test from 'ava';
import { waitFor } from '../helpers/broker.js';
import { type Cluster, type ClusterNode, clusterUnavailable, startCluster } from '../helpers/cluster.js';
import { consuming } from '../helpers/process.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { clusterScenario, consumingAfter, readyCount, rotated, secondsBetween, stallFigures } from './cluster-harness.js';
import { recordFigures, show } from './harness.js';

// The reliability scenarios on a 3-node RabbitMQ cluster (quorum queues, the workers given every node), started
// beside the shared broker and shared by every scenario here; each scenario leaves all three nodes running and
// deletes its queues. Where no cluster can run (no rabbitmq-server, not root), every scenario is reported as skipped
// with the reason in its title.
const unavailable = clusterUnavailable();
const clusterTest = unavailable ? test.skip : test.serial;
const title = (text: string) => (unavailable ? `${text} (skipped: ${unavailable})` : text);
if (unavailable) console.log(`[reliability] cluster scenarios skipped: ${unavailable}`);

let cluster: Cluster;
const node = (i: number) => cluster.nodes[i] as ClusterNode;

test.before(async () => {
  if (unavailable) return;
  const started = Date.now();
  cluster = await startCluster();
  console.log(
    `[reliability] cluster ${cluster.nodes.map((n) => `${n.node}:${n.port}`).join(', ')} up in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
});

test.after.always(async () => {
  await cluster?.close();
});

// A scenario that failed half-way may leave a node down: the next one starts on three running nodes again.
test.afterEach.always(async () => {
  if (unavailable) return;
  const running = await cluster.runningNodes().catch(() => []);
  if (running.length < 3) await cluster.heal();
});

test.beforeEach(async (t) => {
  if (unavailable) return;
  t.is((await cluster.runningNodes()).length, 3, 'the scenario starts on a healthy cluster');
});

clusterTest(title('cluster: kill -9 of the node a worker is connected to, mid-run: none lost'), async (t) => {
  const { ledger, spawn, explaining } = await clusterScenario(t, cluster, { WORKER_CONCURRENCY: '10' });
  const a = spawn(rotated(cluster.nodes, 0));
  const b = spawn(rotated(cluster.nodes, 1));
  await Promise.all([a, b].map(consuming));
  const victim = await cluster.nodeOfConnection(a.child.pid as number);
  t.truthy(victim, 'worker a is connected to a node');
  const total = 1500;
  await ledger.send(Array.from({ length: total }, (_, n) => ({ n, sleepMs: 20 })));
  await waitFor('25% done', () => ledger.tally().completed >= total / 4, 60_000);
  const killedAt = Date.now();
  cluster.kill(victim as ClusterNode);
  // The node comes back while the rest of the run completes on the other two.
  const back = cluster.boot(victim as ClusterNode);
  await explaining(async () => {
    const reconsumed = await consumingAfter(a, killedAt);
    const tally = await ledger.settled(120_000);
    await back;
    const moved = await cluster.nodeOfConnection(a.child.pid as number);
    const figures = {
      ...tally,
      killed: victim?.node,
      reconsumeSeconds: secondsBetween(killedAt, reconsumed),
      ...stallFigures(ledger.arrivals(), killedAt),
    };
    recordFigures('cluster-kill-connected-node', figures);
    t.is(tally.lost, 0, show(tally));
    t.is(tally.completed, total, show(tally));
    t.not(moved?.node, undefined, 'worker a is connected again');
  });
});

clusterTest(title("cluster: loss of the node holding the work queue's quorum leader, with retries waiting: none lost"), async (t) => {
  const { ledger, spawn, queue, explaining } = await clusterScenario(t, cluster, {
    WORKER_CONCURRENCY: '10',
    RETRY_INITIAL_DELAY_MS: '8000',
    RETRY_MAX_ATTEMPTS: '3',
  });
  const workers = [spawn(rotated(cluster.nodes, 0)), spawn(rotated(cluster.nodes, 1))];
  await Promise.all(workers.map(consuming));
  // The worker that declared the queues is connected to their leader's node (client-local placement): found before
  // the run, so the kill follows the retries' arrival without a slow CLI call in between.
  const leader = await cluster.leaderOf(queue);
  const total = 600;
  // Half fail once and wait 8 s in <queue>.retry.8000 when the leader's node dies: long enough for the kill to land
  // while they wait, and for a new leader to be elected before they expire.
  await ledger.send(Array.from({ length: total }, (_, n) => ({ n, failAttempts: n % 2, sleepMs: 5 })));
  const sentAt = Date.now();
  // The last count before the kill: right after it, the queue's figures are unavailable until a new leader is elected.
  let waitingInRetry = 0;
  await waitFor(
    'the retry queue to hold a quarter of the tasks',
    async () => {
      waitingInRetry = await readyCount(cluster, `${queue}.retry.8000`);
      return waitingInRetry >= total / 4;
    },
    60_000,
  );
  const killedAt = Date.now();
  cluster.kill(leader);
  const back = cluster.boot(leader);
  await explaining(async () => {
    const tally = await ledger.settled(120_000);
    await back;
    const newLeader = await cluster.leaderOf(queue);
    const figures = {
      ...tally,
      killed: leader.node,
      newLeader: newLeader.node,
      waitingInRetryAtKill: waitingInRetry,
      killedSecondsAfterSend: secondsBetween(sentAt, killedAt),
      ...stallFigures(ledger.arrivals(), killedAt),
    };
    recordFigures('cluster-quorum-leader-loss', figures);
    t.is(tally.lost, 0, show(tally));
    t.is(tally.completed, total, show(tally));
    t.true(killedAt - sentAt < 6000, `the node died while the retry copies waited (${figures.killedSecondsAfterSend} s into their 8 s)`);
  });
});

clusterTest(title('cluster: a rolling restart of all three nodes while tasks flow: none lost'), async (t) => {
  const { ledger, spawn, explaining } = await clusterScenario(t, cluster, { WORKER_CONCURRENCY: '10' });
  const workers = [spawn(rotated(cluster.nodes, 0)), spawn(rotated(cluster.nodes, 1))];
  await Promise.all(workers.map(consuming));
  // A producer keeps publishing through the restarts; a batch whose node goes away before its confirms is retried
  // (its tasks count as sent only if they arrive: see the ledger).
  let flowing = true;
  let batches = 0;
  let failedBatches = 0;
  const feeder = (async () => {
    for (let i = 0; flowing; i++) {
      try {
        await ledger.send(Array.from({ length: 50 }, (_, n) => ({ n: i * 50 + n, sleepMs: 10 })));
        batches++;
      } catch {
        failedBatches++;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const startedAt = Date.now();
  const downtimes: number[] = [];
  await explaining(async () => {
    try {
      await waitFor('the first tasks done', () => ledger.tally().completed >= 200, 60_000);
      for (const target of cluster.nodes) {
        await cluster.awaitNotQuorumCritical(target);
        const down = Date.now();
        await cluster.stop(target);
        await cluster.boot(target);
        downtimes.push(secondsBetween(down, Date.now()));
      }
      const completedBeforeEnd = ledger.tally().completed;
      await waitFor('tasks still flowing after the last restart', () => ledger.tally().completed >= completedBeforeEnd + 100, 60_000);
      flowing = false;
      await feeder;
      const tally = await ledger.settled(120_000);
      const figures = { ...tally, batches, failedBatches, restartSeconds: downtimes, ...stallFigures(ledger.arrivals(), startedAt) };
      recordFigures('cluster-rolling-restart', figures);
      t.is(tally.lost, 0, show(tally));
      t.is(tally.completed, tally.sent, show(tally));
      t.true(batches >= 10, `tasks flowed during the restarts (${batches} batches)`);
    } finally {
      // A failed run must not leave the producer publishing into a closed ledger.
      flowing = false;
    }
  });
});

clusterTest(title('cluster: a network cut between a worker and one node only: it moves to another, none lost'), async (t) => {
  // Worker a reaches c1 through the proxy only; the cut leaves c1 up and every other path intact.
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: node(0).port });
  t.teardown(() => proxy.close());
  const { ledger, spawn, explaining } = await clusterScenario(t, cluster, { WORKER_CONCURRENCY: '10' });
  const a = spawn([`amqp://guest:guest@127.0.0.1:${proxy.port}`, node(1).url, node(2).url]);
  const b = spawn(rotated(cluster.nodes, 1));
  await Promise.all([a, b].map(consuming));
  const total = 1500;
  await ledger.send(Array.from({ length: total }, (_, n) => ({ n, sleepMs: 20 })));
  await waitFor('25% done', () => ledger.tally().completed >= total / 4, 60_000);
  const cutAt = Date.now();
  proxy.refuse(true);
  const cut = proxy.cut();
  await explaining(async () => {
    const reconsumed = await consumingAfter(a, cutAt);
    const movedTo = await cluster.nodeOfConnection(a.child.pid as number);
    const tally = await ledger.settled(120_000);
    proxy.refuse(false);
    const figures = {
      ...tally,
      connectionsCut: cut,
      movedTo: movedTo?.node,
      reconsumeSeconds: secondsBetween(cutAt, reconsumed),
      ...stallFigures(ledger.arrivals(), cutAt),
    };
    recordFigures('cluster-network-cut-one-node', figures);
    t.is(tally.lost, 0, show(tally));
    t.is(tally.completed, total, show(tally));
    t.true(movedTo !== undefined && movedTo.name !== node(0).name, `worker a consumes through another node (${movedTo?.node})`);
  });
});

clusterTest(
  title(
    'cluster: a minority left alone stops publishes and consumes, acknowledges nothing falsely, and completes all once a majority is back',
  ),
  async (t) => {
    const { ledger, spawn, explaining } = await clusterScenario(t, cluster, { WORKER_CONCURRENCY: '10' });
    const workers = [spawn(rotated(cluster.nodes, 0)), spawn(rotated(cluster.nodes, 1))];
    await Promise.all(workers.map(consuming));
    // About 10 s of work for the two workers: most of it is still queued when the majority goes.
    const total = 4000;
    await ledger.send(Array.from({ length: total }, (_, n) => ({ n, sleepMs: 50 })));
    await waitFor('25% done', () => ledger.tally().completed >= total / 4, 60_000);
    const lostMajorityAt = Date.now();
    await Promise.all([cluster.stopApp(node(1)), cluster.stopApp(node(2))]);
    const aloneAt = Date.now();
    // A publish to the lone node: it must not be confirmed while the node has no majority.
    let confirmedAt: number | undefined;
    const extra = ledger.send(Array.from({ length: 50 }, (_, n) => ({ n: total + n, sleepMs: 20 })));
    extra.then(
      () => {
        confirmedAt = Date.now();
      },
      () => {},
    );
    await explaining(async () => {
      // Watch the lone node for 8 s; the first 3 s let what was already on its way arrive.
      await new Promise((resolve) => setTimeout(resolve, 8000));
      const outcomesWhileAlone = ledger.arrivals().filter((at) => at >= aloneAt + 3000).length;
      const confirmedWhileAlone = confirmedAt !== undefined;
      const doneWhileAlone = ledger.tally().completed;
      const majorityAt = Date.now();
      await cluster.startApp(node(1));
      await extra;
      const tally = await ledger.settled(120_000);
      await cluster.startApp(node(2));
      const firstAfter = ledger.arrivals().find((at) => at >= majorityAt);
      const figures = {
        ...tally,
        completedBeforeMajorityBack: doneWhileAlone,
        outcomesWhileAlone,
        publishConfirmedSecondsAfterMajority: secondsBetween(majorityAt, confirmedAt ?? majorityAt),
        longestStallMs: stallFigures(ledger.arrivals(), lostMajorityAt).longestStallMs,
        recoverySeconds: firstAfter === undefined ? undefined : secondsBetween(majorityAt, firstAfter),
      };
      recordFigures('cluster-minority-alone', figures);
      t.is(outcomesWhileAlone, 0, 'no task completed on the lone node');
      t.false(confirmedWhileAlone, 'the lone node confirmed no publish');
      t.is(tally.lost, 0, show(tally));
      t.is(tally.completed, total + 50, show(tally));
      t.true(doneWhileAlone < total, `tasks were left for the lone node to hold back (${doneWhileAlone} of ${total} done)`);
    });
  },
);
