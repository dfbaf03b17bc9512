import { trace } from '@opentelemetry/api';
import { registeredApi } from './global.js';

/**
 * Says why the runtime cannot see a tracer provider an SDK registered, or undefined when it can (or none is
 * registered). Two copies of `@opentelemetry/api` share one global, but a copy ignores a registration made by an older
 * minor version: an SDK whose peer range pins an older API (sdk-trace-base 2.x asks for < 1.10) registers through
 * that copy, and a runtime resolving a newer one would trace nothing, silently.
 */
export function hiddenTracerProvider(): string | undefined {
  const registered = registeredApi();
  if (registered?.trace === undefined || trace.getTracerProvider() === registered.trace) return undefined;
  return (
    `an OpenTelemetry tracer provider is registered through @opentelemetry/api ${registered.version ?? '(unknown version)'}, ` +
    'which the copy jworker-runtime loads cannot see: no jworker spans will be recorded. ' +
    'Install one copy of @opentelemetry/api (npm ls @opentelemetry/api; npm dedupe, or pin it in package.json)'
  );
}
