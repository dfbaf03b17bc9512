import { splitUrls } from '../config/amqp-url.js';

/**
 * A URL's scheme and authority up to its last `@` (a password may hold `@` and `:`; the host cannot). The authority
 * ends at `/`, `?`, `#`, whitespace, a quote, `<`, `>` or a backslash (text around URLs in logs and JSON).
 */
const URL_WITH_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>\\]*)@/gi;

/** Replaces the password in every URL inside `text` with `***` (`amqp://user:***@host`), however odd the password. */
export function maskCredentials(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_WITH_USERINFO, (match: string, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon === -1 ? match : `${scheme}${userinfo.slice(0, colon)}:***@`;
  });
}

/** Secrets shorter than this are not searched for in text: they would match ordinary words. */
const MIN_SECRET_LENGTH = 4;

/**
 * Removes each known secret from `text` (replaced by `***`) and masks URL passwords. Pass the list from
 * {@link secretsOf}, which holds every spelling a secret can take in a log line.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = maskCredentials(text);
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH && out.includes(secret)) out = out.split(secret).join('***');
  }
  return out;
}

/** The password of an AMQP/HTTP URL, decoded, if it has one: a secret to keep out of logs. */
export function urlPassword(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/** What {@link secretsOf} reads: the settings that hold secrets. */
export interface SecretSources {
  /** Broker URL(s), comma-separated for a cluster: every node's password. */
  readonly amqpUrl?: string | undefined;
  readonly tls?: { readonly passphrase?: string | undefined } | undefined;
  readonly progress?: { readonly url?: string | undefined; readonly token?: string | undefined } | undefined;
  /** Other secrets, as they are (the CLI's DASHBOARD_TOKEN). */
  readonly others?: readonly string[];
}

/**
 * Every secret the runtime knows, in every spelling it can take in text: as given, percent-encoded (as in a URL) and
 * JSON-escaped (as in a log line), longest first so that a secret inside another is not half-replaced.
 */
export function secretsOf(sources: SecretSources): string[] {
  const raw: string[] = [];
  for (const url of splitUrls(sources.amqpUrl ?? '')) {
    const password = urlPassword(url);
    if (password) raw.push(password);
    const encoded = encodedPassword(url);
    if (encoded) raw.push(encoded);
  }
  if (sources.progress?.url) {
    const password = urlPassword(sources.progress.url);
    if (password) raw.push(password);
  }
  if (sources.progress?.token) raw.push(sources.progress.token);
  if (sources.tls?.passphrase) raw.push(sources.tls.passphrase);
  raw.push(...(sources.others ?? []));
  const all = new Set<string>();
  for (const secret of raw) {
    all.add(secret);
    all.add(encodeURIComponent(secret));
    all.add(JSON.stringify(secret).slice(1, -1));
  }
  return [...all].filter((secret) => secret.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** The password exactly as written in the URL (percent-encoding kept). */
function encodedPassword(url: string): string | undefined {
  try {
    return new URL(url).password || undefined;
  } catch {
    return undefined;
  }
}
