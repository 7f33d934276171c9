import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Context, TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import { headers as natsHeaders } from 'nats';
import type { MsgHdrs } from 'nats';

const setter: TextMapSetter<MsgHdrs> = {
  set(carrier, key, value) {
    carrier.set(key, value);
  },
};

const getter: TextMapGetter<MsgHdrs> = {
  keys: (carrier) => carrier.keys(),
  get(carrier, key) {
    // NATS header names are case-sensitive on the wire; propagators ask in lower case.
    const value = carrier.get(key);
    return value === '' ? undefined : value;
  },
};

/**
 * NATS headers carrying the W3C trace context (`traceparent`, `tracestate`) of `ctx` (the active
 * context by default), through the globally registered propagator (the service's OTel SDK).
 * Adds to `into` when given.
 */
export function traceHeaders(ctx: Context = context.active(), into: MsgHdrs = natsHeaders()): MsgHdrs {
  propagation.inject(ctx, into, setter);
  return into;
}

/**
 * The OpenTelemetry context a message's headers carry, as parent for a consumer span. Messages
 * without trace headers give the root context (a new trace).
 */
export function extractTraceContext(headers: MsgHdrs | undefined, base: Context = ROOT_CONTEXT): Context {
  if (headers === undefined) return base;
  return propagation.extract(base, headers, getter);
}
