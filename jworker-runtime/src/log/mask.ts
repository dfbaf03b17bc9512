const CREDENTIALS_IN_URL = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):([^@/?#\s]*)@/gi;

/** Replaces the password in every URL inside `text` with `***` (`amqp://user:***@host`). */
export function maskCredentials(text: string): string {
  return text.replace(CREDENTIALS_IN_URL, '$1:***@');
}

/** Removes each known secret (a password, a token) from `text`, and masks URL passwords. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = maskCredentials(text);
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('***');
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
