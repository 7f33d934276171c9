import { status } from '@grpc/grpc-js';
import { billingV1 } from '@haven/proto';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealth, createGrpcClient, createLogger, createMetrics, DomainError, errors, GrpcServer, type GrpcClient } from '../src';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

describe('GrpcServer and GrpcClient', () => {
  const logger = createLogger('test', 'silent');
  const metrics = createMetrics('billing-test');
  const server = new GrpcServer({ service: 'billing-test', logger, metrics });
  let client: GrpcClient<billingV1.BillingServiceClient>;
  let address = '';
  let seenTraceparent: string | undefined;

  beforeAll(async () => {
    server.addService(billingV1.BillingServiceService, {
      authorize: async (req) => {
        if (!req.userId) throw errors.invalidArgument('USER_ID_REQUIRED', 'userId is required');
        return billingV1.AuthorizeResponse.fromPartial({ allowed: true, creditsRemaining: 7 });
      },
      getBalance: async (_req, ctx) => {
        // Never answers on its own: only the caller's deadline ends it.
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        throw errors.unavailable('ABORTED', 'aborted');
      },
      grantCredits: async () => {
        throw new Error('database password is hunter2');
      },
      getPlanConfig: async (_req, ctx) => {
        seenTraceparent = String(ctx.metadata.get('traceparent')[0] ?? '');
        return billingV1.GetPlanConfigResponse.fromPartial({ plans: [] });
      },
    });
    const port = await server.start(0, '127.0.0.1');
    address = `127.0.0.1:${port}`;
    client = createGrpcClient(billingV1.BillingServiceClient, 'billing', address, { metrics });
  });
  afterAll(async () => {
    client.close();
    await server.shutdown(1000);
  });

  it('serves the standard health service', async () => {
    expect(await checkHealth(address)).toBe('SERVING');
    expect(await checkHealth(address, 2000, 'haven.billing.v1.BillingService')).toBe('SERVING');
  });

  it('round-trips a unary call', async () => {
    const res = await client.unary((c) => c.authorize, 'Authorize', billingV1.AuthorizeRequest.fromPartial({ userId: 'u1', personaId: 'p', messageLength: 3 }));
    expect(res.creditsRemaining).toBe(7);
  });

  it('maps a DomainError to INVALID_ARGUMENT and back, keeping the app code', async () => {
    const err = await client.unary((c) => c.authorize, 'Authorize', billingV1.AuthorizeRequest.fromPartial({})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ kind: 'InvalidArgument', code: 'USER_ID_REQUIRED', message: 'userId is required' });
  });

  it('hides unknown errors behind INTERNAL without leaking their text', async () => {
    const err = (await client.unary((c) => c.grantCredits, 'GrantCredits', billingV1.GrantCreditsRequest.fromPartial({ userId: 'u', amount: 1 })).catch((e: unknown) => e)) as DomainError;
    expect(err.kind).toBe('Internal');
    expect(err.message).not.toContain('hunter2');
  });

  it('enforces the deadline', async () => {
    const started = Date.now();
    const err = (await client.unary((c) => c.getBalance, 'GetBalance', billingV1.GetBalanceRequest.fromPartial({ userId: 'u' }), { deadlineMs: 150 }).catch((e: unknown) => e)) as DomainError;
    expect(err.kind).toBe('DeadlineExceeded');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('propagates the caller trace context into the server span', async () => {
    exporter.reset();
    const tracer = trace.getTracer('test');
    const traceId = await tracer.startActiveSpan('caller', async (span) => {
      await client.unary((c) => c.getPlanConfig, 'GetPlanConfig', {});
      span.end();
      return span.spanContext().traceId;
    });
    expect(seenTraceparent).toContain(traceId);
    const serverSpan = exporter.getFinishedSpans().find((s) => s.name.includes('GetPlanConfig'));
    expect(serverSpan?.spanContext().traceId).toBe(traceId);
  });

  it('waits for a restarting peer within the deadline instead of failing fast', async () => {
    const late = new GrpcServer({ service: 'late', logger, metrics: createMetrics('late') });
    late.addService(billingV1.BillingServiceService, { getPlanConfig: async () => billingV1.GetPlanConfigResponse.fromPartial({ version: 42 }) });
    const { findFreePort } = await import('@haven/testkit');
    const port = await findFreePort();
    const lateClient = createGrpcClient(billingV1.BillingServiceClient, 'late', `127.0.0.1:${port}`);
    const pending = lateClient.unary((c) => c.getPlanConfig, 'GetPlanConfig', {}, { deadlineMs: 5000 });
    await new Promise((r) => setTimeout(r, 700));
    await late.start(port, '127.0.0.1');
    expect((await pending).version).toBe(42);
    // With nobody listening, the deadline still bounds the wait.
    await late.shutdown(500);
    const started = Date.now();
    const err = (await lateClient.unary((c) => c.getPlanConfig, 'GetPlanConfig', {}, { deadlineMs: 400 }).catch((e: unknown) => e)) as DomainError;
    expect(err.kind).toBe('DeadlineExceeded');
    expect(Date.now() - started).toBeLessThan(2000);
    lateClient.close();
  });

  it('counts requests by method and code', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/haven_grpc_server_requests_total\{method="\/haven.billing.v1.BillingService\/Authorize",code="INVALID_ARGUMENT",service="billing-test"\} 1/);
    expect(status.OK).toBe(0);
  });
});
