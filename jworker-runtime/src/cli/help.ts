/** `--help` texts, one per command. */
export const HELP = {
  main: `Usage: jworker <command> [options]

Operate jworker queues on RabbitMQ. The broker is read from AMQP_URL (default amqp://localhost:5672).

Commands:
  enqueue <queue> <json | @file | ->   Publish a task; prints its id (--wait: its result; --delay/--at: later)
  cancel <queue> <taskId>              Cancel a task: not started yet, it is dropped; running, it is aborted
  stats <queue>                        Ready messages and consumers of the work, retry, delay and dead queues
  dead list <queue>                    Show dead letters without removing them
  dead replay <queue>                  Move dead letters back to the work queue, attempts reset
  dead purge <queue> --yes             Delete every dead letter
  dashboard --queues q1,q2             Serve a web page for operators (queues, dead letters, replay)
  logs                                 Pretty-print worker log lines (bunyan JSON) read on stdin

Options:
  -h, --help                           This help
  -v, --version                        Print the jworker-runtime version

Run "jworker <command> --help" for a command's options.
Exit codes: 0 ok, 1 failed, 2 bad usage, 3 queue not found, 4 broker unreachable.
`,
  enqueue: `Usage: jworker enqueue <queue> <json | @file | -> [options]

Publishes a task (persistent JSON, confirmed by the broker) and prints its task id.
The task is inline JSON, @path to read a file, or - to read stdin.

Options:
  --wait            Wait for the worker's result and print it as JSON (exit 1 if the task failed)
  --timeout <ms>    How long to wait for the broker, and with --wait for the result (default 30000)
  --task-id <id>    Use this task id instead of a random UUID
  --delay <time>    Start the task no sooner than this from now: 500ms, 90s, 2m, 1h, 30d
                    (a bare number is ms). It waits on the broker, in <queue>.delay.* queues
  --at <ISO time>   Start the task no sooner than this time, e.g. 2026-12-01T09:00:00Z
                    (with --wait, make --timeout longer than the wait)
  --json            Print one JSON object instead:
                      {"taskId"}                                      without --wait
                      {"taskId","status":"completed","result"}        with --wait
                      {"taskId","status":"failed","error":{"message","code","permanent"}}
  -h, --help        Show this help

Examples:
  jworker enqueue email '{"to":"a@example.com"}'
  jworker enqueue email @task.json --wait --timeout 60000
  echo '{"to":"b@example.com"}' | jworker enqueue email -
  jworker enqueue email '{"to":"c@example.com"}' --delay 90s --task-id welcome-c
`,
  cancel: `Usage: jworker cancel <queue> <taskId> [options]

Cancels a task by its id. A task that has not started yet (queued, delayed or waiting for a
retry) is dropped when it reaches a worker; a running one has its context.signal aborted with
TaskCancelledError. Either way it is acked (outcome "cancelled"), not dead-lettered, and a
caller waiting with call() or --wait gets an error with code CANCELLED. The request is kept in
the <queue>.cancel stream for the cancel window (CANCEL_WINDOW_MS, default 24 h): a task that
arrives later than that runs. Cancelling an unknown or finished task does nothing.

Options:
  --json        Print {"queue","taskId","cancelled"} as JSON
  -h, --help    Show this help

Example:
  jworker cancel email welcome-c
`,
  stats: `Usage: jworker stats <queue> [options]

Ready messages and consumers of <queue>, its retry queues, its delay buckets together
(<queue>.delay.*: tasks waiting for their time) and <queue>.dead.
Unacknowledged (in-flight) counts are not available over AMQP and are not shown
(see docs/operations.md). Retry queues follow the retry policy in RETRY_* variables,
as the worker does, or --retry-delays.

Options:
  --retry-delays <ms,ms,...>   The worker's retry delays, when not the RETRY_* defaults
  --json                       Print JSON
  -h, --help                   Show this help
`,
  dead: `Usage: jworker dead <list | replay | purge> <queue> [options]

  list <queue> [--limit N]                  Show dead letters (nothing is removed)
  replay <queue> (--task-id ID ... | --all) Move dead letters back to the work queue
  purge <queue> --yes                       Delete every dead letter

Run "jworker dead <subcommand> --help" for details.
`,
  logs: `Usage: <worker> | jworker logs

Reads worker log lines (bunyan JSON) on stdin and prints one readable line each:
time, level, logger name, message and the other fields, an error's stack below it.
Other lines pass through unchanged. It stops when its input ends, not on Ctrl-C, so a
worker that stops gracefully in the same pipeline still shows its last lines.

Examples:
  npm run dev                                  (generated workers: tsx watch src/main.ts | jworker logs)
  docker compose logs -f worker | npx jworker logs

Options:
  -h, --help    Show this help
`,
  'dead list': `Usage: jworker dead list <queue> [options]

Shows the dead letters in <queue>.dead, oldest first: task id, reason, code, attempts,
failure time and error. Nothing is removed: each message is read and handed back in place.

Options:
  --limit <n>   Show at most n dead letters (default 100)
  --json        Print a JSON array (with each task's body)
  -h, --help    Show this help
`,
  'dead replay': `Usage: jworker dead replay <queue> (--task-id <id> ... | --all) [options]

Moves dead letters back to <queue> with their attempts reset (the x-jworker-* failure headers
are removed; messageId, replyTo and correlationId kept). Each message is confirmed in the work
queue before it is removed from the dead queue: a crash part way loses nothing (at worst one
task is in both queues).

Options:
  --task-id <id>   Replay this task (repeat for several)
  --all            Replay every dead letter present when the command starts
  --json           Print {"replayed", "notFound"} as JSON
  -h, --help       Show this help
`,
  'dead purge': `Usage: jworker dead purge <queue> --yes [options]

Deletes every message in <queue>.dead and prints how many. Refuses without --yes.

Options:
  --yes         Really delete them
  --json        Print {"purged"} as JSON
  -h, --help    Show this help
`,
  dashboard: `Usage: jworker dashboard [--port 8080] [--host 127.0.0.1] [--queues q1,q2] [options]

Serves a page for operators at http://<host>:<port>/ until Ctrl+C: every queue's ready, in-retry,
dead and consumer counts with a short history; the dead letters of a queue, newest first, with
search and the whole message; Replay, Replay all, Purge and Enqueue. The broker is AMQP_URL.

Dead letters are read by walking the dead queue once (as "dead list" does: nothing is removed,
the order is kept) into a snapshot the page pages through; Refresh walks it again.

Options:
  --port <n>                 Port to listen on (default 8080; 0 picks a free one)
  --host <address>           Address to listen on (default 127.0.0.1). Any address other than a
                             loopback one needs DASHBOARD_TOKEN, which the page then asks for
  --queues <q1,q2>           The work queues to show (or JWORKER_QUEUES)
  --retry-delays <ms,...>    The workers' retry delays, when not the RETRY_* defaults
  --prometheus-url <url>     Show completed/failed rates from this Prometheus (e.g. http://localhost:9090)
  --metrics-url <url,...>    ...or from the workers' own /metrics endpoints (repeatable)
  --max-letters <n>          Dead letters a snapshot holds per queue, newest kept (default 50000)
  --auto-snapshot <n>        Refresh a snapshot by itself while the dead queue holds at most n
                             (default 1000; 0: only when asked)
  -h, --help                 Show this help

Environment: AMQP_URL, JWORKER_QUEUES, DASHBOARD_TOKEN (at least 16 characters), RETRY_*.
`,
} as const;

export type HelpTopic = keyof typeof HELP;
