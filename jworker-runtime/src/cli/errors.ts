/** Exit codes of the `jworker` command, documented in docs/operations.md. */
export const EXIT = {
  ok: 0,
  /** The command ran but did not succeed: a task failed or timed out, a replay stopped part way. */
  failed: 1,
  /** Bad arguments: an unknown option, bad JSON, a bad queue name, a missing --yes. */
  usage: 2,
  /** The queue does not exist on the broker. */
  queueNotFound: 3,
  /** The broker cannot be reached or refused the login. */
  unreachable: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line on stderr, exiting with `exitCode`. */
export class CliError extends Error {
  override name = 'CliError' as const;
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

/** Bad command-line input: the message says what is wrong and points at `--help`. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}
