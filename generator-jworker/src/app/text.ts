/**
 * Free text from the user (`--description`) as each kind of generated file must hold it. The description is one line
 * of plain text: package.json and `.yo-rc.json` get it through JSON.stringify; templates embed it through these.
 */

/** Control characters other than whitespace (a terminal escape, a NUL): nothing a description needs. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Runs of whitespace, line breaks included (`\r`, `\n`, U+2028, U+2029): a description is one line. */
const WHITESPACE = /[\s\u2028\u2029]+/g;

/**
 * Checks a `--description` and makes it one line: line breaks and runs of spaces become one space.
 * Returns the problem as a sentence naming the value and the fix when it holds control characters.
 */
export function normalizeDescription(value: string): { value: string } | { problem: string } {
  if (CONTROL.test(value.replace(WHITESPACE, ' '))) {
    return {
      problem: `--description ${JSON.stringify(value)} holds control characters: give plain text (line breaks are turned into spaces)`,
    };
  }
  return { value: value.replace(WHITESPACE, ' ').trim() };
}

/** Text inside a `/** … *\/` comment: a `*\/` in it would end the comment early. */
export function commentText(text: string): string {
  return text.replaceAll('*/', '*\\/');
}

/**
 * Text as a Markdown paragraph that renders literally: inline markup is backslash-escaped, and so is a first
 * character that would start a heading, a list or a quote.
 */
export function markdownText(text: string): string {
  const inline = text.replace(/[\\`*_[\]<>|~&]/g, (char) => `\\${char}`);
  return inline.replace(/^[#=+-]/, (start) => `\\${start}`).replace(/^(\d+)([.)])/, '$1\\$2');
}
