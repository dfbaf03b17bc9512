import http from 'node:http';
import https from 'node:https';

/** The most of a response read: an answer to `reportTaskEvents` is a few bytes; a huge one is a broken or hostile endpoint. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * A `fetch` for graphql-request over node:http(s) with keep-alive agents. The reporter POSTs a batch of a few hundred
 * events several times a second; the global fetch (undici, through web streams) costs about 2.5× the CPU per request
 * (≈5 µs per event vs ≈2 µs at 500 events a request, measured in bench/). Same contract where the reporter relies on it:
 * a network failure rejects with `TypeError('fetch failed', { cause })`, an abort rejects with `signal.reason`.
 * It does not follow redirects: a GraphQL endpoint answers where it is configured.
 */
export function createHttpFetch(): typeof fetch {
  const agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };
  return (input, init = {}) => {
    const url = input instanceof URL ? input : new URL(typeof input === 'string' ? input : input.url);
    const protocol = url.protocol;
    if (protocol !== 'http:' && protocol !== 'https:')
      return Promise.reject(new TypeError(`fetch failed: unsupported protocol ${protocol}`));
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = typeof init.body === 'string' ? Buffer.from(init.body) : undefined;
    if (init.body != null && body === undefined) return Promise.reject(new TypeError('fetch failed: only string bodies are supported'));
    if (body !== undefined) headers['content-length'] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const client = protocol === 'https:' ? https : http;
      const onAbort = (): void => {
        req.destroy();
        reject(signal?.reason);
      };
      const req = client.request(url, { method: init.method ?? 'GET', headers, agent: agents[protocol] }, (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) {
            signal?.removeEventListener('abort', onAbort);
            req.destroy();
            reject(new TypeError(`fetch failed: the response is larger than ${MAX_RESPONSE_BYTES} bytes; stopped reading it`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error) => reject(new TypeError('fetch failed', { cause: error })));
        res.on('end', () => {
          signal?.removeEventListener('abort', onAbort);
          const status = res.statusCode ?? 0;
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
          }
          if (status < 200 || status > 599) {
            reject(new TypeError(`fetch failed: unexpected HTTP status ${status}`));
            return;
          }
          const noBody = status === 204 || status === 205 || status === 304;
          resolve(
            new Response(noBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: responseHeaders }),
          );
        });
      });
      req.on('error', (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(new TypeError('fetch failed', { cause: error }));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      req.end(body);
    });
  };
}
