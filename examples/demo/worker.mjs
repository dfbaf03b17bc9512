// The demo's worker: plain JavaScript on jworker-runtime. `npm run demo` starts it as a child process;
// you can also run it alone: WORKER_QUEUE=thumbnails node examples/demo/worker.mjs
import { BaseWorker, loadConfig, runWorker, WorkerError } from 'jworker-runtime';

/**
 * Makes "thumbnails". Each task says how it should behave, so the demo can show every path:
 *   { image: 'cat.jpg' }                    succeeds, reporting progress
 *   { image: 'dog.jpg', failFirst: 2 }      fails its first 2 attempts (transient), then succeeds
 *   { image: 'broken.gif' }                 a format we refuse: a permanent failure, straight to <queue>.dead
 */
class ThumbnailWorker extends BaseWorker {
  getWorkerType() {
    return 'thumbnail';
  }

  getInitialStep(task) {
    return `Fetching ${task.image}`;
  }

  async executeTask(task, context) {
    if (typeof task?.image !== 'string') {
      throw new WorkerError('task.image must be a string', { permanent: true, code: 'BAD_TASK' });
    }
    if (task.image.endsWith('.gif')) {
      throw new WorkerError(`cannot make a thumbnail of ${task.image}: GIF is not supported`, {
        permanent: true,
        code: 'UNSUPPORTED_FORMAT',
      });
    }
    if (context.attempt <= (task.failFirst ?? 0)) {
      // Any error that is not a permanent WorkerError is transient: the task is retried after a backoff.
      throw new Error(`image store answered 503 on attempt ${context.attempt}`);
    }
    for (const [percent, step] of [
      [25, 'Decoding'],
      [50, 'Resizing'],
      [75, 'Encoding'],
    ]) {
      context.progress(percent, step);
      await sleep(100, context.signal);
    }
    return { thumbnail: task.image.replace(/(\.\w+)$/, '.thumb$1'), attempts: context.attempt };
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

await runWorker(() => new ThumbnailWorker(loadConfig()));
