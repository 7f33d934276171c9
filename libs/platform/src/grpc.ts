import {
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  credentials,
  Metadata,
  status,
  type CallOptions,
  type Client,
  type ClientReadableStream,
  type ClientUnaryCall,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
  type UntypedServiceImplementation,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { HealthImplementation, service as healthServiceDefinition } from 'grpc-health-check';
import { DomainError, fromGrpcError, toGrpcError } from './errors';
import type { Logger } from './logger';
import type { PlatformMetrics } from './metrics';

// ---- typing handlers from ts-proto service definitions -------------------------------------

interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestDeserialize: (b: Buffer) => unknown;
  responseSerialize: (v: never) => Buffer;
}
type ServiceDefinition = Record<string, MethodDefinition>;
type ReqOf<M> = M extends { requestDeserialize: (b: Buffer) => infer Q } ? Q : never;
type ResOf<M> = M extends { responseSerialize: (v: infer R) => Buffer } ? R : never;

export interface CallContext {
  metadata: Metadata;
  /** Milliseconds left before the caller's deadline (Infinity when none was set). */
  deadlineMs: number;
  /** Aborted when the caller cancels or the deadline passes. */
  signal: AbortSignal;
  logger: Logger;
  /** Peer address as grpc-js reports it. */
  peer: string;
}

/** Async handlers: unary methods return a promise, server-streaming methods an async iterable. */
export type ServiceHandlers<D extends ServiceDefinition> = {
  [K in keyof D]: D[K] extends { responseStream: true }
    ? (req: ReqOf<D[K]>, ctx: CallContext) => AsyncIterable<ResOf<D[K]>>
    : (req: ReqOf<D[K]>, ctx: CallContext) => Promise<ResOf<D[K]>>;
};

const metadataGetter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get: (carrier, key) => {
    const v = carrier.get(key);
    return v.length ? v.map(String) : undefined;
  },
};
const metadataSetter: TextMapSetter<Metadata> = { set: (carrier, key, value) => carrier.set(key, value) };

function remainingMs(deadline: ReturnType<ServerUnaryCall<unknown, unknown>['getDeadline']>): number {
  if (deadline instanceof Date) return deadline.getTime() - Date.now();
  if (typeof deadline === 'number' && Number.isFinite(deadline)) return deadline - Date.now();
  return Infinity;
}

export class GrpcServer {
  readonly server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  readonly health = new HealthImplementation({ '': 'NOT_SERVING' });
  private readonly serviceNames: string[] = [];
  private port = 0;

  constructor(
    private readonly opts: { service: string; logger: Logger; metrics: PlatformMetrics },
  ) {
    this.health.addToServer(this.server);
  }

  /**
   * Adds a service; each handler runs with tracing, metrics, logging and error mapping around it.
   * Methods without a handler are answered UNIMPLEMENTED by grpc-js itself.
   */
  addService<D extends ServiceDefinition>(definition: D, handlers: Partial<ServiceHandlers<D>>): void {
    const impl: UntypedServiceImplementation = {};
    for (const [name, def] of Object.entries(definition)) {
      const handler = (handlers as Record<string, ((req: unknown, ctx: CallContext) => unknown) | undefined>)[name];
      if (!handler) continue;
      impl[name] = def.responseStream ? this.wrapStream(def.path, handler) : this.wrapUnary(def.path, handler);
    }
    this.server.addService(definition as never, impl);
    const serviceName = Object.values(definition)[0]?.path.split('/')[1];
    if (serviceName) {
      this.serviceNames.push(serviceName);
      this.health.setStatus(serviceName, 'NOT_SERVING');
    }
  }

  async start(port: number, host = '0.0.0.0'): Promise<number> {
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
    );
    this.setServing(true);
    this.opts.logger.info({ port: this.port }, 'gRPC server listening');
    return this.port;
  }

  setServing(serving: boolean): void {
    const s = serving ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', s);
    for (const n of this.serviceNames) this.health.setStatus(n, s);
  }

  /** Stops taking new calls, lets in-flight ones finish until the deadline, then forces. */
  async shutdown(deadlineMs = 5000): Promise<void> {
    this.setServing(false);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, deadlineMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private begin(path: string, call: { metadata: Metadata; getDeadline: ServerUnaryCall<unknown, unknown>['getDeadline']; getPeer(): string }) {
    const parent: Context = propagation.extract(context.active(), call.metadata, metadataGetter);
    const span = trace.getTracer('haven-grpc').startSpan(`grpc.server ${path}`, { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.method': path } }, parent);
    const spanCtx = trace.setSpan(parent, span);
    const abort = new AbortController();
    const ms = remainingMs(call.getDeadline());
    const deadlineTimer = Number.isFinite(ms) ? setTimeout(() => abort.abort(new Error('deadline exceeded')), Math.max(0, ms)) : undefined;
    const ctx: CallContext = {
      metadata: call.metadata,
      deadlineMs: ms,
      signal: abort.signal,
      logger: this.opts.logger.child({ rpc: path }),
      peer: call.getPeer(),
    };
    const started = performance.now();
    const finish = (code: status, err?: unknown) => {
      clearTimeout(deadlineTimer);
      this.opts.metrics.grpcServerRequests.inc({ method: path, code: status[code] });
      this.opts.metrics.grpcServerDuration.observe({ method: path }, (performance.now() - started) / 1000);
      if (code === status.OK) span.setStatus({ code: SpanStatusCode.OK });
      else span.setStatus({ code: SpanStatusCode.ERROR, message: status[code] });
      if (err && !(err instanceof DomainError)) {
        span.recordException(err as Error);
        context.with(spanCtx, () => ctx.logger.error({ err }, 'unhandled error in gRPC handler'));
      }
      span.end();
    };
    return { ctx, spanCtx, finish, abort };
  }

  private wrapUnary(path: string, handler: (req: unknown, ctx: CallContext) => unknown) {
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const { ctx, spanCtx, finish, abort } = this.begin(path, call);
      call.on('cancelled', () => abort.abort(new Error('cancelled by caller')));
      context.with(spanCtx, async () => {
        try {
          const res = await handler(call.request, ctx);
          finish(status.OK);
          callback(null, res);
        } catch (err) {
          const e = toGrpcError(err);
          finish(e.code, err);
          callback(e as ServiceError);
        }
      });
    };
  }

  private wrapStream(path: string, handler: (req: unknown, ctx: CallContext) => unknown) {
    return (call: ServerWritableStream<unknown, unknown>) => {
      const { ctx, spanCtx, finish, abort } = this.begin(path, call);
      call.on('cancelled', () => abort.abort(new Error('cancelled by caller')));
      context.with(spanCtx, async () => {
        try {
          for await (const frame of handler(call.request, ctx) as AsyncIterable<unknown>) {
            if (abort.signal.aborted) break;
            if (!call.write(frame)) await new Promise((r) => call.once('drain', r));
          }
          finish(status.OK);
          call.end();
        } catch (err) {
          const e = toGrpcError(err);
          finish(e.code, err);
          call.emit('error', e);
        }
      });
    };
  }
}

// ---- clients --------------------------------------------------------------------------------

type UnaryMethod<Q, R> = (req: Q, md: Metadata, opts: Partial<CallOptions>, cb: (err: ServiceError | null, res: R) => void) => ClientUnaryCall;
type StreamMethod<Q, R> = (req: Q, md?: Metadata, opts?: Partial<CallOptions>) => ClientReadableStream<R>;

export interface CallOpts {
  deadlineMs?: number;
  metadata?: Record<string, string>;
}

/**
 * A promise-based wrapper over a generated grpc-js client: every call carries a deadline, the
 * W3C trace context, and is counted; failures come back as DomainError.
 */
export class GrpcClient<C extends Client> {
  constructor(
    readonly raw: C,
    private readonly target: string,
    private readonly defaultDeadlineMs: number,
    private readonly metrics?: PlatformMetrics,
  ) {}

  private metadata(extra?: Record<string, string>): Metadata {
    const md = new Metadata();
    // waitForReady: while a peer restarts (rolling deploy, crash), calls wait for the channel to
    // reconnect, bounded by their deadlines, instead of failing at once with UNAVAILABLE.
    md.setOptions({ waitForReady: true });
    propagation.inject(context.active(), md, metadataSetter);
    for (const [k, v] of Object.entries(extra ?? {})) md.set(k, v);
    return md;
  }

  unary<Q, R>(method: (c: C) => UnaryMethod<Q, R>, name: string, req: Q, opts: CallOpts = {}): Promise<R> {
    const fn = method(this.raw).bind(this.raw);
    const started = performance.now();
    const deadline = new Date(Date.now() + (opts.deadlineMs ?? this.defaultDeadlineMs));
    return new Promise<R>((resolve, reject) => {
      fn(req, this.metadata(opts.metadata), { deadline }, (err, res) => {
        this.metrics?.grpcClientRequests.inc({ target: this.target, method: name, code: status[err?.code ?? status.OK] });
        this.metrics?.grpcClientDuration.observe({ target: this.target, method: name }, (performance.now() - started) / 1000);
        if (err) reject(fromGrpcError(err, this.target));
        else resolve(res);
      });
    });
  }

  /** Server-streaming call as an async iterable; errors are DomainErrors. */
  async *stream<Q, R>(method: (c: C) => StreamMethod<Q, R>, name: string, req: Q, opts: CallOpts & { signal?: AbortSignal } = {}): AsyncIterable<R> {
    const deadline = new Date(Date.now() + (opts.deadlineMs ?? this.defaultDeadlineMs));
    const call = method(this.raw).call(this.raw, req, this.metadata(opts.metadata), { deadline });
    const onAbort = () => call.cancel();
    opts.signal?.addEventListener('abort', onAbort);
    let code = status.OK;
    try {
      for await (const frame of call as AsyncIterable<R>) yield frame;
    } catch (err) {
      code = (err as ServiceError).code ?? status.UNKNOWN;
      throw fromGrpcError(err, this.target);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      this.metrics?.grpcClientRequests.inc({ target: this.target, method: name, code: status[code] });
    }
  }

  close(): void {
    this.raw.close();
  }
}

export function createGrpcClient<C extends Client>(
  Ctor: new (address: string, creds: ReturnType<typeof credentials.createInsecure>, options?: object) => C,
  target: string,
  address: string,
  opts: { defaultDeadlineMs?: number; metrics?: PlatformMetrics } = {},
): GrpcClient<C> {
  const raw = new Ctor(address, credentials.createInsecure(), {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  });
  return new GrpcClient(raw, target, opts.defaultDeadlineMs ?? 5000, opts.metrics);
}

/** Asks a service's standard grpc.health.v1 endpoint; resolves with its status string. */
export function checkHealth(address: string, deadlineMs = 2000, service = ''): Promise<string> {
  const HealthClient = healthClientCtor();
  const client = new HealthClient(address, credentials.createInsecure());
  return new Promise<string>((resolve, reject) => {
    (client as unknown as { check: UnaryMethod<{ service: string }, { status: number | string }> }).check(
      { service },
      new Metadata(),
      { deadline: new Date(Date.now() + deadlineMs) },
      (err, res) => {
        client.close();
        if (err) reject(fromGrpcError(err, address));
        else resolve(typeof res.status === 'number' ? (['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'][res.status] ?? 'UNKNOWN') : res.status);
      },
    );
  });
}

let healthCtor: (new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client) | undefined;
function healthClientCtor() {
  // grpc-health-check exports the service definition; build a client class from it once.
  if (!healthCtor) {
    healthCtor = makeGenericClientConstructor(healthServiceDefinition as never, 'grpc.health.v1.Health') as never;
  }
  return healthCtor!;
}
