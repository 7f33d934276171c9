import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    otel?: { span: Span; ctx: Context };
  }
}

/**
 * One server span per request, parented on an incoming W3C `traceparent`; every route handler
 * runs inside it, so gRPC calls and NATS publishes made while handling carry the same trace.
 */
export function registerTracing(app: FastifyInstance): void {
  const tracer = trace.getTracer('haven-gateway');
  app.addHook('onRequest', async (req) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(`HTTP ${req.method}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } }, parent);
    req.otel = { span, ctx: trace.setSpan(parent, span) };
  });
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function traced(req, reply) {
      const ctx = req.otel?.ctx;
      return ctx ? context.with(ctx, () => handler.call(this, req, reply)) : handler.call(this, req, reply);
    };
    // Our preHandlers (authentication) are async (req, reply) functions; run them in the span too.
    const pre = route.preHandler;
    if (typeof pre === 'function' && pre.length < 3) {
      const asyncPre = pre as unknown as (this: unknown, req: FastifyRequest, reply: FastifyReply) => Promise<void>;
      route.preHandler = async function tracedPreHandler(req: FastifyRequest, reply: FastifyReply): Promise<void> {
        const ctx = req.otel?.ctx;
        return ctx ? context.with(ctx, () => asyncPre.call(this, req, reply)) : asyncPre.call(this, req, reply);
      };
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    const span = req.otel?.span;
    if (!span) return;
    span.updateName(`HTTP ${req.method} ${req.routeOptions.url ?? 'unmatched'}`);
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}
