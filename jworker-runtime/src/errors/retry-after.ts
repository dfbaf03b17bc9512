/**
 * An HTTP `Retry-After` header value as milliseconds from `now`: delay-seconds (`120`) or an HTTP date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`; a date already past gives 0). Undefined for an absent or unreadable value, so the
 * caller picks its own default.
 *
 * @example
 * if (response.status === 429 || response.status === 503) {
 *   throw new WorkerError(`${url} answered ${response.status}`, { retryAfterMs: retryAfterMs(response.headers.get('retry-after')) ?? 60_000 });
 * }
 */
export function retryAfterMs(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  // RFC 9110: an IMF-fixdate; Date.parse also reads the two obsolete forms.
  if (!/[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}
