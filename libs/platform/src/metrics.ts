import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** RED metrics shared by every service; names are queried by the dashboards and alert rules. */
export interface PlatformMetrics {
  registry: Registry;
  grpcServerRequests: Counter<'method' | 'code'>;
  grpcServerDuration: Histogram<'method'>;
  grpcClientRequests: Counter<'target' | 'method' | 'code'>;
  grpcClientDuration: Histogram<'target' | 'method'>;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(service: string): PlatformMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    grpcServerRequests: new Counter({
      name: 'haven_grpc_server_requests_total',
      help: 'gRPC requests handled, by method and status code',
      labelNames: ['method', 'code'],
      registers: [registry],
    }),
    grpcServerDuration: new Histogram({
      name: 'haven_grpc_server_duration_seconds',
      help: 'gRPC handler latency',
      labelNames: ['method'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    grpcClientRequests: new Counter({
      name: 'haven_grpc_client_requests_total',
      help: 'gRPC calls made to other services, by target, method and status code',
      labelNames: ['target', 'method', 'code'],
      registers: [registry],
    }),
    grpcClientDuration: new Histogram({
      name: 'haven_grpc_client_duration_seconds',
      help: 'gRPC call latency as seen by the caller',
      labelNames: ['target', 'method'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'haven_http_requests_total',
      help: 'HTTP requests served, by route template and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'haven_http_request_duration_seconds',
      help: 'HTTP request latency by route template',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  };
}
