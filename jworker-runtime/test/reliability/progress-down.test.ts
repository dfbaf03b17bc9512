import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { consuming } from '../helpers/process.js';
import { recordFigures, SECRETS, scenario, show } from './harness.js';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

test('GraphQL endpoint down for a whole run: every task completes', async (t) => {
  // A port that was just free and is closed again: connection refused.
  const probe = createServer();
  const port = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  const { ledger, spawn, assertNoSecrets } = await scenario(t, {
    GRAPHQL_URL: `http://127.0.0.1:${port}/graphql`,
    GRAPHQL_TOKEN: SECRETS.graphqlToken,
    WORKER_CONCURRENCY: '20',
  });
  const worker = spawn();
  await consuming(worker);
  await ledger.send(Array.from({ length: 1000 }, (_, n) => ({ n })));
  const tally = await ledger.settled(60_000);
  recordFigures('progress-endpoint-down', { ...tally });
  t.is(tally.lost, 0, show(tally));
  t.is(tally.completed, 1000);
  worker.child.kill('SIGTERM');
  t.is((await worker.exited).code, 0, 'the stop flush gives up at its deadline');
  assertNoSecrets();
});

test('GraphQL endpoint taking 10 s per request for a whole run: every task completes', async (t) => {
  let requests = 0;
  const pending = new Set<NodeJS.Timeout>();
  const slow = createServer((request, response) => {
    requests++;
    request.resume();
    const timer = setTimeout(() => {
      pending.delete(timer);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"reportTaskEvents":true}}');
    }, 10_000);
    pending.add(timer);
  });
  const port = await listen(slow);
  t.teardown(() => {
    for (const timer of pending) clearTimeout(timer);
    slow.closeAllConnections();
    slow.close();
  });
  const { ledger, spawn, assertNoSecrets } = await scenario(t, {
    GRAPHQL_URL: `http://127.0.0.1:${port}/graphql`,
    GRAPHQL_TOKEN: SECRETS.graphqlToken,
    WORKER_CONCURRENCY: '20',
  });
  const worker = spawn();
  await consuming(worker);
  await ledger.send(Array.from({ length: 1000 }, (_, n) => ({ n })));
  const tally = await ledger.settled(60_000);
  recordFigures('progress-endpoint-slow', { ...tally, progressRequestsDuringRun: requests });
  t.is(tally.lost, 0, show(tally));
  t.is(tally.completed, 1000);
  t.true(requests <= 3, `at most one request in flight: ${requests} requests while tasks ran`);
  assertNoSecrets();
});
