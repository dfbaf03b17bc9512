import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

/** AMQP headers as a trace context carrier: what a propagator reads from a delivery and writes into a message. */
export type HeaderCarrier = Record<string, unknown>;

/** Writes `traceparent`/`tracestate` (or whatever the registered propagator uses) as string headers. */
export const headerSetter: TextMapSetter<HeaderCarrier> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

/**
 * Reads a header for a propagator. A producer in another language may send it as an AMQP byte array, which amqplib
 * hands over as a Buffer: read it as UTF-8 like a string.
 */
export const headerGetter: TextMapGetter<HeaderCarrier | undefined> = {
  keys(carrier) {
    return carrier === undefined ? [] : Object.keys(carrier);
  },
  get(carrier, key) {
    const value = carrier?.[key];
    if (typeof value === 'string') return value;
    if (Buffer.isBuffer(value)) return value.toString('utf8');
    return undefined;
  },
};
