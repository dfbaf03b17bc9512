import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/run.js';
import { AMQP_URL } from './broker.js';

/** Runs a `jworker` command line in-process with captured output. */
export async function cli(
  argv: string[],
  options: { stdin?: string; files?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    env: options.env ?? { AMQP_URL },
    readStdin: async () => options.stdin ?? '',
    stdinLines: async function* () {
      yield* (options.stdin ?? '').split('\n');
    },
    readFile: async (path) => {
      const text = options.files?.[path];
      if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return text;
    },
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}
