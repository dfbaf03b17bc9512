import { readFile } from 'node:fs/promises';

/** What a command may touch outside itself; tests pass a fake that records the output. */
export interface CliIo {
  /** Writes to stdout (the text includes its newline). */
  out(text: string): void;
  /** Writes to stderr (the text includes its newline). */
  err(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readStdin(): Promise<string>;
  readFile(path: string): Promise<string>;
}

/** The real process: stdout, stderr, stdin and the environment. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    readFile: (path) => readFile(path, 'utf8'),
  };
}
