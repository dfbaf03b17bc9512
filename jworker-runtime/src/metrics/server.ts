import type Logger from 'bunyan';
import type { BaseWorker } from '../worker/base-worker.js';

// PLACEHOLDER: replaced by the metrics and health server (operations issue).
export async function startMetricsServer(
  _worker: BaseWorker<unknown, unknown>,
  _options: { port: number; host: string; logger: Logger },
): Promise<{ close(): Promise<void>; port: number }> {
  return { close: async () => {}, port: 0 };
}
