import { connect, Events } from 'nats';
import type { ConnectionOptions, NatsConnection } from 'nats';
import { silentLogger } from './logger';
import type { EventStoreLogger } from './logger';

export interface ConnectNatsOptions {
  readonly logger?: EventStoreLogger;
  /** Extra client options (credentials, TLS); they override the defaults below. */
  readonly connection?: Partial<ConnectionOptions>;
}

/**
 * Connects with options suited to long-running services: reconnect forever with jitter (a NATS
 * restart or failover must not kill the process), short ping interval to notice dead
 * connections, and connection state changes logged.
 */
export async function connectNats(url: string, name: string, options: ConnectNatsOptions = {}): Promise<NatsConnection> {
  const logger = options.logger ?? silentLogger;
  const nc = await connect({
    servers: url.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    name,
    timeout: 5_000,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    reconnectJitter: 500,
    pingInterval: 20_000,
    maxPingOut: 3,
    ...options.connection,
  });
  logger.info({ nats: nc.getServer(), name }, 'nats connected');
  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case Events.Disconnect:
          logger.warn({ nats: s.data, name }, 'nats disconnected');
          break;
        case Events.Reconnect:
          logger.info({ nats: s.data, name }, 'nats reconnected');
          break;
        case Events.LDM:
          logger.warn({ nats: s.data, name }, 'nats server entering lame duck mode');
          break;
        case Events.Error:
          logger.error({ err: String(s.data), name }, 'nats async error');
          break;
        default:
          break;
      }
    }
  })().catch(() => undefined);
  return nc;
}
