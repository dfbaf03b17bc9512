// Command-line flags of `npm run bench`: `--name value` or `--name=value`; every flag has a default.

export const VARIANTS = ['raw', 'default', 'noop', 'progress', 'fail5', 'rawfail5', 'io', 'quiet', 'traced'];
/**
 * Run by default. `default` is a worker exactly as a user runs it (no logger passed: JSON lines on stdout, a pipe the
 * bench drains; default settings); `noop`, `progress` and `fail5` log into a sink that discards lines; `io` awaits
 * `ioLatency` ms per task at `ioConcurrency`; `quiet` (noop logging at warn) attributes the cost of the task lines;
 * `rawfail5` is raw amqplib doing fail5's retries by hand (the broker's own cost of an at-least-once retry);
 * `traced` is noop with an OpenTelemetry SDK recording every attempt's span (the cost of tracing on).
 */
const DEFAULT_VARIANTS = ['raw', 'default', 'noop', 'progress', 'fail5', 'rawfail5', 'io'];

const DEFAULTS = {
  tasks: 20_000,
  rounds: 3,
  prefetch: 50,
  bytes: 200,
  variants: DEFAULT_VARIANTS.join(','),
  failRate: 0.05,
  retryDelay: 50,
  ioLatency: 20,
  ioConcurrency: 200,
  calls: 300,
  soak: 3,
  profile: '',
  runtime: 'jworker-runtime/dist',
  before: '',
  beforeVariant: 'noop',
  amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
};

const HELP = `npm run bench -- [flags]
  --tasks N        messages pre-filled and drained per variant and round (default ${DEFAULTS.tasks})
  --rounds N       interleaved rounds (default ${DEFAULTS.rounds})
  --prefetch N     AMQP prefetch / worker concurrency (default ${DEFAULTS.prefetch})
  --bytes N        body size of each JSON message (default ${DEFAULTS.bytes})
  --variants LIST  comma-separated subset of ${VARIANTS.join(',')} (raw is always run: it is the baseline)
  --fail-rate F    share of tasks failing their first attempt in fail5 (default ${DEFAULTS.failRate})
  --retry-delay MS configured retry delay for fail5 and the retry probe (default ${DEFAULTS.retryDelay})
  --io-latency MS  how long each task of the io variant awaits (default ${DEFAULTS.ioLatency})
  --io-concurrency N  WORKER_CONCURRENCY of the io variant (default ${DEFAULTS.ioConcurrency})
  --calls N        sequential TaskClient.call round trips for the latency figure, 0 to skip (default ${DEFAULTS.calls})
  --soak N         batches drained by one long-lived noop worker to check memory growth, 0 to skip (default ${DEFAULTS.soak})
  --profile LIST   write a CPU profile (node --cpu-prof) of these variants' workers under bench/.profiles/
  --runtime DIR    the built runtime to measure (default jworker-runtime/dist, snapshotted at start)
  --before DIR     also run the noop variant on another build (e.g. a copy of dist before a change), as "before"
  --before-variant V  the variant run on the --before build (default noop)
  --amqp-url URL   broker (default AMQP_URL or amqp://guest:guest@127.0.0.1:5672)`;

/**
 * Parses `--name value` / `--name=value` flags into a copy of `defaults` (numbers checked: non-negative), printing
 * `help` on `--help` and exiting with a message that names the flag on a bad one. Shared by every bench script.
 */
export function parseFlags(argv, defaults, help, command) {
  const fail = (message) => {
    console.error(`${command}: ${message}\n\n${help}`);
    process.exit(2);
  };
  const options = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(help);
      process.exit(0);
    }
    if (!arg.startsWith('--')) fail(`unexpected argument ${JSON.stringify(arg)}`);
    let value;
    const eq = arg.indexOf('=');
    if (eq >= 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    } else value = argv[++i];
    const key = arg.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in defaults)) fail(`unknown flag ${arg}`);
    if (value === undefined) fail(`${arg} needs a value`);
    if (typeof defaults[key] === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) fail(`${arg}: expected a non-negative number, got ${JSON.stringify(value)}`);
      options[key] = n;
    } else options[key] = value;
  }
  return { options, fail };
}

/** Parses argv into the bench options, exiting with a message that names the flag on a bad value. */
export function parseArgs(argv) {
  const { options, fail } = parseFlags(argv, DEFAULTS, HELP, 'bench');
  const variants = options.variants.split(',').filter(Boolean);
  for (const v of variants)
    if (!VARIANTS.includes(v)) fail(`--variants: unknown variant ${JSON.stringify(v)} (expected ${VARIANTS.join(', ')})`);
  options.variants = ['raw', ...variants.filter((v) => v !== 'raw')];
  options.profile = options.profile.split(',').filter(Boolean);
  if (options.tasks < 1 || options.rounds < 1 || options.prefetch < 1) fail('--tasks, --rounds and --prefetch must be at least 1');
  if (options.bytes < 64) fail('--bytes: expected at least 64');
  return options;
}
