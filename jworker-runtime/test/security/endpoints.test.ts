import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { normalizeProgressOptions } from '../../src/config/progress-settings.js';
import { ConfigError, loadConfig, TaskClient } from '../../src/index.js';
import { createHttpFetch, MAX_RESPONSE_BYTES } from '../../src/progress/http-fetch.js';
import { SampleWorker } from '../fixtures/sample-worker.js';
import { AMQP_URL, uniqueQueue, waitFor } from '../helpers/broker.js';
import { cli } from '../helpers/cli.js';
import { captureLogger } from '../helpers/log-capture.js';
import { makeCertificates, startTlsProxy } from '../helpers/tls-proxy.js';
import { startSample, startWorker } from '../helpers/worker.js';

/** Sends raw bytes to a port and resolves with what came back once the server closed the connection. */
function rawRequest(port: number, text: string, end = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => (end ? socket.end(text) : socket.write(text)));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

test('the metrics server answers a malformed path with 400 and logs nothing, however many arrive', async (t) => {
  const { worker, logs } = await startSample(t, { metricsPort: 0, metricsHost: '127.0.0.1' });
  const port = worker.metricsPort as number;
  const before = logs.records.length;
  for (let i = 0; i < 50; i++) {
    const answer = await rawRequest(port, 'GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    t.regex(answer, /^HTTP\/1\.1 400 /);
  }
  t.is(logs.records.length, before, 'no line per malformed request');
  t.is((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
});

test('the metrics server drops a client that never finishes its request headers', async (t) => {
  const { worker } = await startSample(t, { metricsPort: 0, metricsHost: '127.0.0.1' });
  const started = Date.now();
  // Half a request, then silence: the server must close the socket by itself (headersTimeout, checked each second).
  const closed = rawRequest(worker.metricsPort as number, 'GET /metrics HTTP/1.1\r\nHost: x\r\n', false);
  const bound = new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), 15_000).unref());
  const answer = await Promise.race([closed, bound]);
  t.regex(answer, /^HTTP\/1\.1 408 /, 'the server answered 408 Request Timeout and closed the socket within 15 s');
  t.log(`closed after ${Date.now() - started} ms`);
});

test('the progress transport stops reading a response after 1 MiB', async (t) => {
  let served = 0;
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const write = (): void => {
      while (served < 64 * 1024 * 1024) {
        served += chunk.length;
        if (!response.write(chunk)) {
          response.once('drain', write);
          return;
        }
      }
      response.end();
    };
    response.on('close', () => {});
    write();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const fetchOver = createHttpFetch();
  await t.throwsAsync(fetchOver(`http://127.0.0.1:${port}/graphql`, { method: 'POST', body: '{}' }), {
    instanceOf: TypeError,
    message: `fetch failed: the response is larger than ${MAX_RESPONSE_BYTES} bytes; stopped reading it`,
  });
  t.true(served < 8 * 1024 * 1024, `the server wrote ${served} bytes of a 64 MiB answer before the client hung up`);
});

test('GRAPHQL_TOKEN over plain http:// to a host that is not loopback is refused unless allowed', async (t) => {
  const env = { GRAPHQL_URL: 'http://api.internal:4000/graphql', GRAPHQL_TOKEN: 'tok-secret-1234' };
  const worker = new SampleWorker({ ...loadConfig(env), amqpUrl: AMQP_URL, queue: uniqueQueue('insecure'), logLevel: 'fatal' });
  const error = await t.throwsAsync(worker.start(), { instanceOf: ConfigError });
  t.regex(
    error?.message ?? '',
    /refusing to send GRAPHQL_TOKEN over plain http:\/\/ to api\.internal:4000.*GRAPHQL_ALLOW_INSECURE_TOKEN=true/,
  );
  t.false((error?.message ?? '').includes('tok-secret-1234'));
  await worker.stop();
  for (const ok of [
    { ...env, GRAPHQL_ALLOW_INSECURE_TOKEN: 'true' },
    { ...env, GRAPHQL_URL: 'https://api.internal/graphql' },
    { ...env, GRAPHQL_URL: 'http://127.0.0.1:4000/graphql' },
    { ...env, GRAPHQL_URL: 'http://localhost:4000/graphql' },
    { ...env, GRAPHQL_URL: 'http://[::1]:4000/graphql' },
    { GRAPHQL_URL: 'http://api.internal:4000/graphql' },
  ]) {
    t.notThrows(() => normalizeProgressOptions(loadConfig(ok).progress ?? {}), JSON.stringify(ok));
  }
});

test('TLS files with an amqp:// node are a configuration error for the worker, TaskClient and the CLI', async (t) => {
  const caFile = join(tmpdir(), `jworker-ca-${process.pid}.pem`);
  writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
  const env = { AMQP_URL: 'amqps://a:b@h1:5671,amqp://a:b@h2:5672', AMQP_CA_FILE: caFile };
  t.throws(() => loadConfig(env), { instanceOf: ConfigError, message: /TLS files are set but AMQP_URL has an amqp:\/\/ node/ });
  const worker = new SampleWorker({ amqpUrl: 'amqp://guest:guest@127.0.0.1:5672', tls: { ca: 'x' }, queue: uniqueQueue('tls-plain') });
  await t.throwsAsync(worker.start(), { instanceOf: ConfigError, message: /use amqps:\/\/ for every node/i });
  await worker.stop();
  t.throws(() => new TaskClient({ url: 'amqp://127.0.0.1:5672', tls: { cert: 'x', key: 'y' } }), { instanceOf: ConfigError });
  const run = await cli(['stats', 'some-queue'], { env });
  t.is(run.code, 2);
  t.regex(run.stderr, /TLS files are set but AMQP_URL has an amqp:\/\/ node/);
});

test('a worker with certificate verification switched off says so at start', async (t) => {
  const certs = makeCertificates();
  const proxy = await startTlsProxy(certs);
  t.teardown(async () => {
    await proxy.close();
    certs.remove();
  });
  const logs = captureLogger();
  const queue = uniqueQueue('tls-noverify');
  const amqpUrl = `amqps://guest:guest@localhost:${proxy.port}`;
  await startWorker(t, new SampleWorker({ amqpUrl, tls: { rejectUnauthorized: false }, queue, logger: logs.logger }), queue);
  const warned = () => logs.records.some((r) => r.level === 40 && /certificate verification is off/.test(String(r.msg)));
  await waitFor('the warning', warned);
  t.true(warned());
});
