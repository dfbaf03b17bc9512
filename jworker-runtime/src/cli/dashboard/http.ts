import type { IncomingMessage, ServerResponse } from 'node:http';
import { CliError, EXIT } from '../errors.js';

/** An answer other than 200, with a message the page shows as it is (text, never markup). */
export class HttpError extends Error {
  override name = 'HttpError' as const;
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Headers on every answer. The page loads only its own script and style (no inline script: a body that slipped into
 * markup could not run), can be framed by nobody, and nothing is sniffed, cached or sent as a referrer.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

/**
 * Writes a JSON answer with the security headers. `redact` is the CLI's output gate: no secret of the broker URL or the
 * dashboard token, and no URL password, leaves the server (a dead letter's text included, as `dead list` prints it).
 */
export function sendJson(
  response: ServerResponse,
  status: number,
  value: unknown,
  redact: (text: string) => string,
  headers: Record<string, string> = {},
): void {
  const body = redact(JSON.stringify(value));
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

/** The largest request body accepted (an enqueued task is the largest there is). */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads a JSON object body. Only `application/json`: a cross-site form or `text/plain` request cannot be one without a
 * CORS preflight, which this server never answers.
 * @throws HttpError 415 for another content type, 413 past {@link MAX_BODY_BYTES}, 400 for bad JSON or a non-object.
 */
export async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, 'send the request as application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the request is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `the request is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'expected a JSON object');
  return value as Record<string, unknown>;
}

/** The HTTP status for an error of the CLI's own (a missing queue, a walk already running, the broker away). */
export function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (error instanceof CliError) {
    if (error.exitCode === EXIT.queueNotFound) return 404;
    if (error.exitCode === EXIT.unreachable) return 503;
    if (error.exitCode === EXIT.usage) return 400;
    return 409;
  }
  return 500;
}

/** A string field of a request, checked. @throws HttpError 400 naming the field. */
export function stringField(body: Record<string, unknown>, field: string, optional = false): string | undefined {
  const value = body[field];
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value === '') throw new HttpError(400, `"${field}" must be a non-empty string`);
  return value;
}

/** A count field of a request. @throws HttpError 400 naming the field. */
export function countField(body: Record<string, unknown>, field: string): number {
  const value = body[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new HttpError(400, `"${field}" must be a count`);
  return value;
}
