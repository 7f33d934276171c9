import { loadConfig, setting, types, type ConfigOf, type ConfigSpec } from './config';
import { startAdminServer, type AdminServer, type ReadinessCheck } from './admin-server';
import { GrpcServer } from './grpc';
import { connectMongo, connectRedis, type MongoHandle } from './stores';
import type { Redis } from 'ioredis';
import { Lifecycle } from './lifecycle';
import { createLogger, type Logger } from './logger';
import { createMetrics, type PlatformMetrics } from './metrics';
import { startTelemetry } from './telemetry';

/** Settings every service has; services spread these into their own spec. */
export const commonSettings = {
  grpcPort: setting({ env: 'GRPC_PORT', schema: types.port(), default: '50051', doc: 'gRPC listen port' }),
  adminPort: setting({ env: 'ADMIN_PORT', schema: types.port(), default: '9464', doc: 'admin port: /metrics, /healthz, /readyz' }),
  bindHost: setting({ env: 'BIND_HOST', schema: types.string(), default: '0.0.0.0', doc: 'interface the gRPC and admin servers bind to' }),
  logLevel: setting({ env: 'LOG_LEVEL', schema: types.enumOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const), default: 'info', doc: 'pino log level' }),
  shutdownDeadlineMs: setting({ env: 'SHUTDOWN_DEADLINE_MS', schema: types.int(100, 120_000), default: '10000', doc: 'upper bound for graceful shutdown' }),
};
export const natsSettings = {
  natsUrl: setting({ env: 'NATS_URL', schema: types.url(['nats', 'tls']), devDefault: 'nats://127.0.0.1:4222', doc: 'NATS JetStream server URL(s)' }),
  streamReplicas: setting({ env: 'NATS_STREAM_REPLICAS', schema: types.int(1, 5), default: '1', doc: 'JetStream replicas per stream (3 in production)' }),
};
export const mongoSettings = {
  mongoUrl: setting({ env: 'MONGO_URL', schema: types.url(['mongodb', 'mongodb+srv']), devDefault: 'mongodb://127.0.0.1:27017/?directConnection=true&retryWrites=false', doc: 'MongoDB (or FerretDB) URL for read models' }),
  mongoDb: setting({ env: 'MONGO_DB', schema: types.string(), default: 'haven', doc: 'database name' }),
};
export const redisSettings = {
  redisUrl: setting({ env: 'REDIS_URL', schema: types.url(['redis', 'rediss']), devDefault: 'redis://127.0.0.1:6379', doc: 'Redis URL for live state' }),
};

export type CommonConfig = ConfigOf<typeof commonSettings>;

/**
 * The shell every service boots in: config (fail fast), telemetry, logger, metrics, a gRPC
 * server with health, the admin port, and ordered graceful shutdown. A service's main.ts only
 * wires its own resources and handlers into it.
 */
export class ServiceHost<S extends ConfigSpec & typeof commonSettings> {
  readonly grpc: GrpcServer;
  readonly lifecycle: Lifecycle;
  private readonly readiness: Record<string, ReadinessCheck> = {};
  private admin: AdminServer | undefined;
  /** The common part of the config, typed concretely (the generic ConfigOf<S> is deferred). */
  private readonly common: CommonConfig;

  private constructor(
    readonly name: string,
    readonly config: ConfigOf<S>,
    readonly logger: Logger,
    readonly metrics: PlatformMetrics,
  ) {
    this.common = config as unknown as CommonConfig;
    this.lifecycle = new Lifecycle(logger, this.common.shutdownDeadlineMs);
    this.grpc = new GrpcServer({ service: name, logger, metrics });
  }

  static create<S extends ConfigSpec & typeof commonSettings>(name: string, spec: S, env: NodeJS.ProcessEnv = process.env): ServiceHost<S> {
    let config: ConfigOf<S>;
    try {
      config = loadConfig(name, spec, env);
    } catch (err) {
      // Fail fast with the full list of problems, before anything else starts.
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(78); // EX_CONFIG
    }
    const telemetry = startTelemetry(name, env);
    const logger = createLogger(name, (config as unknown as CommonConfig).logLevel);
    const host = new ServiceHost<S>(name, config, logger, createMetrics(name));
    host.lifecycle.onShutdown('telemetry', () => telemetry.shutdown());
    host.lifecycle.installSignalHandlers();
    return host;
  }

  /** Registers a connected resource: closed at shutdown (after the servers stop), checked by /readyz. */
  async use<T>(name: string, connecting: Promise<T> | T, close: (r: T) => Promise<unknown> | unknown, ready?: (r: T) => Promise<unknown>): Promise<T> {
    const resource = await connecting;
    this.lifecycle.onShutdown(name, () => close(resource));
    if (ready) this.readiness[name] = () => ready(resource);
    return resource;
  }

  useMongo(url: string, db: string): Promise<MongoHandle> {
    return this.use('mongodb', connectMongo(url, db, this.logger), (m) => m.close(), (m) => m.ping());
  }

  useRedis(url: string): Promise<Redis> {
    return this.use('redis', connectRedis(url, this.logger), (r) => r.quit(), (r) => r.ping());
  }

  addReadiness(name: string, check: ReadinessCheck): void {
    this.readiness[name] = check;
  }

  /** Registers a closer that runs before the stores close (e.g. stop consumers, stop an HTTP server). */
  onShutdown(name: string, close: () => Promise<unknown> | unknown): void {
    this.lifecycle.onShutdown(name, close);
  }

  /** Starts the gRPC server (unless `grpc: false`, e.g. the gateway, which only calls others) and the admin port. */
  async start(opts: { grpc?: boolean } = {}): Promise<{ grpcPort: number; adminPort: number }> {
    const { grpcPort: wantedGrpc, adminPort, bindHost, shutdownDeadlineMs } = this.common;
    let grpcPort = 0;
    if (opts.grpc !== false) {
      grpcPort = await this.grpc.start(wantedGrpc, bindHost);
      this.lifecycle.onShutdown('grpc', () => this.grpc.shutdown(Math.floor(shutdownDeadlineMs / 2)));
    }
    this.admin = await startAdminServer({ port: adminPort, host: bindHost, registry: this.metrics.registry, readiness: this.readiness, logger: this.logger });
    const admin = this.admin;
    // Registered last so it runs first: readiness goes red before anything stops.
    this.lifecycle.onShutdown('admin', () => admin.close());
    this.lifecycle.onShutdown('readiness', () => admin.setDraining());
    this.logger.info({ grpcPort, adminPort: admin.port }, `${this.name} ready`);
    return { grpcPort, adminPort: admin.port };
  }
}
