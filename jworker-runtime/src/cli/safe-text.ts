/**
 * Characters a terminal acts on instead of showing: C0 controls (ESC starts colour, cursor and title sequences; CR
 * overwrites a line), DEL, C1 controls (U+009B is a one-character CSI) and the bidirectional overrides that reorder
 * what is shown. A dead letter's id, error or body is data from a producer, so none of them reaches the screen raw.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE_ANYWHERE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE_IN_A_CELL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function unicodeEscape(char: string): string {
  return `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;
}

/**
 * Output for a terminal: every unsafe character written as a `\uXXXX` escape; newlines and tabs kept (the CLI's own
 * layout). In JSON output the unsafe characters can only stand inside strings, where the escape is valid JSON.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE_ANYWHERE, unicodeEscape);
}

/** One value shown in a table cell or a line: newlines and tabs escaped too, so data cannot forge extra lines. */
export function printable(text: string): string {
  return text.replace(UNSAFE_IN_A_CELL, unicodeEscape);
}
