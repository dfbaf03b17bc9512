/** Where every copy of `@opentelemetry/api` 1.x keeps what an SDK registered (the API's own key). */
const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');

/** What the API keeps there: its version and one entry per registered part (`trace`, `context`, `propagation`…). */
export interface RegisteredApi {
  readonly version?: string;
  readonly trace?: unknown;
}

/** The registrations of every copy of the API in the process, or undefined when nothing was ever registered. */
export function registeredApi(): RegisteredApi | undefined {
  return (globalThis as Record<symbol, RegisteredApi | undefined>)[GLOBAL_KEY];
}

/**
 * True while no copy of the API holds a registration (no SDK, no context manager, no propagator): every API call
 * would be a no-op, so the runtime skips them all. One property read per task on the path every user who does not
 * trace takes.
 */
export function tracingInactive(): boolean {
  return registeredApi() === undefined;
}
