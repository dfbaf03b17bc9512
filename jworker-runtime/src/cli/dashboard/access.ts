import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { HttpError } from './http.js';

const COOKIE = 'jworker_dashboard';
const MAX_SESSIONS = 1000;
const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** Failed logins accepted per minute before the next ones are refused outright (a token is not guessed online). */
const MAX_FAILED_LOGINS_PER_MINUTE = 20;

interface Session {
  readonly csrf: string;
  lastSeen: number;
}

/** How a request was let in: by the session cookie (a browser) or the token in an Authorization header (a script). */
export type Caller = { readonly via: 'session'; readonly csrf: string } | { readonly via: 'bearer' };

/** True for a host name or address that only this machine reaches. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

const digest = (text: string) => createHash('sha256').update(text).digest();
/** Compares secrets in constant time (hashes first, so the lengths never differ). */
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/**
 * Who may use the dashboard. Without `DASHBOARD_TOKEN` (only allowed on a loopback address) anyone on this machine may,
 * and the Host header must name a loopback host: a page of another site that rebinds its DNS name to 127.0.0.1 is
 * refused. With the token, a browser signs in once (the token is posted, never sent back) and holds an HttpOnly,
 * SameSite=Strict session cookie; scripts send `Authorization: Bearer <token>`. Every state-changing request from a
 * browser also carries its session's CSRF token in `X-CSRF-Token`, and its Origin / Sec-Fetch-Site must be this site.
 */
export class Access {
  readonly #token: string | undefined;
  readonly #sessions = new Map<string, Session>();
  #failedLogins: number[] = [];

  constructor(token: string | undefined) {
    this.#token = token;
  }

  get tokenRequired(): boolean {
    return this.#token !== undefined;
  }

  /** Checks what every request must pass, static files included: the Host header, and for a POST its origin. */
  checkRequest(request: IncomingMessage): void {
    const host = request.headers.host ?? '';
    if (!this.#token && !isLoopback(hostName(host))) throw new HttpError(421, 'this dashboard answers on a loopback address only');
    if (request.method !== 'POST') return;
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new HttpError(403, 'cross-site requests are refused');
    const origin = request.headers.origin;
    if (origin !== undefined && originHost(origin) !== host.toLowerCase()) throw new HttpError(403, 'cross-origin requests are refused');
  }

  /** The caller of an API request. @throws HttpError 401 without a valid session or token, 403 without the CSRF token. */
  caller(request: IncomingMessage): Caller {
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (bearer !== undefined && this.#token !== undefined && sameSecret(bearer, this.#token)) return { via: 'bearer' };
    const session = this.#session(request);
    if (!session) throw new HttpError(401, this.#token ? 'sign in with the dashboard token' : 'no session: reload the page');
    if (request.method === 'POST') {
      const csrf = request.headers['x-csrf-token'];
      if (typeof csrf !== 'string' || !sameSecret(csrf, session.csrf))
        throw new HttpError(403, 'missing or wrong CSRF token: reload the page');
    }
    return { via: 'session', csrf: session.csrf };
  }

  /**
   * The page's first call. Without a token it opens a session at once; with one it reports whether this browser has
   * signed in. Never returns the token. Returns the Set-Cookie header of a new session, if one was opened.
   */
  session(request: IncomingMessage): { readonly body: { tokenRequired: boolean; csrf: string | null }; readonly cookie?: string } {
    const session = this.#session(request);
    if (session) return { body: { tokenRequired: this.tokenRequired, csrf: session.csrf } };
    if (this.#token) return { body: { tokenRequired: true, csrf: null } };
    return this.#open();
  }

  /** Signs a browser in with the token. @throws HttpError 401 on a wrong token, 429 when too many failed lately. */
  login(token: unknown): { readonly body: { tokenRequired: boolean; csrf: string }; readonly cookie: string } {
    if (!this.#token) throw new HttpError(400, 'this dashboard has no token to sign in with');
    const now = Date.now();
    this.#failedLogins = this.#failedLogins.filter((at) => now - at < 60_000);
    if (this.#failedLogins.length >= MAX_FAILED_LOGINS_PER_MINUTE) throw new HttpError(429, 'too many failed sign-ins: wait a minute');
    if (typeof token !== 'string' || !sameSecret(token, this.#token)) {
      this.#failedLogins.push(now);
      throw new HttpError(401, 'wrong token');
    }
    return this.#open();
  }

  /** Ends the session of the request. */
  logout(request: IncomingMessage): string {
    const id = sessionId(request);
    if (id) this.#sessions.delete(id);
    return `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  #open() {
    const now = Date.now();
    for (const [id, session] of this.#sessions) {
      if (this.#sessions.size < MAX_SESSIONS && now - session.lastSeen < SESSION_IDLE_MS) break;
      this.#sessions.delete(id);
    }
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { csrf, lastSeen: now });
    return { body: { tokenRequired: this.tokenRequired, csrf }, cookie: `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict` };
  }

  #session(request: IncomingMessage): Session | undefined {
    const id = sessionId(request);
    const session = id === undefined ? undefined : this.#sessions.get(id);
    if (!session || !id) return undefined;
    if (Date.now() - session.lastSeen > SESSION_IDLE_MS) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.lastSeen = Date.now();
    // Most recently used last, so the oldest idle sessions are the first to go.
    this.#sessions.delete(id);
    this.#sessions.set(id, session);
    return session;
  }
}

function sessionId(request: IncomingMessage): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, value] = part.trim().split('=');
    if (name === COOKIE && value) return value;
  }
  return undefined;
}

/** The host name of a Host header (`127.0.0.1:8080` → `127.0.0.1`, `[::1]:8080` → `[::1]`). */
function hostName(host: string): string {
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '');
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}
