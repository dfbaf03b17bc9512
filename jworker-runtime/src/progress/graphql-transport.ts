import { ClientError, GraphQLClient } from 'graphql-request';
import type { ProgressSettings } from '../config/progress-settings.js';
import { redact } from '../log/mask.js';
import { safeStringify } from '../log/safe-json.js';
import type { TaskEvent } from '../wire/task-event.js';
import { createHttpFetch } from './http-fetch.js';

/**
 * How one request ended. `retry`: the endpoint could not be reached or answered 408/429/5xx (send again, with backoff).
 * `rejected`: it answered with GraphQL errors or another 4xx (sending again rarely helps; the reporter gives up after a few).
 */
export type SendResult =
  | { readonly kind: 'sent' }
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'rejected'; readonly reason: string };

/** Sends one batch. Never rejects. */
export type SendBatch = (events: readonly TaskEvent[], timeoutMs: number, signal: AbortSignal) => Promise<SendResult>;

/** A {@link SendBatch} over graphql-request: POSTs `document` with `variables(events)` to the endpoint. */
export function createGraphqlTransport(settings: ProgressSettings, secrets: readonly string[]): SendBatch {
  const client = new GraphQLClient(settings.url, {
    headers: { ...settings.headers },
    jsonSerializer: { stringify: safeStringify, parse: JSON.parse },
    fetch: createHttpFetch(),
    // Sent as written, without parsing the document again for each batch to find an operation name nobody reads.
    excludeOperationName: true,
  });
  // graphql-request builds a `Headers` for every request; Node loads that class (undici) on first use. Load it now,
  // at start, rather than in the middle of the first batch.
  void globalThis.Headers;
  return async (events, timeoutMs, signal) => {
    let variables: Record<string, unknown>;
    try {
      variables = settings.variables(events);
    } catch (error) {
      return { kind: 'rejected', reason: redact(`progress.variables threw: ${describeError(error)}`, secrets) };
    }
    try {
      await client.request({
        document: settings.document,
        variables,
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
      return { kind: 'sent' };
    } catch (error) {
      return classify(error, timeoutMs, secrets);
    }
  };
}

/** Sorts a failed request into retry or rejected, with a short reason that holds no secret. */
export function classify(error: unknown, timeoutMs: number, secrets: readonly string[]): SendResult {
  if (error instanceof ClientError) {
    const { status, errors } = error.response;
    const first = errors?.[0]?.message;
    const reason = first === undefined ? `HTTP ${status}` : `HTTP ${status}, GraphQL error: ${first}`;
    const retry = status === 408 || status === 429 || status >= 500;
    return { kind: retry ? 'retry' : 'rejected', reason: redact(reason, secrets) };
  }
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return { kind: 'retry', reason: `no answer within ${timeoutMs} ms (requestTimeoutMs)` };
  if (name === 'AbortError') return { kind: 'retry', reason: 'aborted by stop()' };
  return { kind: 'retry', reason: redact(describeError(error), secrets) };
}

/** `fetch failed (ECONNREFUSED)` rather than a bare `fetch failed`. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  return detail === undefined ? error.message : `${error.message} (${detail})`;
}
