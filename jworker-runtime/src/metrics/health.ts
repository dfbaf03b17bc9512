import type { WorkerState } from '../worker/worker-events.js';

/** An HTTP answer: status code and JSON body. */
export interface HealthAnswer {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
}

/** Liveness: the process answers, so it is alive, whatever the worker's state. */
export function liveness(state: WorkerState): HealthAnswer {
  return { status: 200, body: { status: 'ok', state } };
}

/**
 * Readiness: 200 only while connected to the broker and consuming; 503 while starting, connecting,
 * reconnecting, stopping or stopped, so a load balancer or Kubernetes stops counting this pod.
 */
export function readiness(state: WorkerState, connected: boolean): HealthAnswer {
  const ready = state === 'consuming' && connected;
  return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not ready', state, connected } };
}
