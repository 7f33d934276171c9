import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProjection } from '../src/index';
import { eventually, meta, natsFixture, registered, uniqueName } from './integrationFixture';
import type { NatsFixture } from './integrationFixture';

// What a service's OTel SDK sets up at start, with spans kept in memory.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

let fx: NatsFixture;
beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  fx = await natsFixture('tr');
});
afterAll(async () => {
  await fx.close();
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});

describe('projection tracing', () => {
  it('handles each event in a span that continues the trace active at append time', async () => {
    const store = fx.store();
    const id = uniqueName('u-');
    const tracer = trace.getTracer('test');
    const command = tracer.startSpan('command RegisterUser');
    await context.with(trace.setSpan(context.active(), command), () =>
      store.append(id, { version: 0, sequence: 0 }, [registered(id)], meta()),
    );
    command.end();
    const { traceId, spanId } = command.spanContext();

    let activeInHandler: string | undefined;
    const name = uniqueName('traced-');
    const projection = await startProjection({
      nc: fx.nc,
      js: fx.js,
      jsm: fx.jsm,
      name,
      stream: fx.stream,
      filterSubjects: [`${fx.context}.evt.${id}`],
      codec: fx.codec,
      handle: async () => {
        activeInHandler = trace.getActiveSpan()?.spanContext().traceId;
      },
    });
    const span = await eventually(
      async () => exporter.getFinishedSpans().find((s) => s.name === `projection ${name} ${fx.context}.UserRegistered`),
      10_000,
      'projection span',
    );
    await projection.stop();

    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe(spanId);
    expect(activeInHandler).toBe(traceId);
    expect(span.attributes['messaging.destination.name']).toBe(`${fx.context}.evt.${id}`);
  });
});
