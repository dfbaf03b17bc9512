import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import type { TaskEvent } from '../src/index.js';

/** The published contract, read from the file the package ships. */
export const PROGRESS_SDL = readFileSync(new URL('../schema/progress.graphql', import.meta.url), 'utf8');

/** How the test endpoint answers `reportTaskEvents`. */
export type EndpointMode = { kind: 'ok' } | { kind: 'slow'; ms: number } | { kind: 'errors' } | { kind: 'http500' };

interface ReceivedRequest {
  readonly events: TaskEvent[];
  readonly authorization: string | null;
  readonly headers: Record<string, string>;
}

/**
 * A real GraphQL server (graphql-yoga) implementing schema/progress.graphql, recording every accepted batch.
 * `typeDefs`/`mutation` swap in another schema, for custom documents.
 */
export async function startProgressServer(
  options: { mode?: EndpointMode; typeDefs?: string; resolvers?: Record<string, Record<string, unknown>> } = {},
) {
  let mode: EndpointMode = options.mode ?? { kind: 'ok' };
  const requests: ReceivedRequest[] = [];
  let attempts = 0;
  const sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = { timer: setTimeout(() => done(), ms), resolve: () => done() };
      const done = () => {
        clearTimeout(entry.timer);
        sleeps.delete(entry);
        resolve();
      };
      sleeps.add(entry);
    });

  const record = async (events: TaskEvent[], request: Request): Promise<boolean> => {
    attempts++;
    switch (mode.kind) {
      case 'slow':
        await sleep(mode.ms);
        break;
      case 'errors':
        throw new Error('progress store unavailable');
      case 'http500':
        // handled in the HTTP layer
        break;
      case 'ok':
        break;
    }
    requests.push({ events, authorization: request.headers.get('authorization'), headers: Object.fromEntries(request.headers) });
    return true;
  };

  const yoga = createYoga({
    schema: createSchema({
      typeDefs: options.typeDefs ?? PROGRESS_SDL,
      resolvers: options.resolvers ?? {
        Mutation: {
          reportTaskEvents: (_root: unknown, args: { events: TaskEvent[] }, context: { request: Request }) =>
            record(args.events, context.request),
        },
      },
    }),
    logging: false,
    maskedErrors: false,
  });
  const server: Server = createServer((req, res) => {
    if (mode.kind === 'http500') {
      attempts++;
      res.writeHead(500, { 'content-type': 'text/plain' }).end('down for maintenance');
      return;
    }
    void yoga(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    /** Every accepted batch, in arrival order. */
    requests,
    /** Every event accepted, in arrival order. */
    events: () => requests.flatMap((r) => r.events),
    /** Requests received, accepted or not. */
    get attempts() {
      return attempts;
    },
    setMode(next: EndpointMode): void {
      mode = next;
      if (next.kind !== 'slow') for (const entry of [...sleeps]) entry.resolve();
    },
    async close(): Promise<void> {
      for (const entry of [...sleeps]) entry.resolve();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type ProgressServer = Awaited<ReturnType<typeof startProgressServer>>;

/** A URL where nothing listens: the endpoint is down. */
export async function deadEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/graphql`;
}

/** Groups events by task id, each list in arrival order. */
export function byTask(events: readonly TaskEvent[]): Map<string, TaskEvent[]> {
  const out = new Map<string, TaskEvent[]>();
  for (const event of events) {
    const list = out.get(event.taskId) ?? [];
    list.push(event);
    out.set(event.taskId, list);
  }
  return out;
}
